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
# "--set export.batch=5000"). SA_EXPORT_FILLED=DIR keeps the filled
# store in DIR (filled the first time, copied from there after), so
# that alternating runs of two builds drain the same backlog without
# the fill's time. SA_EXPORT_PERF=FILE records the draining
# aggregator with perf (call graphs by DWARF) into FILE. It prints one
# RESULT line:
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
#   agg_cpu_us, nats_cpu_us
#                     CPU time (user + system) of the aggregator and of
#                     nats-server per session drained, from the first
#                     acknowledged round seen to the empty queue: what
#                     the drain costs whatever else shares the cores
#   load              the 1-minute load average at the end
set -eu
B=$(cd "$1" && pwd)
N=${2:-2000000}
T=$(mktemp -d /tmp/sa-export-bench.XXXXXX)
NPID=; APID=; PPID_=
trap 'kill $NPID $APID $PPID_ 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NP=$(port); IP=$(port); QP=$(port)
AGG="$B/aggregator/sessacct-aggregator"
Q="--set aggregator.query_listen=tcp://127.0.0.1:$QP"
COMMON="--set store.path=$T/db --set store.retention_days=36500 \
 --set aggregator.listen=tcp://127.0.0.1:$IP $Q"
nats-server -js -a 127.0.0.1 -p "$NP" -sd "$T/js" >"$T/nats.log" 2>&1 &
NPID=$!
# The queue takes rows written while export is on: fill with it on but
# pointed at nothing, so the backlog is queued, then point it at NATS.
F=${SA_EXPORT_FILLED:-}
if [ -n "$F" ] && [ -d "$F/db" ]; then
	cp -a "$F/db" "$T/db"
else
	"$B/tests/bench/sa_gen_pcap" -o "$T/s.pcap" -n "$N" -c 20000 -s 7 \
	    >/dev/null 2>&1
	"$AGG" $COMMON --set export.enabled=yes --set export.settle=0 \
		--set export.servers=nats://127.0.0.1:1 >"$T/agg1.log" 2>&1 &
	APID=$!
	sleep 1
	"$B/capture/sessacct-capture" --read "$T/s.pcap" \
		--connect "tcp://127.0.0.1:$IP" --set capture.agent_id=bench \
		>/dev/null 2>&1
	kill $APID; wait $APID || true
	rm -f "$T/s.pcap"
	if [ -n "$F" ]; then
		mkdir -p "$F"
		cp -a "$T/db" "$F/db"
	fi
fi
"$AGG" $COMMON --set export.enabled=yes --set export.settle=0 \
	--set export.servers=nats://127.0.0.1:$NP \
	${SA_EXPORT_SETS:-} >"$T/agg2.log" 2>&1 &
APID=$!
if [ -n "${SA_EXPORT_PERF:-}" ]; then
	perf record -q -F 999 --call-graph dwarf,16384 -p $APID \
	    -o "$SA_EXPORT_PERF" 2>"$T/perf.log" &
	PPID_=$!
fi
# One python process polls the query socket through the aggregator's
# --query, so that the poll's own start-up is not in the figures.
python3 - "$AGG" "$QP" "$APID" "$NPID" <<'PY'
import json, os, subprocess, sys, time
agg, qp, apid, npid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
hz = os.sysconf("SC_CLK_TCK")
def cpu(pid):
	with open("/proc/%s/stat" % pid) as f:
		v = f.read().rsplit(")", 1)[1].split()
	return (int(v[11]) + int(v[12])) / hz
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
		first = (now, x["position"], cpu(apid), cpu(npid))
	if (x is not None and x["state"] == "exporting" and
	    x["lag_sessions"] == 0 and x["position"] > 0):
		break
	time.sleep(0.1)
acpu, ncpu = cpu(apid) - first[2], cpu(npid) - first[3]
n = x["position"]
t = now - start
dt = now - first[0]
dn = n - first[1]
r = max(x["rounds"], 1)
print("RESULT sessions=%d seconds=%.2f sessions_per_s=%.0f "
    "drain_seconds=%.2f drain_per_s=%.0f busy_seconds=%.2f busy_per_s=%.0f "
    "rounds=%d round_ms=%.1f ack_wait_ms=%.2f duplicates=%d "
    "rounds_failed=%d agg_cpu_us=%.1f nats_cpu_us=%.1f load=%.2f" % (n,
    t, n / t, dt,
    dn / dt if dt > 0 else 0, x["round_seconds"],
    n / x["round_seconds"] if x["round_seconds"] > 0 else 0, x["rounds"],
    1000 * x["round_seconds"] / r, 1000 * x["ack_wait_seconds"] / r,
    x["duplicates"], x["rounds_failed"], 1e6 * acpu / max(dn, 1),
    1e6 * ncpu / max(dn, 1), os.getloadavg()[0]))
PY
if [ -n "$PPID_" ]; then
	kill -INT $PPID_; wait $PPID_ || true
	PPID_=
fi
