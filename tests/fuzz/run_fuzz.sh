#!/usr/bin/env bash
# Builds the decode_fuzz libFuzzer target with clang and runs it for SECONDS over a copy of
# the committed seed corpus (the repository is never modified). Exits non-zero on any crash,
# sanitizer report or property violation; the reproducer is left in the artifact directory.
#
#   tests/fuzz/run_fuzz.sh SECONDS [extra libFuzzer flags...]
#
# Environment:
#   PMIPX_FUZZ_BUILD_DIR   build directory (default: <repo>/build-fuzz)
#   PMIPX_FUZZ_ARTIFACTS   where crash/timeout/oom inputs go (default: <build dir>/artifacts)
#   PMIPX_FUZZ_KEEP_CORPUS keep the temporary corpus copy (with the new inputs) if set to 1
#   CC, CXX                compilers (default: clang, clang++)
#   PMIPX_FUZZ_WERROR      passed as PMIPX_WERROR (default: ON)
#
# Re-run one reproducer:  <build dir>/decode_fuzz <artifact file>
set -euo pipefail

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
seconds=$1
shift

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
build_dir=${PMIPX_FUZZ_BUILD_DIR:-$repo/build-fuzz}
artifacts=${PMIPX_FUZZ_ARTIFACTS:-$build_dir/artifacts}
cc=${CC:-clang}
cxx=${CXX:-clang++}
case "$cxx" in
  *clang*) ;;
  *) echo "run_fuzz.sh: libFuzzer needs clang (CXX=$cxx)" >&2; exit 2 ;;
esac

generator=()
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi

echo "== configure $build_dir"
cmake -S "$repo" -B "$build_dir" "${generator[@]}" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPMIPX_FUZZ=ON -DPMIPX_TESTS=ON -DPMIPX_BENCH=OFF -DPMIPX_SANITIZE=OFF \
  -DPMIPX_WERROR="${PMIPX_FUZZ_WERROR:-ON}" >/dev/null
echo "== build decode_fuzz"
cmake --build "$build_dir" --target decode_fuzz

fuzzer=$build_dir/decode_fuzz
[[ -x "$fuzzer" ]] || { echo "run_fuzz.sh: $fuzzer was not built" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pmipx-fuzz.XXXXXX")
cleanup() {
  if [[ "${PMIPX_FUZZ_KEEP_CORPUS:-0}" == 1 ]]; then
    echo "== corpus kept in $work/corpus"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
mkdir -p "$work/corpus" "$artifacts"
cp "$script_dir"/corpus/* "$work/corpus/" 2>/dev/null || true
echo "== fuzzing for ${seconds}s over $(ls "$work/corpus" | wc -l) seeds (artifacts: $artifacts)"

# UBSan findings must be fatal (the target is compiled with -fno-sanitize-recover=all too).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

status=0
"$fuzzer" "$work/corpus" \
  -max_total_time="$seconds" -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" || status=$?

if [[ $status -ne 0 ]]; then
  echo "run_fuzz.sh: decode_fuzz FAILED (exit $status); reproducers:" >&2
  ls -l "$artifacts" >&2 || true
  exit "$status"
fi
echo "== no crash in ${seconds}s"
