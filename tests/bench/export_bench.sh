#!/bin/sh
# Export throughput: sessions per second the aggregator's exporter
# publishes to a local single-node JetStream (file storage), from a
# store already holding them (docs/SCALING.md, "Sizing";
# docs/PERFORMANCE.md).
# usage: tests/bench/export_bench.sh BUILD_DIR [PACKETS]
# Starts nats-server and sessacct-aggregator on free loopback ports in a
# temp dir; fills the store with export on but pointed at no server
# (sa_gen_pcap replayed; export.settle=0, so every session is due at
# once), then restarts it against NATS and times the drain.
# SA_EXPORT_SETS adds --set options to the draining aggregator (e.g.
# "--set export.batch=5000"). It prints one RESULT line:
#   sessions          sessions drained (acknowledged by JetStream)
#   seconds, sessions_per_s
#                     from the aggregator's start (RocksDB recovery of
#                     the fill run and the restore included) to an empty
#                     queue, polled every 0.1 s
#   drain_seconds, drain_per_s
#                     from the first acknowledged round seen to an empty
#                     queue (the steady rate once sessions are due)
#   busy_seconds, busy_per_s
#                     the exporter's own time in rounds (round_seconds):
#                     its rate were it never idle
#   rounds, round_ms, ack_wait_ms
#                     rounds that published, and per round the time and
#                     the part spent waiting for JetStream's acks
#   load              the 1-minute load average at the end
set -eu
B=$(cd "$1" && pwd)
N=${2:-2000000}
T=$(mktemp -d /tmp/sa-export-bench.XXXXXX)
NPID=; APID=
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
# The queue takes rows written while export is on: fill with it on but
# pointed at nothing, so the backlog is queued, then point it at NATS.
"$AGG" $COMMON --set export.enabled=yes --set export.settle=0 \
	--set export.servers=nats://127.0.0.1:1 >"$T/agg1.log" 2>&1 &
APID=$!
sleep 1
"$B/capture/sessacct-capture" --read "$T/s.pcap" \
	--connect "tcp://127.0.0.1:$IP" --set capture.agent_id=bench >/dev/null 2>&1
kill $APID; wait $APID || true
"$AGG" $COMMON --set export.enabled=yes --set export.settle=0 \
	--set export.servers=nats://127.0.0.1:$NP \
	${SA_EXPORT_SETS:-} >"$T/agg2.log" 2>&1 &
APID=$!
# One python process polls the query socket through the aggregator's
# --query, so that the poll's own start-up is not in the figures.
python3 - "$AGG" "$QP" <<'PY'
import json, os, subprocess, sys, time
agg, qp = sys.argv[1], sys.argv[2]
def metrics():
	try:
		out = subprocess.run([agg, "--set",
		    "aggregator.query_listen=tcp://127.0.0.1:" + qp,
		    "--query", "metrics"], capture_output=True, timeout=10).stdout
		return json.loads(out)["export"]
	except Exception:
		return None
start = time.monotonic()
first = None
while True:
	x = metrics()
	now = time.monotonic()
	if x is not None and x["position"] > 0 and first is None:
		first = (now, x["position"])
	if (x is not None and x["state"] == "exporting" and
	    x["lag_sessions"] == 0 and x["position"] > 0):
		break
	time.sleep(0.1)
n = x["position"]
t = now - start
dt = now - first[0]
dn = n - first[1]
r = max(x["rounds"], 1)
print("RESULT sessions=%d seconds=%.2f sessions_per_s=%.0f "
    "drain_seconds=%.2f drain_per_s=%.0f busy_seconds=%.2f busy_per_s=%.0f "
    "rounds=%d round_ms=%.1f ack_wait_ms=%.2f duplicates=%d "
    "rounds_failed=%d load=%.2f" % (n, t, n / t, dt,
    dn / dt if dt > 0 else 0, x["round_seconds"],
    n / x["round_seconds"] if x["round_seconds"] > 0 else 0, x["rounds"],
    1000 * x["round_seconds"] / r, 1000 * x["ack_wait_seconds"] / r,
    x["duplicates"], x["rounds_failed"], os.getloadavg()[0]))
PY
