#!/usr/bin/env bash
# Speed and memory benchmark of the aggregator (docs/PERFORMANCE.md,
# "Aggregator"). Builds Release into build-aggbench, then runs the real
# sessacct-aggregator on loopback, each measurement on a fresh store in a
# work directory outside the repository, driven by sa_agg_bench
# (tests/bench/agg_bench.c), which pre-encodes its batches:
#   1. events applied per second: UPDATE events over a pool of open
#      sessions, 2 agents, pipelined. Every checkpoint (every 250 ms by
#      default) rewrites the row of each open session changed since the
#      last one, so the rate depends on how many distinct sessions change:
#      16,384 (many updates each per checkpoint); 200,000 (what 1M
#      events/s means from agents that send each session every 200 ms);
#      1,000,000 (once); and 1,000,000 with checkpoint_interval_ms=5000.
#   2. closed sessions persisted per second (UPDATE + CLOSE per session,
#      indexes, rollups, WAL on), first send to last ack;
#   3. RSS per open session with 1,000,000 open: default settings, tiny
#      block cache, no commit (the session table alone), and the table
#      alone with glibc's mmap threshold fixed (allocator diagnosis);
#   4. delay from FIN to history, default settings: sa_agg_bench's own
#      CLOSE events; the real agent replaying a generated capture at
#      --speed 1; and the real agent capturing loopback live (root only).
# Targets: >= 1,000,000 events/s; >= 200,000 sessions/s; <= 200 bytes per
# open session; FIN to history < 2 s. A benchmark, not a test: exits 0
# whatever the figures, non-zero only if something could not run.
#
# usage: tests/bench/agg_bench.sh [-w WORKDIR] [-r RUNS] [--perf]
#            [--no-build] [--quick]
# 1 and 2 run RUNS times (default 2); the best run counts. --perf records
# the aggregator (perf record -g) during the last run of 1b and of 2 and
# prints the top of each profile. --quick runs smaller loads (a smoke
# test). It takes about 3 minutes after the build.
# Environment: SA_AGGBENCH_DIR (work dir, default /tmp/sessacct-aggbench),
# SA_AGGBENCH_BUILD_DIR (default <repo>/build-aggbench).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SA_AGGBENCH_BUILD_DIR:-$SRC/build-aggbench}
WORK=${SA_AGGBENCH_DIR:-/tmp/sessacct-aggbench}
NO_BUILD=0
PERF=0
QUICK=0
RUNS=2

usage() {
	sed -n '/^# usage:/,/^# SA_AGGBENCH_BUILD_DIR/p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-w) WORK=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	--perf) PERF=1; shift ;;
	--no-build) NO_BUILD=1; shift ;;
	--quick) QUICK=1; shift ;;
	-h|--help) usage ;;
	*) echo "agg_bench.sh: unknown argument '$1'" >&2; usage ;;
	esac
done

case $RUNS in ''|*[!0-9]*|0) echo "agg_bench.sh: -r wants a count" >&2; exit 2 ;; esac

say() { printf '%s\n' "$*"; }
die() { printf 'agg_bench.sh: %s\n' "$*" >&2; exit 1; }
# Field NAME=value out of a "k=v k=v" line.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p;T;q"; }
# Largest of numbers, one per line on stdin.
best() { sort -g | tail -1; }
verdict() {	# verdict VALUE OP TARGET: PASS or MISS
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
	    ok = (op == ">=") ? v >= t : (op == "<=") ? v <= t : v < t
	    print ok ? "PASS" : "MISS" }'
}

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case $WORK/ in
"$SRC"/*) die "work dir $WORK is inside the repository; use -w" ;;
esac
# The live agent drops root for "nobody": its log must stay writable.
chmod 1777 "$WORK"

AGG=$BUILD/aggregator/sessacct-aggregator
CAP=$BUILD/capture/sessacct-capture
LOAD=$BUILD/tests/bench/sa_agg_bench

if [ "$NO_BUILD" != 1 ]; then
	say "== build: Release in $BUILD"
	if ! { cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release &&
	    cmake --build "$BUILD" -j"$(nproc)" --target sessacct-aggregator \
	    sessacct-capture sa_agg_bench; } >"$WORK/build.log" 2>&1
	then
		tail -30 "$WORK/build.log" >&2
		die "build failed (full log: $WORK/build.log)"
	fi
fi
for b in "$AGG" "$CAP" "$LOAD"; do
	[ -x "$b" ] || die "$b is missing; build first"
done

CPU=$(sed -n 's/^model name[[:space:]]*: //p;T;q' /proc/cpuinfo)
say "== machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $(uname -sr)," \
    "$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
say "   load average: $(cut -d' ' -f1-3 /proc/loadavg);" \
    "transparent hugepages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo '?')"
say "   source: $SRC ($(git -C "$SRC" describe --always --dirty 2>/dev/null || echo 'not a git tree'))"
# Other work on the machine skews every figure: the CPU others use, over
# one second, before each part.
cpu_ticks() {	# busy and total ticks of all CPUs
	awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' \
	    /proc/stat
}
busy() {
	local a b pct
	a=$(cpu_ticks)
	sleep 1
	b=$(cpu_ticks)
	pct=$(printf '%s %s\n' "$a" "$b" |
	    awk '{ d = $4 - $2; printf "%.0f", (d > 0 ? 100 * ($3 - $1) / d : 0) }')
	say "   CPU busy with other work: $pct% of $(nproc) CPUs (before $1)"
	if [ "$pct" -ge 10 ]; then
		say "   warning: the machine is busy; rates will read low"
	fi
}

APID=
EP=
QEP=
stop_agg() {
	if [ -n "$APID" ]; then
		kill -TERM "$APID" 2>/dev/null || true
		wait "$APID" 2>/dev/null || true
		APID=
	fi
}
trap stop_agg EXIT

# start_agg NAME [--set K=V ...]: a fresh aggregator on loopback ports.
start_agg() {
	local name=$1 dir i
	shift
	dir=$WORK/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	"$AGG" --set store.path="$dir/db" --set store.retention_days=36500 \
	    --set aggregator.listen=tcp://127.0.0.1:0 \
	    --set aggregator.query_listen=tcp://127.0.0.1:0 \
	    --ready-file "$dir/ready" "$@" 2>"$dir/aggregator.log" &
	APID=$!
	for i in $(seq 200); do
		[ -s "$dir/ready" ] && break
		kill -0 "$APID" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$dir/ready" ] || { cat "$dir/aggregator.log" >&2; die "aggregator did not start"; }
	EP=$(sed -n 's/.*"ingest": *"\([^"]*\)".*/\1/p' "$dir/ready")
	QEP=$(sed -n 's/.*"query": *"\([^"]*\)".*/\1/p' "$dir/ready")
	say "   \$ sessacct-aggregator --set store.path=DIR --set store.retention_days=36500" \
	    "--set aggregator.listen=tcp://127.0.0.1:0 --set aggregator.query_listen=tcp://127.0.0.1:0" \
	    "--ready-file F $*"
}

# run NAME ARGS...: sa_agg_bench, output indented; RESULT = last result line.
RESULT=
run() {
	local name=$1 out
	shift
	out=$WORK/$name.out
	say "   \$ sa_agg_bench $*" | sed "s|$EP|\$EP|; s|$QEP|\$QEP|"
	"$LOAD" "$@" >"$out" 2>&1 || { cat "$out" >&2; die "sa_agg_bench $1 failed"; }
	grep -v '^result:' "$out" | sed 's/^/   /'
	RESULT=$(grep '^result:' "$out" | tail -1)
}

# perf_on NAME SECS: record the aggregator in the background.
PERFPID=
perf_on() {
	[ "$PERF" = 1 ] || return 0
	perf record -g -o "$WORK/$1.perf.data" -p "$APID" -- sleep "$2" \
	    >/dev/null 2>&1 &
	PERFPID=$!
}
perf_off() {
	[ "$PERF" = 1 ] || return 0
	wait "$PERFPID" 2>/dev/null || true
	say "   perf (aggregator, self time, top entries; $WORK/$1.perf.data):"
	perf report -i "$WORK/$1.perf.data" --no-children --sort comm,dso,symbol \
	    -g none --percent-limit 2 --stdio 2>/dev/null | grep -v '^#' |
	    grep -v '^$' | cut -c1-140 | sed 's/^/     /' | head -20
	# Inclusive shares of our functions (summed over perf's entries).
	perf report -i "$WORK/$1.perf.data" --children --sort symbol -g none \
	    --stdio 2>/dev/null | awk '$3 == "[.]" && $4 ~ /^(store_batch_commit|agg_core_message|proto_batch_decode|sess_table_apply|sess_table_drain|user_get|sess_json_addr)$/ {
		sub(/%/, "", $1); t[$4] += $1 }
	    END { for (f in t) printf "     %6.2f%% inclusive in %s\n", t[f], f }' |
	    sort -rn
}

if [ "$QUICK" = 1 ]; then
	SECS=3; POOL_BIG=50000; POOL_HUGE=100000; CLOSES=100000; OPEN=200000
else
	SECS=8; POOL_BIG=100000; POOL_HUGE=500000; CLOSES=500000; OPEN=1000000
fi
MAXS=$((OPEN + OPEN / 10))

say "== 1. events applied per second (UPDATE events, 4096 per batch, 2 agents)"
busy "part 1"
V1A=
V1B=
V2=
for r in $(seq "$RUNS"); do
	say "-- 1a. 2 x 8192 open sessions (each updated many times per commit), run $r of $RUNS"
	start_agg upd-small
	run upd-small updates -e "$EP" -q "$QEP" -P "$APID" -a 2 -p 8192 \
	    -b 4096 -w 1024 -W 2 -t "$SECS"
	V1A="$V1A $(kv events_per_s "$RESULT")"
	stop_agg
done
for r in $(seq "$RUNS"); do
	say "-- 1b. 2 x $POOL_BIG open sessions, all changing between checkpoints, run $r of $RUNS"
	start_agg upd-big
	[ "$r" = "$RUNS" ] && perf_on upd-big $((SECS + 1))
	run upd-big updates -e "$EP" -q "$QEP" -P "$APID" -a 2 -p "$POOL_BIG" \
	    -b 4096 -w 1024 -W 2 -t "$SECS"
	V1B="$V1B $(kv events_per_s "$RESULT")"
	[ "$r" = "$RUNS" ] && perf_off upd-big
	stop_agg
done

say "-- 1c. 2 x $POOL_HUGE open sessions, all changing between checkpoints, one run"
start_agg upd-huge --set sessions.max_sessions=$((2 * POOL_HUGE + POOL_HUGE / 5))
run upd-huge updates -e "$EP" -q "$QEP" -P "$APID" -a 2 -p "$POOL_HUGE" \
    -b 4096 -w 1024 -W 3 -t "$SECS"
R1C=$RESULT
stop_agg

say "-- 1d. as 1c with aggregator.checkpoint_interval_ms=5000, one run"
start_agg upd-huge-ckpt5 --set sessions.max_sessions=$((2 * POOL_HUGE + POOL_HUGE / 5)) \
    --set aggregator.checkpoint_interval_ms=5000
run upd-huge-ckpt5 updates -e "$EP" -q "$QEP" -P "$APID" -a 2 -p "$POOL_HUGE" \
    -b 4096 -w 2048 -W 6 -t "$SECS"
R1D=$RESULT
stop_agg

say "== 2. closed sessions persisted per second (UPDATE + CLOSE, WAL on)"
busy "part 2"
for r in $(seq "$RUNS"); do
	say "-- 2 x $CLOSES sessions, run $r of $RUNS"
	start_agg closes
	[ "$r" = "$RUNS" ] && perf_on closes $((SECS + 1))
	run closes closes -e "$EP" -q "$QEP" -P "$APID" -a 2 -n "$CLOSES" \
	    -b 4096 -w 256
	V2="$V2 $(kv sessions_per_s "$RESULT")"
	[ "$r" = "$RUNS" ] && perf_off closes
	stop_agg
done

say "== 3. RSS per open session, $OPEN sessions opened (UPDATE only)"
busy "part 3"
say "-- 3a. default settings (64 MiB block cache, commits every 250 ms)"
start_agg open-default --set sessions.max_sessions=$MAXS
run open-default open -e "$EP" -q "$QEP" -P "$APID" -n "$OPEN" -b 4096 -w 8 \
    -k -S 2
R3A=$RESULT
stop_agg
say "-- 3b. store.cache_size=1m"
start_agg open-cache1m --set sessions.max_sessions=$MAXS --set store.cache_size=1m
run open-cache1m open -e "$EP" -q "$QEP" -P "$APID" -n "$OPEN" -b 4096 -w 8 \
    -k -S 2
R3B=$RESULT
stop_agg
say "-- 3c. the session table alone: no commit during the run (commit_interval_ms=60000)"
start_agg open-table --set sessions.max_sessions=$MAXS \
    --set aggregator.commit_interval_ms=60000
run open-table open -e "$EP" -q "$QEP" -P "$APID" -n "$OPEN" -b 4096 -w 8 -S 2
R3C=$RESULT
stop_agg
say "-- 3d. as 3c with MALLOC_MMAP_THRESHOLD_=131072 (glibc's dynamic mmap threshold off)"
export MALLOC_MMAP_THRESHOLD_=131072
start_agg open-table-mmap --set sessions.max_sessions=$MAXS \
    --set aggregator.commit_interval_ms=60000
unset MALLOC_MMAP_THRESHOLD_
run open-table-mmap open -e "$EP" -q "$QEP" -P "$APID" -n "$OPEN" -b 4096 \
    -w 8 -S 2
R3D=$RESULT
stop_agg

say "== 4. FIN to history, default settings (history polled every 20 ms)"
busy "part 4"
say "-- 4a. sa_agg_bench sends each CLOSE alone (aggregator only)"
start_agg fin
run fin fin -e "$EP" -q "$QEP" -n 40
R4A=$RESULT
stop_agg
say "-- 4b. the real agent replays a capture at --speed 1"
start_agg replay
run replay replay -e "$EP" -q "$QEP" -c "$CAP" -o "$WORK/fin.pcap" -n 30 \
    -g 370 -T 4 -l "$WORK/replay-agent.log"
R4B=$RESULT
tail -2 "$WORK/replay-agent.log" | sed 's/^/   agent: /'
stop_agg
R4C=
if [ "$(id -u)" = 0 ]; then
	say "-- 4c. the real agent captures loopback live (-i lo)"
	start_agg live
	run live live -e "$EP" -q "$QEP" -c "$CAP" -o "$WORK/live-agent" -n 30 \
	    -g 200 -l "$WORK/live-agent.log"
	R4C=$RESULT
	tail -1 "$WORK/live-agent.log" | sed 's/^/   agent: /'
	stop_agg
else
	say "-- 4c. live capture skipped (needs root)"
fi

E1A=$(printf '%s\n' $V1A | best)
EV=$(printf '%s\n' $V1B | best)
SS=$(printf '%s\n' $V2 | best)
BPS=$(kv per_session2 "$R3A")
TBL=$(kv per_session "$R3C")
P99=$(kv p99_ms "$R4B")
say "== summary (1 and 2: best of $RUNS; all runs:$V1A |$V1B |$V2 )"
printf '   %-58s %14s  %s\n' \
    "events applied/s, 2 x 8192 sessions" "$E1A" \
	"$(verdict "$E1A" '>=' 1000000)" \
    "events applied/s, 2 x $POOL_BIG sessions (target >= 1,000,000)" "$EV" \
	"$(verdict "$EV" '>=' 1000000)" \
    "events applied/s, 2 x $POOL_HUGE sessions" "$(kv events_per_s "$R1C")" \
	"$(verdict "$(kv events_per_s "$R1C")" '>=' 1000000)" \
    "... the same, checkpoint_interval_ms=5000" "$(kv events_per_s "$R1D")" \
	"$(verdict "$(kv events_per_s "$R1D")" '>=' 1000000)" \
    "closed sessions persisted/s (target >= 200,000)" "$SS" \
	"$(verdict "$SS" '>=' 200000)" \
    "bytes RSS per open session, total (target <= 200)" "$BPS" \
	"$(verdict "$BPS" '<=' 200)" \
    "bytes RSS per open session, total, peak during the burst" \
	"$(kv peak_per_session2 "$R3A")" \
	"$(verdict "$(kv peak_per_session2 "$R3A")" '<=' 200)" \
    "bytes RSS per open session, total, cache 1m" "$(kv per_session2 "$R3B")" \
	"$(verdict "$(kv per_session2 "$R3B")" '<=' 200)" \
    "bytes RSS per open session, session table alone" "$TBL" \
	"$(verdict "$TBL" '<=' 200)" \
    "bytes ... table alone, fixed mmap threshold" "$(kv per_session "$R3D")" \
	"$(verdict "$(kv per_session "$R3D")" '<=' 200)" \
    "CLOSE -> history p50/p99/max ms, aggregator only" \
	"$(kv p50_ms "$R4A")/$(kv p99_ms "$R4A")/$(kv max_ms "$R4A")" \
	"$(verdict "$(kv max_ms "$R4A")" '<' 2000)" \
    "FIN -> history p50/p99/max ms, agent replay (target < 2000)" \
	"$(kv p50_ms "$R4B")/$P99/$(kv max_ms "$R4B")" \
	"$(verdict "$P99" '<' 2000)"
if [ -n "$R4C" ]; then
	printf '   %-58s %14s  %s\n' \
	    "FIN -> history p50/p99/max ms, agent live on lo" \
	    "$(kv p50_ms "$R4C")/$(kv p99_ms "$R4C")/$(kv max_ms "$R4C")" \
	    "$(verdict "$(kv p99_ms "$R4C")" '<' 2000)"
fi
say "   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
