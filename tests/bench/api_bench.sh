#!/bin/bash
# API benchmark (docs/PERFORMANCE.md "API"). Not a test: it prints figures
# and exits 0 whatever they are.
#
#   1. builds the daemons as Release in build-apibench, and tests/bench/
#      api_fill.c against the store library;
#   2. fills a store with N closed sessions (default 10,000,000) ending
#      over the last 24 hours (api_fill), compacted;
#   3. starts sessacct-aggregator on it and sessacct-api (4 threads);
#   4. latency, one keep-alive client, sequential requests:
#      GET /api/sessions/stats?window_hours=24 (target p99 < 20 ms) and
#      100-row history pages (first pages, cursor walks, user and
#      destination filters; target p99 < 10 ms);
#   5. /metrics throughput with wrk (target >= 10,000 req/s) while
#      sessacct-capture replays a synthetic capture into the aggregator.
#
# usage: tests/bench/api_bench.sh [-n SESSIONS] [-w WORKDIR] [-d SECONDS]
#                                 [--no-build] [--keep]
set -euo pipefail

N=10000000
WORK=${SA_BENCH_DIR:-/tmp/sessacct-api-bench}
DUR=15
BUILD=1
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N=$2; shift 2 ;;
	-w) WORK=$2; shift 2 ;;
	-d) DUR=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: $0 [-n SESSIONS] [-w WORKDIR] [-d SECONDS]" \
	    "[--no-build] [--keep]" >&2; exit 2 ;;
	esac
done
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${SA_BENCH_BUILD_DIR:-$SRC/build-apibench}
for t in wrk python3 cc; do
	command -v $t >/dev/null || { echo "api_bench: needs $t" >&2; exit 1; }
done

if [ $BUILD = 1 ]; then
	cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j"$(nproc)" --target sessacct-aggregator \
	    sessacct-api sessacct-capture sa_gen_pcap sa_store >/dev/null
	# shellcheck disable=SC2046
	cc -O2 -std=c11 -D_GNU_SOURCE -I"$SRC/common" -I"$SRC/aggregator" \
	    -o "$B/api_fill" "$SRC/tests/bench/api_fill.c" \
	    "$B/aggregator/libsa_store.a" "$B/common/libsa_common.a" \
	    $(pkg-config --libs rocksdb inih)
fi

mkdir -p "$WORK"
DB=$WORK/db-$N
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ $KEEP = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB," \
    "$(uname -r)"
if [ ! -f "$DB/.filled" ]; then
	rm -rf "$DB"
	"$B/api_fill" -d "$DB" -n "$N"
	touch "$DB/.filled"
else
	echo "api_fill: reusing $DB (its sessions end in the 24 h before it" \
	    "was filled)"
fi
echo "store size: $(du -sh "$DB" | cut -f1)"

rm -f "$WORK/agg.ready" "$WORK/api.ready"
"$B/aggregator/sessacct-aggregator" --set store.path="$DB" \
    --set store.retention_days=90 --set aggregator.listen=tcp://127.0.0.1:0 \
    --set aggregator.query_listen=tcp://127.0.0.1:0 \
    --ready-file "$WORK/agg.ready" 2>"$WORK/agg.log" &
PIDS+=($!)
for _ in $(seq 600); do [ -s "$WORK/agg.ready" ] && break; sleep 0.1; done
ING=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['ingest'])" "$WORK/agg.ready")
QRY=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['query'])" "$WORK/agg.ready")
"$B/api/sessacct-api" --set api.listen=127.0.0.1:0 --set api.aggregator="$QRY" \
    --set api.static_dir="$SRC/api/static" --ready-file "$WORK/api.ready" \
    --set api.aggregator_timeout_ms=120000 \
    2>"$WORK/api.log" &
PIDS+=($!)
for _ in $(seq 600); do [ -s "$WORK/api.ready" ] && break; sleep 0.1; done
HTTP=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['http'])" "$WORK/api.ready")
echo "aggregator $QRY, api http://$HTTP"

python3 - "$HTTP" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=60)

def get(path):
    t = time.perf_counter()
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    dt = (time.perf_counter() - t) * 1000
    if r.status != 200:
        raise SystemExit("%s: %d %s" % (path, r.status, body[:200]))
    return dt, body

def report(name, lat, target=None):
    lat = sorted(lat)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    verdict = ""
    if target is not None:
        verdict = "  (target p99 < %g ms: %s)" % (
            target, "PASS" if p(0.99) < target else "MISS")
    print("%-34s n=%-5d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms%s" %
          (name, len(lat), p(0.5), p(0.99), lat[-1], verdict))

dt, body = get("/api/sessions/stats?window_hours=24")
st = json.loads(body)
print("stats 24 h: total_sessions=%d bytes_sent=%d top user %s" %
      (st["total_sessions"], st["total_bytes_sent"],
       st["top_users"][0]["user"] if st["top_users"] else "-"))
# A slow window gets fewer samples, so the run stays bounded.
n = 100 if dt < 200 else 10
for _ in range(min(3, n)):
    get("/api/sessions/stats?window_hours=24")
report("GET /api/sessions/stats 24h", [get(
    "/api/sessions/stats?window_hours=24")[0] for _ in range(n)], 20)
report("GET /api/sessions/stats 1h", [get(
    "/api/sessions/stats?window_hours=1")[0] for _ in range(100)])

lat = []
for _ in range(200):
    lat.append(get("/api/sessions/history?limit=100")[0])
report("history page 1 (limit=100)", lat, 10)
lat, cursor = [], None
for _ in range(500):
    q = "/api/sessions/history?limit=100"
    if cursor:
        q += "&cursor=" + urllib.parse.quote(cursor)
    dt, body = get(q)
    lat.append(dt)
    cursor = json.loads(body)["next_cursor"]
report("history cursor walk (500 pages)", lat, 10)
lat = []
for i in range(300):
    lat.append(get("/api/sessions/history?limit=100&user=user%04d" %
                   (i % 2000))[0])
report("history user=... (limit=100)", lat, 10)
lat = []
for i in range(300):
    lat.append(get("/api/sessions/history?limit=100&dest_ip=198.18.%d.%d" %
                   ((i * 7) % 5000 >> 8, (i * 7) % 5000 & 255))[0])
report("history dest_ip=... (limit=100)", lat, 10)
lat = []
for i in range(100):
    lat.append(get("/api/sessions/history?limit=100&format=csv")[0])
report("history CSV page (limit=100)", lat)
lat = [get("/metrics")[0] for _ in range(200)]
report("GET /metrics (one client)", lat)
print("metrics body: %d bytes" % len(get("/metrics")[1]))
PY

# Ingest beside the scrapes: a synthetic capture replayed in a loop.
PCAP=$WORK/ingest.pcap
[ -f "$PCAP" ] || "$B/tests/bench/sa_gen_pcap" -o "$PCAP" -n 3000000 \
    -c 20000 >/dev/null
(
	i=0
	while :; do
		i=$((i + 1))
		"$B/capture/sessacct-capture" --read "$PCAP" --connect "$ING" \
		    --set capture.agent_id=bench$i >/dev/null 2>&1 || true
	done
) &
PIDS+=($!)
sleep 2
m0=$(curl -s "http://$HTTP/metrics" | awk '/^sessacct_aggregator_events_applied_total /{print $2}')
echo "== wrk: /metrics for ${DUR}s, 2 threads, 16 connections, ingest running"
wrk -t2 -c16 -d"${DUR}s" --latency "http://$HTTP/metrics" | tee "$WORK/wrk.txt"
m1=$(curl -s "http://$HTTP/metrics" | awk '/^sessacct_aggregator_events_applied_total /{print $2}')
RPS=$(awk '/Requests\/sec/{print $2}' "$WORK/wrk.txt")
echo "ingest during the run: $(( (${m1%.*} - ${m0%.*}) / DUR )) events/s applied"
awk -v r="$RPS" 'BEGIN { printf "/metrics: %.0f req/s (target >= 10000: %s)\n", r, ((r + 0 >= 10000) ? "PASS" : "MISS") }'
echo "== wrk: /api/sessions/stats?window_hours=1 for ${DUR}s, ingest running"
wrk -t2 -c8 -d"${DUR}s" --latency "http://$HTTP/api/sessions/stats?window_hours=1" | \
    grep -E "Requests/sec|99%|50%"
