#!/usr/bin/env bash
# bench/signaling/run.sh - the signaling-load and binding-scale benchmarks of issue 7.
#
#   bench/signaling/run.sh [--quick] [--mns N] [--mags M] [--window W] [--moves K]
#                          [--scale "100000 1000000"] [--out DIR]
#
# Builds a lab named bsg (lab/lab.sh up --no-start: namespaces bsg-{cn,lma,mag1,mag2,mn}),
# gives mag1's wan0 M proxy-CoAs (2001:db8:1::1000 + i, the emulated MAGs), writes an LMA
# config that authorizes them and serves every MN through `default_mn_profile`, starts
# `pmipx lma` in bsg-lma and `pmipx bench echo` beside it, and runs `pmipx bench signaling`
# in bsg-mag1 over the real veth path:
#   1. signaling with the data plane on (dataplane: bpf, as in the lab) and off (none):
#      echo bound, registrations, refreshes, refreshes at half the maximum rate, K flow moves
#      (second bindings, one flow each moved onto them through the management API, FMI answered
#      with FMA), de-registrations;
#   2. binding scale (data plane off: the BPF prefix map holds 65536 prefixes by default):
#      a fresh LMA per size, registrations then refreshes, VmRSS before and after.
# Writes DIR/signaling.json and DIR/signaling.md (+ PNG plots); DIR defaults to bench/results.
# The lab is always removed, also on failure or Ctrl-C. Needs root and a built pmipx
# (PMIPX_BIN, default build/pmipx).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PMIPX_BIN=${PMIPX_BIN:-$REPO/build/pmipx}
PYTHON=/usr/bin/python3
LAB=bsg
STATE=/run/pmipx/$LAB
MNS=20000
MAGS=16
WINDOW=64
MOVES=1000
SCALE="100000 1000000"
OUT=$REPO/bench/results
QUICK=0
ARGS=("$@")

while (($#)); do
  case $1 in
    --quick) QUICK=1; MNS=2000; MOVES=200; SCALE="20000" ;;
    --mns) MNS=$2; shift ;;
    --mags) MAGS=$2; shift ;;
    --window) WINDOW=$2; shift ;;
    --moves) MOVES=$2; shift ;;
    --scale) SCALE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root (network namespaces)" >&2; exit 2; }
[[ -x $PMIPX_BIN ]] || { echo "run.sh: $PMIPX_BIN is not built (set PMIPX_BIN)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/bsg.XXXXXX)
ECHO_PID=""
cleanup() {
  local rc=$?
  [[ -n $ECHO_PID ]] && kill "$ECHO_PID" 2>/dev/null && wait "$ECHO_PID" 2>/dev/null
  "$PMIPX_BIN" lab down --name "$LAB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mag_addr() { printf '2001:db8:1::%x' $((0x1000 + $1)); }

write_lma_config() { # dataplane-mode
  local i dp
  if [[ $1 == bpf ]]; then dp="{mode: bpf, pin_dir: $STATE/bpf/lma}"; else dp="{mode: none}"; fi
  {
    echo "address: 2001:db8:ffff::1"
    echo "mags:"
    for ((i = 0; i < MAGS; i++)); do echo "  - $(mag_addr "$i")"; done
    # 2^24 /64s: room for every scale run
    echo "pool: {prefix: 2001:db8:8000::/40, length: 64}"
    # flow mobility (seed 001) for the flow moves
    echo "default_mn_profile: {features: {shared_prefixes: true}}"
    echo "dataplane: $dp"
    # every address: the generator in mag1 reaches it through 2001:db8:1::1 (flow moves)
    echo "api: {address: \"::\", port: 7780}"
    # warn: no line per message (the lab default is debug); see the notes in signaling.md
    echo "log: {level: warn}"
  } >"$STATE/lma.yaml"
}

start_lma() { # dataplane-mode
  "$PMIPX_BIN" lab stop --name "$LAB" lma >/dev/null 2>&1 || true
  write_lma_config "$1"
  "$PMIPX_BIN" lab start --name "$LAB" lma >/dev/null
  LMA_PID=$(<"$STATE/lma.pid")
}

# Datagrams the kernel dropped at the LMA's Mobility Header sockets (receive queue full):
# the drops column of /proc/net/raw6 for protocol 135 (0x87) in the lma namespace.
lma_mh_drops() {
  ip netns exec "$LAB-lma" awk 'NR > 1 && $2 ~ /:0087$/ { d += $NF } END { print d + 0 }' /proc/net/raw6
}

generator() { # out.json args...
  local out=$1
  shift
  ip netns exec "$LAB-mag1" "$PMIPX_BIN" bench signaling --mags "$MAGS" --window "$WINDOW" \
    --lma-pid "$LMA_PID" --json "$@" >"$out" || true   # timeouts are reported, not fatal
  lma_mh_drops >"${out%.json}.drops"
}

echo "bench: lab $LAB up"
"$PMIPX_BIN" lab down --name "$LAB" >/dev/null 2>&1 || true
"$PMIPX_BIN" lab up --name "$LAB" --no-start >/dev/null
{
  for ((i = 0; i < MAGS; i++)); do echo "addr add $(mag_addr "$i")/64 dev wan0 nodad"; done
} | ip -n "$LAB-mag1" -6 -batch -
ip netns exec "$LAB-lma" "$PMIPX_BIN" bench echo >"$WORK/echo.log" 2>&1 &
ECHO_PID=$!
for ((i = 0; i < 50; i++)); do   # its socket is open once it says so
  grep -qs "echoing protocol" "$WORK/echo.log" && break
  sleep 0.1
done

for dp in bpf none; do
  echo "bench: signaling, $MNS MNs over $MAGS MAGs, window $WINDOW, data plane $dp"
  start_lma "$dp"
  generator "$WORK/signaling_$dp.json" --mns "$MNS" --moves "$MOVES" --api "[2001:db8:1::1]:7780" \
    --note "LMA data plane: $dp"
done
for n in $SCALE; do
  echo "bench: binding scale, $n MNs (data plane none)"
  start_lma none
  generator "$WORK/scale_$n.json" --mns "$n" --phases register,refresh --timeout-ms 5000 \
    --note "binding scale: fresh LMA, data plane none"
done
"$PMIPX_BIN" lab stop --name "$LAB" lma >/dev/null 2>&1 || true

mkdir -p "$OUT"
"$PYTHON" "$REPO/bench/signaling/render.py" --work "$WORK" --out "$OUT" \
  --command "bench/signaling/run.sh ${ARGS[*]}" --mns "$MNS" --mags "$MAGS" --window "$WINDOW" --moves "$MOVES" \
  --scale "$SCALE" \
  --quick "$QUICK"
echo "bench: wrote $OUT/signaling.json and $OUT/signaling.md"
