#!/bin/sh
# Export lag at a steady offered rate (docs/PERFORMANCE.md "Export to
# JetStream", issue 11): sa_agg_bench steady offers closed sessions to a
# fresh sessacct-aggregator with export on (settle = 0, so a session is
# due once written) to a local single-node nats-server -js (file
# storage), at RATE sessions a second for SECS, and samples every second
# the store's sessions written and the exporter's lag from the
# aggregator's metrics query (export lag_sessions, lag_seconds).
# usage: tests/bench/export_lag.sh BUILD_DIR RATE [SECS] [AGENTS]
# SA_EXPORT_SETS adds --set options to the aggregator. It prints the
# samples and one RESULT line: offered_per_s, sent_per_s (what the
# generator got in), written_per_s and exported_per_s (over the second
# half), lag_sessions and lag_seconds p50/p99/max over all samples,
# lag_growth_per_s (least-squares slope of lag_sessions over the second
# half), bounded (yes: the lag grows by less than 1% of the rate a
# second and export keeps within 3% of the store), written and exported
# (sessions in all), the aggregator's and nats-server's CPU (cores,
# averaged; agg_cpu_us per session written, nats_cpu_us per session
# exported) and the 1-minute load average.
set -eu
B=$(cd "$1" && pwd)
RATE=$2
SECS=${3:-40}
AGENTS=${4:-2}
T=$(mktemp -d /tmp/sa-export-lag.XXXXXX)
NPID=; APID=
trap 'kill $NPID $APID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NP=$(port); IP=$(port); QP=$(port)
nats-server -js -a 127.0.0.1 -p "$NP" -sd "$T/js" >"$T/nats.log" 2>&1 &
NPID=$!
"$B/aggregator/sessacct-aggregator" --set store.path="$T/db" \
	--set aggregator.listen=tcp://127.0.0.1:$IP \
	--set aggregator.query_listen=tcp://127.0.0.1:$QP \
	--set export.enabled=yes --set export.settle=0 \
	--set export.servers=nats://127.0.0.1:$NP \
	${SA_EXPORT_SETS:-} --ready-file "$T/ready" >"$T/agg.log" 2>&1 &
APID=$!
i=0
while [ ! -s "$T/ready" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { cat "$T/agg.log" >&2; exit 1; }
	sleep 0.1
done
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
HZ=$(getconf CLK_TCK)
a0=$(cpu $APID); n0=$(cpu $NPID); t0=$(date +%s.%N)
rc=0
"$B/tests/bench/sa_agg_bench" steady -e "tcp://127.0.0.1:$IP" \
	-q "tcp://127.0.0.1:$QP" -r "$RATE" -t "$SECS" -a "$AGENTS" \
	-b 1000 >"$T/out" 2>&1 || rc=$?
a1=$(cpu $APID); n1=$(cpu $NPID); t1=$(date +%s.%N)
grep -v '^result:' "$T/out" || true
r=$(sed -n 's/^result: //p' "$T/out")
[ -n "$r" ] || { cat "$T/out" "$T/agg.log" >&2; exit 1; }
w=$(echo "$r" | tr ' ' '\n' | sed -n 's/^written=//p')
x=$(echo "$r" | tr ' ' '\n' | sed -n 's/^exported=//p')
echo "RESULT $r $(echo "$a0 $a1 $n0 $n1 $HZ $t0 $t1 $w $x" | awk '{
	d = $7 - $6
	printf "agg_cores=%.2f nats_cores=%.2f agg_cpu_us=%.1f nats_cpu_us=%.1f",
	    ($2 - $1) / $5 / d, ($4 - $3) / $5 / d,
	    ($8 > 0 ? ($2 - $1) / $5 / $8 * 1e6 : 0),
	    ($9 > 0 ? ($4 - $3) / $5 / $9 * 1e6 : 0) }') load=$(cut -d' ' -f1 /proc/loadavg)"
exit 0
