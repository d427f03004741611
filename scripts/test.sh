#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the normal tree and an
# ASan+UBSan tree, runs every ctest (unit, cli, oracle, lint) in both, then the decoder fuzzer
# for a bounded time. Exit status 0 only if all of it passed.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${PMIPX_FUZZ_SECONDS:-60}

scripts/setup.sh

echo "== build (RelWithDebInfo)"
scripts/build.sh build
echo "== ctest (RelWithDebInfo)"
(cd build && ctest --output-on-failure -j2)

echo "== build (ASan + UBSan)"
scripts/build.sh build-asan -DPMIPX_SANITIZE=ON -DPMIPX_BENCH=OFF
echo "== ctest (ASan + UBSan)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j2)

echo "== fuzz decoder for ${FUZZ_SECONDS}s"
tests/fuzz/run_fuzz.sh "$FUZZ_SECONDS"

echo "== all tests passed"
