#!/usr/bin/env bash
# What the enrichment byte budget and the snaplen cost (docs/PERFORMANCE.md):
# runs tests/bench/bench.sh --no-build once per setting and prints one line
# each from its RESULT: rate against the bare read (best, medians, median
# of each run against the bare read just before it), RSS
# bytes per concurrent session, the stream buffers' peak, handshakes
# answered, and connections given up for a gap (snaplen) or the budget.
# A benchmark, not a test. Build first (tests/bench/bench.sh does).
#
# usage: tests/bench/sweep.sh [-r RUNS] [budgets|snaplens|all]
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=5
WHAT=all
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=$2; shift 2 ;;
	budgets|snaplens|all) WHAT=$1; shift ;;
	*) sed -n 's/^# usage: //p' "$0" >&2; exit 2 ;;
	esac
done

kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p;T;q"; }
row() {	# label, then bench.sh arguments; SA_BENCH_CAPTURE_ARGS from env
	local label=$1 out res
	shift
	out=$("$SRC/tests/bench/bench.sh" --no-build -r "$RUNS" "$@") ||
	    { echo "bench.sh failed for $label" >&2; exit 1; }
	res=$(printf '%s\n' "$out" | sed -n 's/^RESULT //p')
	printf '%-28s %6s%% %6s%% %6s%% %7s %9s %7s %6s %6s %8s\n' "$label" \
	    "$(kv ratio_pct "$res")" "$(kv ratio_median_pct "$res")" \
	    "$(kv ratio_pair_median_pct "$res")" \
	    "$(kv bytes_per_session "$res")" \
	    "$(kv enrich_buffer_bytes_peak "$res")" \
	    "$(kv enrich_answers "$res")" "$(kv enrich_gap "$res")" \
	    "$(kv enrich_budget "$res")" "$(kv bare_pps "$res")"
}

printf '%-28s %7s %7s %7s %7s %9s %7s %6s %6s %8s\n' setting best median \
    pairs B/sess buf_peak answers gap budget bare_pps
if [ "$WHAT" != snaplens ]; then
	for b in 1k 2k 4k 16k; do
		SA_BENCH_CAPTURE_ARGS="--set capture.enrich_bytes=$b" \
		    row "enrich_bytes=$b"
	done
	SA_BENCH_CAPTURE_ARGS="--set capture.enrich=no" row "enrich=no"
fi
if [ "$WHAT" != budgets ]; then
	for l in 128 256 512 1514 65535; do
		SA_BENCH_CAPTURE_ARGS= row "snaplen=$l" -l "$l"
	done
fi
