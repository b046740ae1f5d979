#!/bin/sh
# The README's test command: installs dependencies, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer and -Werror and runs every
# test layer; then builds with ThreadSanitizer and runs them again (all
# but three e2e groups bound by time: the crash tests, whose paced replay
# takes minutes under TSan, and the hostile-input tests, whose megabyte
# messages stall a TSan-built aggregator for seconds under load; and the
# real-proxy tests, whose live capture and proxies have deadlines).
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
TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp second_deadlock_stack=1" \
	ctest --output-on-failure -j"$(nproc)" \
	-E '^(e2e_pipeline_(crash|hostile)|e2e_proxies_(print|history))$' "$@"
