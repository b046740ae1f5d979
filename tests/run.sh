#!/bin/sh
# The README's test command: installs dependencies, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer and -Werror and runs every
# test layer; runs the libFuzzer targets briefly when clang is there; then
# builds with ThreadSanitizer and runs what has threads to race: the unit
# and decode layers and the e2e groups that drive the threaded paths of
# every daemon (the agent's capture and engine threads, the aggregator's
# ingest, query and export threads, the API's workers and its parallel
# queries to several aggregators). The other e2e groups (crash replays,
# hostile input, packaging, deployment files, real proxies, store damage,
# privileges) test behaviour the ASan pass already covers, at a cost in
# time under TSan the suite cannot afford.
# Usage: tests/run.sh [ctest arguments, e.g. -L unit]
# SA_SKIP_TSAN=1 skips the second pass; SA_BUILD_DIR and SA_TSAN_BUILD_DIR
# name the build directories (build-test, build-tsan).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
deploy/install-deps.sh
BUILD=${SA_BUILD_DIR:-build-test}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug \
	-DSA_WERROR=ON -DSA_ASAN=ON -DSA_UBSAN=ON -DSA_BUILD_TESTS=ON
cmake --build "$BUILD" -j"$(nproc)"
(cd "$BUILD" && ctest --output-on-failure -j"$(nproc)" "$@")

# The libFuzzer targets, briefly, when clang is there (SA_SKIP_FUZZ=1 not).
if [ "${SA_SKIP_FUZZ:-0}" != 1 ] && command -v clang >/dev/null 2>&1; then
	tests/fuzz/run_fuzz.sh "${SA_FUZZ_RUNS:-20000}"
else
	echo "libFuzzer runs skipped (clang not installed, or SA_SKIP_FUZZ=1)"
fi

[ "${SA_SKIP_TSAN:-0}" = 1 ] && exit 0
TBUILD=${SA_TSAN_BUILD_DIR:-build-tsan}
cmake -S . -B "$TBUILD" -DCMAKE_BUILD_TYPE=Debug \
	-DSA_WERROR=ON -DSA_TSAN=ON -DSA_BUILD_TESTS=ON
cmake --build "$TBUILD" -j"$(nproc)"
cd "$TBUILD"
export TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp second_deadlock_stack=1"
ctest --output-on-failure -j"$(nproc)" -L 'unit|decode' "$@"
ctest --output-on-failure -j"$(nproc)" -R \
	'^(e2e_pipeline_replay|e2e_api_(data|errors)|e2e_live|e2e_export_single|e2e_multi|e2e_security_curve)$' "$@"
