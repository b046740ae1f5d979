#!/bin/sh
# Export throughput: sessions per second the aggregator's exporter
# publishes to a local single-node JetStream (file storage), from a
# store already holding them (docs/SCALING.md, "Sizing").
# usage: tests/bench/export_bench.sh BUILD_DIR [PACKETS]
# Starts nats-server and sessacct-aggregator on free loopback ports in a
# temp dir; fills the store with export off (sa_gen_pcap replayed), then
# restarts with export on and times how long the backlog takes to drain.
set -eu
B=$(cd "$1" && pwd)
N=${2:-2000000}
T=$(mktemp -d /tmp/sa-export-bench.XXXXXX)
trap 'kill $NPID $APID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NP=$(port); IP=$(port); QP=$(port)
AGG="$B/aggregator/sessacct-aggregator"
Q="--set aggregator.query_listen=tcp://127.0.0.1:$QP"
COMMON="--set store.path=$T/db --set store.retention_days=36500 \
 --set aggregator.listen=tcp://127.0.0.1:$IP $Q"
"$B/tests/bench/sa_gen_pcap" -o "$T/s.pcap" -n "$N" -c 20000 -s 7 >/dev/null
nats-server -js -a 127.0.0.1 -p "$NP" -sd "$T/js" >"$T/nats.log" 2>&1 &
NPID=$!
"$AGG" $COMMON >"$T/agg1.log" 2>&1 &
APID=$!
sleep 1
"$B/capture/sessacct-capture" --read "$T/s.pcap" \
	--connect "tcp://127.0.0.1:$IP" --set capture.agent_id=bench >/dev/null 2>&1
kill $APID; wait $APID || true
# The queue takes rows written while export is on: fill again with it on
# but pointed at nothing, so the backlog is queued, then point it at NATS.
rm -rf "$T/db"
"$AGG" $COMMON --set export.enabled=yes --set export.settle=0 \
	--set export.servers=nats://127.0.0.1:1 >"$T/agg2.log" 2>&1 &
APID=$!
sleep 1
"$B/capture/sessacct-capture" --read "$T/s.pcap" \
	--connect "tcp://127.0.0.1:$IP" --set capture.agent_id=bench >/dev/null 2>&1
kill $APID; wait $APID || true
"$AGG" $COMMON --set export.enabled=yes --set export.settle=0 \
	--set export.servers=nats://127.0.0.1:$NP \
	${SA_EXPORT_SETS:-} >"$T/agg3.log" 2>&1 &
APID=$!
start=$(date +%s.%N)
while :; do
	m=$("$AGG" $Q --query metrics 2>/dev/null || true)
	lag=$(printf '%s' "$m" | python3 -c 'import json,sys
try: x=json.load(sys.stdin)["export"]; print(x["lag_sessions"] if x["state"]=="exporting" else -1, x["position"])
except Exception: print(-1, 0)')
	set -- $lag
	if [ "$1" = 0 ] && [ "$2" -gt 0 ]; then break; fi
	sleep 0.2
done
end=$(date +%s.%N)
python3 -c "n=$2; t=$end-$start; print('RESULT sessions=%d seconds=%.2f sessions_per_s=%.0f' % (n, t, n/t))"
