#!/bin/bash
# Benchmark of one API over two aggregators (issue 11; docs/PERFORMANCE.md
# "API over two aggregators"). Not a test: it prints figures and exits 0
# whatever they are.
#
#   1. builds the daemons as Release in build-apibench, api_fill and
#      sa_api_multi_bench;
#   2. fills store A with N closed sessions (default 10,000,000) ending
#      over the last 24 hours, and stores B1 and B2 with the same N
#      sessions split by agent (api_fill -p 0/2 and -p 1/2: agents
#      proxy-00, -02, ... in B1, proxy-01, -03, ... in B2), so that B1 and
#      B2 hold between them exactly the sessions of A;
#   3. starts sessacct-aggregator on each store (loopback query sockets)
#      and two sessacct-api: "single" over A, "multi" over B1,B2;
#   4. sa_api_multi_bench: one keep-alive client per API, the same
#      requests to each in turn, p50/p99 per route and the ratio
#      multi/single (the goal: p99 within 2x); it also checks that both
#      APIs give the same totals and walk the same sessions;
#   5. removes the stores (unless --keep).
#
# usage: tests/bench/api_multi_bench.sh [-n SESSIONS] [-r REQUESTS]
#            [-k DEEP_PAGES] [-o ROUTE_PREFIX] [-w WORKDIR] [--no-build]
#            [--keep]
# -o measures only the routes whose name begins with ROUTE_PREFIX (as
# printed in the table), so that the CPU figures are that route's.
set -euo pipefail

N=10000000
REQ=200
DEEP=1000
ONLY=()
WORK=${SA_BENCH_DIR:-/tmp/sessacct-api-multi-bench}
BUILD=1
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N=$2; shift 2 ;;
	-r) REQ=$2; shift 2 ;;
	-k) DEEP=$2; shift 2 ;;
	-o) ONLY=(-o "$2"); shift 2 ;;
	-w) WORK=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: $0 [-n SESSIONS] [-r REQUESTS] [-k DEEP_PAGES]" \
	    "[-o ROUTE_PREFIX] [-w WORKDIR] [--no-build] [--keep]" >&2
	   exit 2 ;;
	esac
done
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${SA_BENCH_BUILD_DIR:-$SRC/build-apibench}
for t in python3 cc; do
	command -v $t >/dev/null || { echo "api_multi_bench: needs $t" >&2; exit 1; }
done

if [ $BUILD = 1 ]; then
	cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$B" -j2 --target sessacct-aggregator sessacct-api \
	    sa_store sa_api_multi_bench >/dev/null
	# shellcheck disable=SC2046
	cc -O2 -std=c11 -D_GNU_SOURCE -I"$SRC/common" -I"$SRC/aggregator" \
	    -o "$B/api_fill" "$SRC/tests/bench/api_fill.c" \
	    "$B/aggregator/libsa_store.a" "$B/common/libsa_common.a" \
	    $(pkg-config --libs rocksdb inih)
fi

mkdir -p "$WORK"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ $KEEP = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB," \
    "$(uname -r); load $(load)"
echo "== $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "N=$N, $REQ requests per route and API, deep pages after $DEEP"

# All three stores end at the same second; a kept set is reused whole.
if [ ! -f "$WORK/filled-$N" ]; then
	rm -rf "$WORK"/db-*
	END=$(date +%s)
	"$B/api_fill" -d "$WORK/db-a" -n "$N" -e "$END"
	"$B/api_fill" -d "$WORK/db-b1" -n "$N" -e "$END" -p 0/2
	"$B/api_fill" -d "$WORK/db-b2" -n "$N" -e "$END" -p 1/2
	echo "$END" >"$WORK/filled-$N"
else
	echo "api_fill: reusing the stores in $WORK (their sessions end in" \
	    "the 24 h before $(cat "$WORK/filled-$N"))"
fi
echo "store sizes: A $(du -sh "$WORK/db-a" | cut -f1)," \
    "B1 $(du -sh "$WORK/db-b1" | cut -f1), B2 $(du -sh "$WORK/db-b2" | cut -f1)"

ready() {
	for _ in $(seq 600); do [ -s "$1" ] && break; sleep 0.1; done
	python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}
declare -A PID
for s in a b1 b2; do
	rm -f "$WORK/agg-$s.ready"
	"$B/aggregator/sessacct-aggregator" --set store.path="$WORK/db-$s" \
	    --set store.retention_days=90 \
	    --set aggregator.listen=tcp://127.0.0.1:0 \
	    --set aggregator.query_listen=tcp://127.0.0.1:0 \
	    --ready-file "$WORK/agg-$s.ready" 2>"$WORK/agg-$s.log" &
	PIDS+=($!)
	PID[agg-$s]=$!
done
QA=$(ready "$WORK/agg-a.ready" query)
QB1=$(ready "$WORK/agg-b1.ready" query)
QB2=$(ready "$WORK/agg-b2.ready" query)
api() {
	rm -f "$WORK/api-$1.ready"
	"$B/api/sessacct-api" --set api.listen=127.0.0.1:0 \
	    --set api.aggregator="$2" --set api.aggregator_names="$3" \
	    --set api.static_dir="$SRC/api/static" \
	    --set api.aggregator_timeout_ms=120000 \
	    --ready-file "$WORK/api-$1.ready" 2>"$WORK/api-$1.log" &
	PIDS+=($!)
	PID[api-$1]=$!
}
api single "$QA" a
api multi "$QB1,$QB2" b1,b2
HS=$(ready "$WORK/api-single.ready" http)
HM=$(ready "$WORK/api-multi.ready" http)
echo "single: http://$HS over $QA; multi: http://$HM over $QB1,$QB2"
# CPU seconds (user + system) each process spent during the requests.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
    "/proc/${PID[$1]}/stat"; }
declare -A C0
for p in "${!PID[@]}"; do C0[$p]=$(cpu "$p"); done
echo "== load before: $(load)"
"$B/tests/bench/sa_api_multi_bench" -s "$HS" -m "$HM" -r "$REQ" -k "$DEEP" \
    "${ONLY[@]}"
echo "== load after: $(load)"
for p in agg-a api-single agg-b1 agg-b2 api-multi; do
	awk -v p="$p" -v a="$(cpu "$p")" -v b="${C0[$p]}" \
	    'BEGIN { printf "%s %.2f s  ", p, a - b }'
done
echo "(CPU during the requests)"
