#!/usr/bin/env bash
# bench/run_all.sh - run every benchmark of the repository, then write BENCHMARKS.md.
#
#   sudo bench/run_all.sh [--only latency,dataplane,signaling,micro] [--quick]
#                         [--build-dir DIR] [--out DIR] [--no-build] [--no-report]
#
# Parts (all by default, in this order):
#   latency    bench/latency/flow_move.py + handover.py (flow-move and handover latency)
#   dataplane  bench/dataplane/run.sh   (skipped with a note when the script is not there)
#   signaling  bench/signaling/run.sh   (likewise)
#   micro      BUILD/bench/wire_bench and BUILD/bench/engine_bench (Google Benchmark, JSON)
# then bench/report.py assembles BENCHMARKS.md at the repository root from OUT (default
# bench/results/): the machine, a headline section with the ratios, each part's fragment
# (OUT/<part>.md) and its plots.
#
# --quick       tiny runs (2 flow moves per case, 1 handover, quick modes of the other parts,
#               short micro-benchmarks): a smoke test of the whole chain, not figures to quote
# --build-dir   the CMake build tree with pmipx and the benchmarks (default: build); built with
#               ninja first unless --no-build
# Needs root for the lab parts. Idempotent: results are overwritten, one run at a time (a lock),
# and every lab the run makes is named $RUN_ALL_LAB_PREFIX... (default bltr): leftovers of a
# killed run are removed first, and on exit (also on failure or Ctrl-C) all of them are torn
# down with lab/lab.sh down.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
ALL_PARTS=(latency dataplane signaling micro)
ONLY=$(IFS=,; echo "${ALL_PARTS[*]}")
QUICK=0
BUILD_DIR=$REPO/build
OUT=$REPO/bench/results
NO_BUILD=0
REPORT=1
PREFIX=${RUN_ALL_LAB_PREFIX:-bltr}
ARGS_ORIG="$*"

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --only) ONLY=$2; shift ;;
    --quick) QUICK=1 ;;
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    --no-build) NO_BUILD=1 ;;
    --no-report) REPORT=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run_all: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -r -a PARTS <<<"$ONLY"
for p in "${PARTS[@]}"; do
  [[ " ${ALL_PARTS[*]} " == *" $p "* ]] || { echo "run_all: unknown part '$p' (${ALL_PARTS[*]})" >&2; exit 2; }
done
wants() { [[ ",$ONLY," == *",$1,"* ]]; }
log() { printf 'run_all: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]] && { wants latency || wants dataplane || wants signaling; }; then
  echo "run_all: the lab benchmarks need root (namespaces, bpffs); use --only micro otherwise" >&2
  exit 1
fi
mkdir -p "$OUT"

# One run at a time: a second run_all.sh would tear down this one's labs.
LOCK=/run/lock/pmipx-bench.lock
mkdir -p /run/lock
exec 9>"$LOCK"
flock -n 9 || { echo "run_all: another bench/run_all.sh holds $LOCK" >&2; exit 1; }

# ---------------------------------------------------------------------------- teardown
# Every lab this script makes is named $PREFIX...: latency PREFIX{fs,ff,ho}, and the other
# parts get --lab-prefix PREFIXdp / PREFIXsg when their script takes that option (a script
# that does not names and removes its own labs). We hold the lock, so any PREFIX... lab is
# ours: a leftover of a killed run is removed before, and everything after the run.
labs_of_ours() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX" | sed 's/-[^-]*$//' | sort -u || true
  ls -d /run/pmipx/"$PREFIX"* 2>/dev/null | xargs -rn1 basename || true
}
cleanup() {
  local lab
  for lab in $(labs_of_ours | sort -u); do
    log "tearing down lab $lab"
    PMIPX_BIN=$BUILD_DIR/pmipx bash "$REPO/lab/lab.sh" down --name "$lab" >/dev/null 2>&1 || true
  done
}
cleanup
CHILD=
on_signal() { # a part runs in the background so that a signal is handled at once
  if [[ -n $CHILD ]]; then
    pkill -TERM -P "$CHILD" 2>/dev/null || true   # the part's own process (python, bash run.sh)
    kill -TERM "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# ---------------------------------------------------------------------------- build
if [[ $NO_BUILD -eq 0 ]]; then
  if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building pmipx and the micro-benchmarks in $BUILD_DIR"
  ninja -C "$BUILD_DIR" pmipx wire_bench engine_bench
fi

# ---------------------------------------------------------------------------- parts
STATUS_FILE=$OUT/run_all.json
declare -A STATUS NOTE
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
WORK=$(mktemp -d /tmp/blt-run-all.XXXXXX)

run_part() { # name command... -> STATUS[name]
  local name=$1 t0 rc
  shift
  log "== $name: $*"
  t0=$(date +%s)
  set +e
  "$@" &
  CHILD=$!
  wait "$CHILD"
  rc=$?
  CHILD=
  set -e
  if [[ $rc -eq 0 ]]; then STATUS[$name]=ok; else STATUS[$name]=failed; NOTE[$name]="exit status $rc"; fi
  NOTE[$name]="${NOTE[$name]:-}${NOTE[$name]:+; }$(($(date +%s) - t0)) s"
  log "== $name: ${STATUS[$name]} (${NOTE[$name]})"
}

latency() {
  local fm=() ho=()
  [[ $QUICK -eq 1 ]] && fm=(--moves 2 --rtt-count 5 --dwell 0.2) && ho=(--cycles 1)
  rm -f "$OUT/latency.json"
  PMIPX_BIN=$BUILD_DIR/pmipx $PY "$REPO/bench/latency/flow_move.py" "${fm[@]}" --out "$OUT" \
    --lab-prefix "$PREFIX" --workdir "$WORK/latency" --no-render &&
    PMIPX_BIN=$BUILD_DIR/pmipx $PY "$REPO/bench/latency/handover.py" "${ho[@]}" --out "$OUT" \
      --lab-prefix "$PREFIX" --workdir "$WORK/latency" --no-render &&
    $PY "$REPO/bench/latency/render.py" "$OUT" >/dev/null
}

external() { # part script: run it with the options it understands
  local part=$1 script=$2 args=()
  grep -q -- '--build-dir' "$script" && args+=(--build-dir "$BUILD_DIR")
  # pmipx is built (or deliberately not) above: the part need not build it again
  grep -q -- '--no-build' "$script" && args+=(--no-build)
  grep -q -- '--out' "$script" && args+=(--out "$OUT")
  [[ $QUICK -eq 1 ]] && grep -q -- '--quick' "$script" && args+=(--quick)
  grep -q -- '--lab-prefix' "$script" && args+=(--lab-prefix "$PREFIX$([[ $part == dataplane ]] && echo dp || echo sg)")
  PMIPX_BIN=$BUILD_DIR/pmipx bash "$script" "${args[@]}"
}

micro() {
  local wire=() engine=()
  if [[ $QUICK -eq 1 ]]; then
    wire=(--benchmark_min_time=0.05)
    engine=(--benchmark_min_time=0.05 "--benchmark_filter=/10000\$")
  else
    wire=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
    engine=()
  fi
  "$BUILD_DIR/bench/wire_bench" "${wire[@]}" --benchmark_out="$OUT/micro_wire.json" \
    --benchmark_out_format=json >/dev/null &&
    "$BUILD_DIR/bench/engine_bench" "${engine[@]}" --benchmark_out="$OUT/micro_engine.json" \
      --benchmark_out_format=json >/dev/null &&
    $PY "$REPO/bench/report.py" --micro-only --out "$OUT"
}

for part in "${ALL_PARTS[@]}"; do
  wants "$part" || continue
  case $part in
    latency) run_part latency latency ;;
    dataplane | signaling)
      script=$REPO/bench/$part/run.sh
      if [[ -f $script ]]; then
        run_part "$part" external "$part" "$script"
      else
        STATUS[$part]=skipped NOTE[$part]="bench/$part/run.sh not present"
        log "== $part: skipped (${NOTE[$part]})"
      fi ;;
    micro)
      if [[ -x $BUILD_DIR/bench/wire_bench && -x $BUILD_DIR/bench/engine_bench ]]; then
        run_part micro micro
      else
        STATUS[micro]=skipped NOTE[micro]="$BUILD_DIR/bench/{wire,engine}_bench not built"
        log "== micro: skipped (${NOTE[micro]})"
      fi ;;
  esac
done

# ---------------------------------------------------------------------------- report
{
  printf '{"command": "bench/run_all.sh %s", "quick": %s, "started": "%s", "finished": "%s",' \
    "$ARGS_ORIG" "$([[ $QUICK -eq 1 ]] && echo true || echo false)" "$START" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf ' "load_start": %s, "load_end": %s, "build_dir": "%s", "parts": {' \
    "$LOAD_START" "$(cut -d' ' -f1 /proc/loadavg)" "$BUILD_DIR"
  sep=""
  for part in "${ALL_PARTS[@]}"; do
    wants "$part" || continue
    printf '%s"%s": {"status": "%s", "note": "%s"}' "$sep" "$part" "${STATUS[$part]}" "${NOTE[$part]:-}"
    sep=", "
  done
  printf '}}\n'
} >"$STATUS_FILE"
if [[ $REPORT -eq 1 ]]; then
  $PY "$REPO/bench/report.py" --out "$OUT" --output "$REPO/BENCHMARKS.md"
  log "wrote $REPO/BENCHMARKS.md"
fi
rc=0
for part in "${!STATUS[@]}"; do [[ ${STATUS[$part]} == failed ]] && rc=1; done
if [[ $rc -eq 0 ]]; then rm -rf "$WORK"; else log "captures and logs kept in $WORK"; fi
exit $rc
