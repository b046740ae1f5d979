#!/bin/sh
# Builds every libFuzzer target with clang (SA_FUZZ=ON, build-fuzz) and
# runs each for RUNS executions from its corpus (a scratch copy: the
# corpora in the tree are not changed). tests/run.sh calls it with a small
# RUNS when clang is installed; docs/TESTING.md records long runs:
#   tests/fuzz/run_fuzz.sh 10000000
# A finding stops the script with libFuzzer's report and the input saved
# as $WORK/crash-* (add it to the target's corpus once fixed).
# Usage: tests/fuzz/run_fuzz.sh [RUNS]   (default 20000)
set -eu
cd "$(dirname "$0")/../.."
RUNS=${1:-20000}
B=${SA_FUZZ_BUILD_DIR:-build-fuzz}
WORK=$(mktemp -d /tmp/sessacct-fuzz.XXXXXX)
TARGETS=${SA_FUZZ_TARGETS:-"decode wire l7 cfg api query row"}

CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSA_FUZZ=ON -DSA_BUILD_TESTS=ON >/dev/null
cmake --build "$B" -j"$(nproc)" --target \
	$(for t in $TARGETS; do printf 'fuzz_%s ' "$t"; done)
for t in $TARGETS; do
	case $t in
	decode)	corpus=tests/fuzz/corpus ;;
	l7)	corpus= ;;
	*)	corpus=tests/fuzz/corpus_$t ;;
	esac
	mkdir -p "$WORK/$t"
	start=$(date +%s)
	# -rss_limit_mb: the store target opens RocksDB.
	"$B/tests/fuzz/fuzz_$t" -runs="$RUNS" -rss_limit_mb=4096 \
		-artifact_prefix="$WORK/$t-" "$WORK/$t" $corpus \
		>"$WORK/$t.log" 2>&1 || {
		tail -40 "$WORK/$t.log"
		echo "fuzz_$t: FINDING (input and log in $WORK)" >&2
		exit 1
	}
	echo "fuzz_$t: $(grep -o 'Done [0-9]* runs' "$WORK/$t.log" | \
	    tail -1), $(( $(date +%s) - start )) s, no finding"
done
rm -rf "$WORK"
