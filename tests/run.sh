#!/bin/sh
# The README's test command: installs dependencies, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer and -Werror, runs every
# test layer. Usage: tests/run.sh [ctest arguments, e.g. -L unit]
set -eu
cd "$(dirname "$0")/.."
deploy/install-deps.sh
BUILD=${SA_BUILD_DIR:-build-test}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug \
	-DSA_WERROR=ON -DSA_ASAN=ON -DSA_UBSAN=ON -DSA_BUILD_TESTS=ON
cmake --build "$BUILD" -j"$(nproc)"
cd "$BUILD"
ctest --output-on-failure -j"$(nproc)" "$@"
