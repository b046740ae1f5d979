#!/usr/bin/env bash
# Speed and memory benchmark of the capture agent (docs/PERFORMANCE.md).
#
# Builds Release into build-bench, writes the synthetic capture into a work
# directory outside the repository, warms the page cache, then measures:
#   - bare libpcap read rate (sa_bare_read, best of RUNS),
#   - sessacct-capture --read FILE --print >/dev/null (best of RUNS; wall
#     time of the process on CLOCK_MONOTONIC, packets from --stats-json),
#   - their ratio, the agent's peak RSS, its peak of concurrent sessions,
#     its RSS on a tiny capture, and RSS bytes per concurrent session
#     (without the pages of the capture itself if the agent maps it),
#   - the CPU seconds of both readers, and the enrichment counters of the
#     agent (handshakes read, stream buffers' peak: --stats-json).
# The capture's TCP flows carry real TLS, HTTP, CONNECT and SOCKS
# handshakes (gen_pcap.c), so enrichment (on by default) does its work.
# Targets: pipeline >= 80% of the bare read rate; <= 200 bytes of RSS per
# concurrent session; each printed PASS or FAIL. Memory is also given per
# session held (open, or closed and held in TIME_WAIT until printed, at
# the end of the file) and from a run without TIME_WAIT, since offline
# printing holds every FIN- or RST-closed session for tcp_time_wait
# (docs/PERFORMANCE.md). A benchmark, not a test: exits 0 whatever the
# figures, non-zero only if something could not run.
#
# usage: tests/bench/bench.sh [-n PACKETS] [-c SLOTS] [-s SEED] [-t THINK_MS]
#            [-l SNAPLEN] [-w WORKDIR] [-r RUNS] [--perf] [--no-build]
#            [--clean]
# Environment: SA_BENCH_DIR (work dir, default /tmp/sessacct-bench),
# SA_BENCH_BUILD_DIR (default <repo>/build-bench), SA_BENCH_NO_BUILD=1,
# SA_BENCH_CAPTURE_ARGS (more arguments for every agent run, split on
# spaces, e.g. "--set capture.enrich=no" to measure without enrichment),
# SA_BENCH_RT=1 (timed runs of both readers at SCHED_FIFO priority 10 with
# chrt, so that other work on a shared machine cannot take their CPUs;
# needs root; the memory run is not affected).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SA_BENCH_BUILD_DIR:-$SRC/build-bench}
WORK=${SA_BENCH_DIR:-/tmp/sessacct-bench}
NO_BUILD=${SA_BENCH_NO_BUILD:-0}
read -r -a CAP_ARGS <<<"${SA_BENCH_CAPTURE_ARGS:-}"
RT=()
if [ "${SA_BENCH_RT:-0}" = 1 ]; then
	RT=(chrt -f 10)
fi
PACKETS=5000000
SLOTS=130000
SEED=1
THINK_MS=60000
SNAPLEN=512
RUNS=3
PERF=0
CLEAN=0
TARGET_RATIO=80
TARGET_BYTES=200

usage() {
	sed -n '/^# usage:/,/^# SA_BENCH_BUILD_DIR/p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) PACKETS=$2; shift 2 ;;
	-c) SLOTS=$2; shift 2 ;;
	-s) SEED=$2; shift 2 ;;
	-t) THINK_MS=$2; shift 2 ;;
	-l) SNAPLEN=$2; shift 2 ;;
	-w) WORK=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	--perf) PERF=1; shift ;;
	--no-build) NO_BUILD=1; shift ;;
	--clean) CLEAN=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "bench.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
case $RUNS in ''|*[!0-9]*|0) echo "bench.sh: -r wants a count" >&2; exit 2 ;; esac

say() { printf '%s\n' "$*"; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }
# Field NAME=value out of a "k=v k=v" line.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p;T;q"; }
# Median of numbers, one per line on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Number field out of the --stats-json object.
jnum() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p;T;q" "$2"; }

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case $WORK/ in
"$SRC"/*) die "work dir $WORK is inside the repository; use -w or SA_BENCH_DIR" ;;
esac
# The agent drops root for "nobody" after opening the file, and writes
# --stats-json after that: the directory must be writable by anyone.
chmod 1777 "$WORK"

CAP=$BUILD/capture/sessacct-capture
GEN=$BUILD/tests/bench/sa_gen_pcap
BARE=$BUILD/tests/bench/sa_bare_read
RUN=$BUILD/tests/bench/sa_bench_run
PCAP=$WORK/bench.pcap
TINY=$SRC/tests/pcap/http.pcapng

# 1. Build.
if [ "$NO_BUILD" != 1 ]; then
	say "== build: Release in $BUILD"
	if ! { cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release &&
	    cmake --build "$BUILD" -j"$(nproc)" --target sessacct-capture \
	    sa_gen_pcap sa_bare_read sa_bench_run; } >"$WORK/build.log" 2>&1
	then
		tail -30 "$WORK/build.log" >&2
		die "build failed (full log: $WORK/build.log)"
	fi
fi
for b in "$CAP" "$GEN" "$BARE" "$RUN"; do
	[ -x "$b" ] || die "$b is missing; build first"
done

# 2. Machine.
CPU=$(sed -n 's/^model name[[:space:]]*: //p;T;q' /proc/cpuinfo)
say "== machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $(uname -sr)"
say "   source: $SRC ($(git -C "$SRC" describe --always --dirty 2>/dev/null || echo 'not a git tree'))"
# Other work on the machine skews every figure, the pipeline's far more
# than the bare read's (it wants every core): measure the CPU others use
# over one second here, and during each pipeline run below.
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
	say "   CPU busy with other work: $pct% of $(nproc) CPUs ($1)"
	if [ "$pct" -ge 10 ]; then
		say "   warning: the machine is busy; rates will read low"
	fi
}

# 3. The capture.
say "== generate: $PCAP"
say "   sa_gen_pcap -n $PACKETS -c $SLOTS -s $SEED -t $THINK_MS -l $SNAPLEN"
rm -f "$PCAP"
t0=$(date +%s.%N)
"$GEN" -o "$PCAP" -n "$PACKETS" -c "$SLOTS" -s "$SEED" -t "$THINK_MS" \
    -l "$SNAPLEN" \
    2>"$WORK/gen.txt" || { cat "$WORK/gen.txt" >&2; die "generator failed"; }
t1=$(date +%s.%N)
sed 's/^/   /' "$WORK/gen.txt"
SIZE=$(stat -c %s "$PCAP")
SHA=$(sha256sum "$PCAP" | cut -d' ' -f1)
say "   size $SIZE bytes, generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
say "   sha256 $SHA"

# 4. Page cache: read it once, and say if it cannot fit.
AVAIL=$(awk '/^MemAvailable:/ { printf "%d\n", $2 * 1024 }' /proc/meminfo)
if [ -n "$AVAIL" ] && [ "$AVAIL" -lt $((SIZE * 2)) ]; then
	say "   warning: $AVAIL bytes available; the file may not stay cached"
fi
cat "$PCAP" >/dev/null

busy "before the timed runs"

# 5 and 6. The bare libpcap read and the agent (whole process, output
# thrown away), one of each in turn, so that both see the same load on a
# noisy machine; each pair also gives a ratio of its own.
say "== bare libpcap read (sa_bare_read) and sessacct-capture --read FILE --print >/dev/null, $RUNS of each, in turn"
BARE_PPS=0
BARE_CPU=0
PIPE_PPS=0
PIPE_CPU=0
SESS_PEAK=0
: >"$WORK/bare.pps"
: >"$WORK/bare.cpu"
: >"$WORK/pipe.pps"
: >"$WORK/pipe.cpu"
: >"$WORK/pair.ratio"
HZ=$(getconf CLK_TCK)
bare_run() {
	line=$(${RT[@]+"${RT[@]}"} "$BARE" "$PCAP") || die "sa_bare_read failed"
	bpps=$(kv pps "$line")
	say "   bare $1: $line"
	printf '%s\n' "$bpps" >>"$WORK/bare.pps"
	kv cpu_ms "$line" >>"$WORK/bare.cpu"
	[ "$(kv packets "$line")" = "$PACKETS" ] ||
	    die "sa_bare_read saw $(kv packets "$line") packets, not $PACKETS"
	if awk -v a="$bpps" -v b="$BARE_PPS" 'BEGIN { exit !(a > b) }'; then
		BARE_PPS=$bpps
		BARE_CPU=$(kv cpu_ms "$line")
	fi
}
pipe_run() {
	rm -f "$WORK/stats.json" "$WORK/run.txt"
	t0=$(cpu_ticks)
	if ! ${RT[@]+"${RT[@]}"} "$RUN" -o "$WORK/run.txt" -- "$CAP" ${CAP_ARGS[@]+"${CAP_ARGS[@]}"} --read "$PCAP" --print \
	    --stats-json="$WORK/stats.json" >/dev/null 2>"$WORK/capture.err"
	then
		cat "$WORK/capture.err" >&2
		die "sessacct-capture failed ($(cat "$WORK/run.txt" 2>/dev/null))"
	fi
	t1=$(cpu_ticks)
	res=$(cat "$WORK/run.txt")
	ns=$(kv elapsed_ns "$res")
	kb=$(kv maxrss_kb "$res")
	# CPU time others used meanwhile: all busy ticks minus the agent's.
	others=$(printf '%s %s\n' "$t0" "$t1" | awk -v c="$(kv cpu_ms "$res")" \
	    -v hz="$HZ" '{ o = ($3 - $1) / hz - c / 1000; printf "%.2f", (o > 0 ? o : 0) }')
	pk=$(jnum packets "$WORK/stats.json")
	sp=$(jnum sessions_peak "$WORK/stats.json")
	[ "$pk" = "$PACKETS" ] || die "the agent counted $pk packets, not $PACKETS"
	pps=$(awk -v p="$pk" -v n="$ns" 'BEGIN { printf "%.0f", p * 1e9 / n }')
	printf '%s\n' "$pps" >>"$WORK/pipe.pps"
	kv cpu_ms "$res" >>"$WORK/pipe.cpu"
	awk -v a="$pps" -v b="$bpps" 'BEGIN { printf "%.1f\n", 100 * a / b }' \
	    >>"$WORK/pair.ratio"
	say "   pipe $1: packets=$pk seconds=$(awk -v n="$ns" 'BEGIN { printf "%.6f", n / 1e9 }') pps=$pps cpu_ms=$(kv cpu_ms "$res") others_cpu_s=$others maxrss_kb=$kb sessions_peak=$sp ratio_to_bare_$1=$(tail -1 "$WORK/pair.ratio")%"
	if awk -v a="$pps" -v b="$PIPE_PPS" 'BEGIN { exit !(a > b) }'; then
		PIPE_PPS=$pps
		PIPE_CPU=$(kv cpu_ms "$res")
		PIPE_OTHERS=$others
	fi
	SESS_PEAK=$sp
}
for i in $(seq "$RUNS"); do
	bare_run "$i"
	pipe_run "$i"
done

# Not the yardstick: the same read through a 1 MiB stdio buffer, to show
# what larger read(2) calls are worth.
BIG_PPS=0
for i in $(seq "$RUNS"); do
	line=$("$BARE" -b 1m "$PCAP") || die "sa_bare_read -b 1m failed"
	pps=$(kv pps "$line")
	if awk -v a="$pps" -v b="$BIG_PPS" 'BEGIN { exit !(a > b) }'; then
		BIG_PPS=$pps
	fi
done
say "   (info) with a 1 MiB stdio buffer (sa_bare_read -b 1m): best pps=$BIG_PPS"
cp "$WORK/stats.json" "$WORK/stats-last.json"
say "   counters: $(sed 's/"reasons":{[^}]*},//' "$WORK/stats.json")"

busy "after the timed runs"

# 7. Memory. ru_maxrss counts every resident page, including those of the
# capture file if the agent reads it through mmap: page cache that grows
# with the file, not with the sessions. One more run (untimed: sampling
# takes CPU from the agent) samples /proc/PID/smaps every 1 ms for the
# resident size of the capture's mappings, to take it out.
say "== memory: one more run, sampling /proc/PID/status and smaps every 1 ms"
rm -f "$WORK/stats.json" "$WORK/run.txt"
"$RUN" -o "$WORK/run.txt" -m 1000 -f "$PCAP" -- "$CAP" ${CAP_ARGS[@]+"${CAP_ARGS[@]}"} --read "$PCAP" \
    --print --stats-json="$WORK/stats.json" >/dev/null \
    2>"$WORK/capture.err" || die "sessacct-capture failed in the memory run"
res=$(cat "$WORK/run.txt")
MEM_KB=$(kv maxrss_kb "$res")
ANON_KB=$(kv anon_kb "$res")
MAP_KB=$(kv mapped_kb "$res")
SESS_PEAK=$(jnum sessions_peak "$WORK/stats.json")
say "   $res sessions_peak=$SESS_PEAK"
# Enrichment's own figures (all 0 with capture.enrich=no).
ENR_TRACKED=$(jnum tracked "$WORK/stats.json")
ENR_BUF_PEAK=$(jnum buffer_bytes_peak "$WORK/stats.json")
ENR_CONN_PEAK=$(jnum buffering_peak "$WORK/stats.json")
ENR_REJECTED=$(jnum rejected "$WORK/stats.json")
ENR_KINDS=$(sed -n 's/.*"enriched":{\([^}]*\)}.*/\1/p' "$WORK/stats.json" |
    tr -d '"')
ENR_GIVEUP=$(sed -n 's/.*"given_up":{\([^}]*\)}.*/\1/p' "$WORK/stats.json" |
    tr -d '"')
ENR_UNREC=$(jnum unrecognised "$WORK/stats.json")
ENR_GAP=$(jnum gap "$WORK/stats.json")
ENR_BUDGET=$(jnum budget "$WORK/stats.json")
ENR_ANSWERS=$(printf '%s\n' "$ENR_KINDS" | tr ',' '\n' |
    awk -F: '{ s += $2 } END { print s + 0 }')

# Sessions held at the end of the file: those still open (closed then as
# capture_end) and, when the file spans less than tcp_time_wait (120 s by
# default) and nothing was evicted, every session closed by FIN or RST,
# which --print holds in TIME_WAIT until then. A lower bound of the peak
# held at once. n/a when the agent's arguments set tcp_time_wait.
SPAN=$(sed -n 's/.* span_s=\([0-9.]*\).*/\1/p' "$WORK/gen.txt")
HELD_END=n/a
case " ${CAP_ARGS[*]:-} " in
*tcp_time_wait*) ;;
*)	if [ "$(jnum time_wait_evicted "$WORK/stats.json")" = 0 ] &&
	    awk -v s="${SPAN:-999}" 'BEGIN { exit !(s < 120) }'; then
		HELD_END=$(( $(jnum capture_end "$WORK/stats.json") +
		    $(jnum fin "$WORK/stats.json") +
		    $(jnum rst "$WORK/stats.json") ))
	fi ;;
esac

# The same memory run without TIME_WAIT, for its share.
rm -f "$WORK/run.txt"
"$RUN" -o "$WORK/run.txt" -- "$CAP" ${CAP_ARGS[@]+"${CAP_ARGS[@]}"} \
    --set sessions.tcp_time_wait=0 --read "$PCAP" --print >/dev/null \
    2>"$WORK/capture.err" || die "sessacct-capture failed without TIME_WAIT"
NOTW_KB=$(kv maxrss_kb "$(cat "$WORK/run.txt")")

# 8. Baseline: the same binary on a tiny capture (ru_maxrss, exact).
rm -f "$WORK/run.txt"
"$RUN" -o "$WORK/run.txt" -- "$CAP" ${CAP_ARGS[@]+"${CAP_ARGS[@]}"} --read "$TINY" --print \
    >/dev/null 2>"$WORK/capture.err" || die "baseline run on $TINY failed"
res=$(cat "$WORK/run.txt")
BASE_KB=$(kv maxrss_kb "$res")
say "== baseline: $(basename "$TINY"): $res"

# 9. Optional profile of one run.
if [ "$PERF" = 1 ]; then
	if command -v perf >/dev/null 2>&1; then
		say "== perf record (one run; report in $WORK/perf.txt)"
		rm -f "$WORK/stats.json"
		perf record -q -o "$WORK/perf.data" -- "$CAP" ${CAP_ARGS[@]+"${CAP_ARGS[@]}"} --read "$PCAP" \
		    --print --stats-json="$WORK/stats.json" >/dev/null \
		    2>"$WORK/perf.err" || say "   perf record failed: $(tail -1 "$WORK/perf.err")"
		perf report -i "$WORK/perf.data" --stdio --no-children -g none \
		    -F overhead,dso,sym 2>/dev/null | grep -v '^$' \
		    >"$WORK/perf.txt" || true
		grep -E '^ +[0-9.]+%' "$WORK/perf.txt" | sed -n '1,25s/^/   /p'
	else
		say "== perf not found (apt-get install linux-perf); no profile"
	fi
fi

# 10. Figures against targets.
RATIO=$(awk -v a="$PIPE_PPS" -v b="$BARE_PPS" 'BEGIN { printf "%.1f", 100 * a / b }')
BARE_MED=$(median <"$WORK/bare.pps")
PIPE_MED=$(median <"$WORK/pipe.pps")
RATIO_MED=$(awk -v a="$PIPE_MED" -v b="$BARE_MED" 'BEGIN { printf "%.1f", 100 * a / b }')
RATIO_PAIR_MED=$(awk '{ print $1 * 10 }' "$WORK/pair.ratio" | median |
    awk '{ printf "%.1f", $1 / 10 }')
per_sess() {
	awk -v p="$1" -v b="$2" -v s="$SESS_PEAK" \
	    'BEGIN { if (s > 0) printf "%.1f", (p - b) * 1024 / s; else print "nan" }'
}
PER_SESS_RSS=$(per_sess "$MEM_KB" "$BASE_KB")
PER_SESS=$(per_sess "$((MEM_KB - MAP_KB))" "$BASE_KB")
PER_SESS_NOTW=$(per_sess "$NOTW_KB" "$BASE_KB")
PER_HELD=$(awk -v p="$((MEM_KB - MAP_KB))" -v b="$BASE_KB" -v s="$HELD_END" \
    'BEGIN { if (s + 0 > 0) printf "%.1f", (p - b) * 1024 / s; else print "n/a" }')
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	ok = op == ">=" ? v + 0 >= t : v + 0 <= t; print ok ? "PASS" : "FAIL" }'; }
BARE_CPU_MED=$(median <"$WORK/bare.cpu")
PIPE_CPU_MED=$(median <"$WORK/pipe.cpu")
secs() { awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }'; }
case " ${CAP_ARGS[*]:-} " in
*enrich=no*|*enrich=false*|*enrich=off*) ENRICH=off ;;
*) ENRICH=on ;;
esac
V_RATIO=$(verdict "$RATIO" "$TARGET_RATIO" ">=")
V_BYTES=$(verdict "$PER_SESS" "$TARGET_BYTES" "<=")
V_HELD=n/a
[ "$PER_HELD" = n/a ] || V_HELD=$(verdict "$PER_HELD" "$TARGET_BYTES" "<=")

say "== results (enrichment $ENRICH${CAP_ARGS[*]:+, agent arguments: ${CAP_ARGS[*]}}${RT[*]:+, timed runs under ${RT[*]}})"
printf '   %-34s %14s   (median %s)\n' "bare libpcap read (pkt/s)" "$BARE_PPS" \
    "$BARE_MED"
printf '   %-34s %14s   (info, not the yardstick)\n' \
    "bare read, 1 MiB stdio buffer" "$BIG_PPS"
printf '   %-34s %14s   (median %s)\n' "sessacct-capture --print (pkt/s)" \
    "$PIPE_PPS" "$PIPE_MED"
printf '   %-34s %13s%%   target >= %s%%   %s\n' "pipeline / bare read, best" \
    "$RATIO" "$TARGET_RATIO" "$V_RATIO"
printf '   %-34s %13s%%\n' "pipeline / bare read, medians" "$RATIO_MED"
printf '   %-34s %13s%%   (each run against the bare read just before it)\n' \
    "  median of the runs' own ratios" "$RATIO_PAIR_MED"
printf '   %-34s %14s   (median %s)\n' "CPU s, bare read (best run)" \
    "$(secs "$BARE_CPU")" "$(secs "$BARE_CPU_MED")"
printf '   %-34s %14s   (median %s; two threads)\n' \
    "CPU s, pipeline (best run)" "$(secs "$PIPE_CPU")" "$(secs "$PIPE_CPU_MED")"
say "     (during the best pipeline run, other processes used $PIPE_OTHERS s of CPU)"
printf '   %-34s %14s   (ru_maxrss, memory run)\n' "peak RSS (KiB)" "$MEM_KB"
printf '   %-34s %14s\n' "  of it, the mapped capture (KiB)" "$MAP_KB"
printf '   %-34s %14s\n' "  anonymous, peak sample (KiB)" "$ANON_KB"
printf '   %-34s %14s   (ru_maxrss)\n' "baseline RSS, tiny capture (KiB)" "$BASE_KB"
printf '   %-34s %14s\n' "peak concurrent sessions" "$SESS_PEAK"
printf '   %-34s %14s   target <= %s   %s\n' "RSS bytes per concurrent session" \
    "$PER_SESS" "$TARGET_BYTES" "$V_BYTES"
say "     (peak RSS - mapped capture - baseline) / peak concurrent sessions;"
say "     counting the mapped capture too: $PER_SESS_RSS"
printf '   %-34s %14s\n' "sessions held at the end of the file" "$HELD_END"
printf '   %-34s %14s   target <= %s   %s\n' "RSS bytes per session held" \
    "$PER_HELD" "$TARGET_BYTES" "$V_HELD"
say "     (open, or closed by FIN/RST and held in TIME_WAIT until printed)"
printf '   %-34s %14s   (ru_maxrss %s KiB; sessions.tcp_time_wait=0)\n' \
    "  without TIME_WAIT, per concurrent" "$PER_SESS_NOTW" "$NOTW_KB"
printf '   %-34s %14s   (SYNs followed)\n' "enrichment: connections tracked" \
    "$ENR_TRACKED"
say "     answers: ${ENR_KINDS:-none}; rejected $ENR_REJECTED;"
say "     unrecognised $ENR_UNREC; given up: ${ENR_GIVEUP:-none}"
printf '   %-34s %14s   (buffer_bytes_peak, memory run)\n' \
    "stream buffers, peak bytes" "$ENR_BUF_PEAK"
printf '   %-34s %14s   (buffering_peak)\n' \
    "  connections buffering, peak" "$ENR_CONN_PEAK"
say "   reference (issue): YAF ~40% of bare read, softflowd ~18%, argus 8%, pmacct 5%"
RESULT="bare_pps=$BARE_PPS bare_1m_pps=$BIG_PPS pipeline_pps=$PIPE_PPS"
RESULT="$RESULT ratio_pct=$RATIO bare_median_pps=$BARE_MED"
RESULT="$RESULT pipeline_median_pps=$PIPE_MED ratio_median_pct=$RATIO_MED"
RESULT="$RESULT ratio_pair_median_pct=$RATIO_PAIR_MED rt=${SA_BENCH_RT:-0}"
RESULT="$RESULT best_run_others_cpu_s=$PIPE_OTHERS"
RESULT="$RESULT bare_cpu_ms=$BARE_CPU bare_cpu_median_ms=$BARE_CPU_MED"
RESULT="$RESULT pipeline_cpu_ms=$PIPE_CPU pipeline_cpu_median_ms=$PIPE_CPU_MED"
RESULT="$RESULT enrich=$ENRICH enrich_tracked=$ENR_TRACKED"
RESULT="$RESULT enrich_buffer_bytes_peak=$ENR_BUF_PEAK"
RESULT="$RESULT enrich_buffering_peak=$ENR_CONN_PEAK snaplen=$SNAPLEN"
RESULT="$RESULT enrich_answers=$ENR_ANSWERS enrich_gap=$ENR_GAP"
RESULT="$RESULT enrich_budget=$ENR_BUDGET"
RESULT="$RESULT peak_rss_kb=$MEM_KB mapped_capture_kb=$MAP_KB"
RESULT="$RESULT peak_anon_kb=$ANON_KB baseline_rss_kb=$BASE_KB"
RESULT="$RESULT sessions_peak=$SESS_PEAK bytes_per_session=$PER_SESS"
RESULT="$RESULT bytes_per_session_with_map=$PER_SESS_RSS"
RESULT="$RESULT sessions_held_end=$HELD_END bytes_per_session_held=$PER_HELD"
RESULT="$RESULT bytes_per_session_no_time_wait=$PER_SESS_NOTW"
RESULT="$RESULT memory_held=$V_HELD"
RESULT="$RESULT ratio=$V_RATIO memory=$V_BYTES pcap_sha256=$SHA"
say "RESULT $RESULT"
printf '%s\n' "$RESULT" >"$WORK/result.txt"

if [ "$CLEAN" = 1 ]; then
	rm -f "$PCAP" "$WORK/perf.data"
fi
exit 0
