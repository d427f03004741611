#!/usr/bin/env bash
# bench/dataplane/run.sh - data-plane benchmark of pmipx (issue 7): cn -> MN packets per second
# with 64-octet IPv6/UDP packets and TCP throughput (iperf3), for
#   (a) plain   - plain IPv6 forwarding through the lab's namespaces, static routes, no pmipx
#   (b) bpf     - pmipx lma/mag1/mn with the tc eBPF data plane, with N flow rules at the LMA
#   (c) nfqueue - every packet through an NFQUEUE at the LMA, classified in user space against
#                 N rules (bench/dataplane/nfq_classify.c), a mark, fwmark routing; forwarded
#                 natively (no tunnel: this kernel has no ip6tnl)
# Writes OUT/dataplane.json, OUT/dataplane.md, OUT/dataplane_pps.png, OUT/dataplane_tcp.png.
#
#   sudo bench/dataplane/run.sh [--quick] [--runs N] [--duration S] [--rules "1 1000 100000"]
#        [--build-dir DIR] [--out DIR] [--lab-prefix bdp] [--install api|attach]
#        [--schemes "plain bpf nfqueue"] [--no-build]
# --no-build: do not (re)build pmipx (the C tools are always compiled, with cc, into
# BUILD_DIR/bench/dataplane).
#
# --quick: 1 run of 1 s, 10 rules (the smoke test). Everything it creates (labs PREFIXs and
# PREFIXb, processes) is removed on exit, also on failure or Ctrl-C.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/bench/dataplane
PY=/usr/bin/python3

RUNS=3
DURATION=5
WARMUP=1
RULES="1 1000 100000"
BUILD_DIR=$REPO/build
OUT=$REPO/bench/results
LAB_PREFIX=bdp
INSTALL=auto        # how filler flow rules get in: api (POST /flows/set), attach (attach_flows)
QUICK=0
SCHEMES="plain bpf nfqueue"
BUILD=1
PAYLOAD=16          # UDP payload: 40 (IPv6) + 8 (UDP) + 16 = a 64-octet IPv6 packet
TCP_OMIT=1          # iperf3 -O: seconds of slow start left out of the result
SEND_CPU=0
RECV_CPU=1
ARGS_ORIG="$*"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1; RUNS=1; DURATION=1; WARMUP=0.5; TCP_OMIT=0; RULES=10 ;;
    --runs) RUNS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --rules) RULES=$2; shift ;;
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    --lab-prefix) LAB_PREFIX=$2; shift ;;
    --install) INSTALL=$2; shift ;;
    --schemes) SCHEMES=$2; shift ;;
    --no-build) BUILD=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "run.sh: needs root (namespaces, bpffs, NFQUEUE)" >&2; exit 1; }
[[ $INSTALL =~ ^(auto|api|attach)$ ]] || { echo "run.sh: --install is api or attach" >&2; exit 2; }
for n in $RULES; do [[ $n =~ ^[0-9]+$ && $n -ge 1 ]] || { echo "run.sh: bad rule count $n" >&2; exit 2; }; done

LAB_S=${LAB_PREFIX}s          # (a) and (c): the lab topology, no daemons, static routes
LAB_B=${LAB_PREFIX}b          # (b): the lab with pmipx lma, mag1, mn
PMIPX=$BUILD_DIR/pmipx
TOOLS=$BUILD_DIR/bench/dataplane
WORK=$(mktemp -d /tmp/bdp-run.XXXXXX)
RAW=$WORK/raw.jsonl
PIDS=()

# `pmipx lab ARGS` is `PMIPX_BIN=<it> bash lab/lab.sh ARGS` (lab/README.md); calling the script
# directly works before pmipx is built, which (a) and (c) do not need.
lab_cmd() { PMIPX_BIN=$PMIPX bash "$REPO/lab/lab.sh" "$@"; }
log() { printf 'run.sh: %s\n' "$*" >&2; }
ns() { echo "$1-$2"; }                            # lab node -> namespace
nx() { local lab=$1 node=$2; shift 2; ip netns exec "$lab-$node" "$@"; }

cleanup() {
  local rc=$?
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  lab_cmd down --name "$LAB_S" >/dev/null 2>&1
  lab_cmd down --name "$LAB_B" >/dev/null 2>&1
  if [[ $rc -ne 0 ]]; then
    log "failed (exit $rc); work files kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------ build
build_pmipx() {
  if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    log "configuring $BUILD_DIR"
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building pmipx in $BUILD_DIR"
  ninja -C "$BUILD_DIR" pmipx >/dev/null
}

build_tools() {
  mkdir -p "$TOOLS"
  local cflags=(-O2 -g -Wall -Wextra)
  cc "${cflags[@]}" -o "$TOOLS/udp_flood" "$HERE/udp_flood.c"
  cc "${cflags[@]}" -o "$TOOLS/udp_sink" "$HERE/udp_sink.c"
  cc "${cflags[@]}" -o "$TOOLS/nfq_classify" "$HERE/nfq_classify.c" -lnetfilter_queue -lnfnetlink
}

# ------------------------------------------------------------------------------ measuring
# pps LAB DST -> JSON line: udp_sink's window (interface and socket counts) and the sender's numbers
measure_pps() {
  local lab=$1 dst=$2 sink_out=$WORK/sink.out flood_out=$WORK/flood.out rx0 rx1
  rx0=$(nx "$lab" mn cat /sys/class/net/if1/statistics/rx_packets)
  ip netns exec "$lab-mn" "$TOOLS/udp_sink" -p 9000 -w "$WARMUP" -t "$DURATION" -c "$RECV_CPU" -T 3 -i if1 >"$sink_out" &
  local sink=$!
  PIDS+=("$sink")
  sleep 0.3
  local total
  total=$($PY -c "print($WARMUP + $DURATION + 0.5)")
  ip netns exec "$lab-cn" "$TOOLS/udp_flood" -d "$dst" -p 9000 -P 9001 -l "$PAYLOAD" -t "$total" -c "$SEND_CPU" >"$flood_out"
  wait "$sink" || true
  rx1=$(nx "$lab" mn cat /sys/class/net/if1/statistics/rx_packets)
  $PY - "$sink_out" "$flood_out" "$((rx1 - rx0))" <<'EOF'
import json, sys
sink = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
flood = json.loads(open(sys.argv[2]).read())
# pps: packets the MN's interface received in the window (the forwarding path's output);
# socket_pps: what the receiving socket got (bounded by the receiver process as well)
print(json.dumps({"pps": sink.get("if_pps", 0), "if_packets": sink.get("if_packets", 0),
                  "socket_pps": sink["pps"], "packets": sink["packets"], "seconds": sink["seconds"],
                  "complete": sink.get("complete", False), "offered_pps": flood["pps"],
                  "sent": flood["sent"], "received_total": sink["total"], "if1_rx_packets": int(sys.argv[3])}))
EOF
}

# tcp LAB DST -> JSON line
measure_tcp() {
  local lab=$1 dst=$2 out=$WORK/iperf.json
  ip netns exec "$lab-mn" iperf3 -s -1 -A "$RECV_CPU" -p 5201 >/dev/null 2>&1 &
  local srv=$!
  PIDS+=("$srv")
  sleep 0.4
  if ! ip netns exec "$lab-cn" iperf3 -6 -c "$dst" -p 5201 -t "$DURATION" -O "$TCP_OMIT" -A "$SEND_CPU" -J >"$out" 2>&1; then
    log "iperf3 to $dst failed: $(head -c 400 "$out")"
  fi
  wait "$srv" 2>/dev/null || true
  $PY - "$out" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    e = d["end"]
    print(json.dumps({"bps": e["sum_received"]["bits_per_second"], "bytes": e["sum_received"]["bytes"],
                      "seconds": e["sum_received"]["seconds"], "retransmits": e["sum_sent"].get("retransmits", 0)}))
except Exception as exc:  # iperf3 failed: record zero, the report says so
    print(json.dumps({"bps": 0, "bytes": 0, "seconds": 0, "retransmits": 0, "error": str(exc)[:200]}))
EOF
}

summary() { $PY -c 'import json,sys; u=json.loads(sys.argv[1]); t=json.loads(sys.argv[2]); print("%.1f kpps, %.2f Gbit/s" % (u["pps"] / 1e3, t["bps"] / 1e9))' "$1" "$2"; }

# record SCHEME RULES RUN EXTRA_JSON: measures both and appends one line to RAW
record() {
  local lab=$1 dst=$2 scheme=$3 rules=$4 run=$5 extra=${6:-'{}'} pps tcp
  pps=$(measure_pps "$lab" "$dst")
  tcp=$(measure_tcp "$lab" "$dst")
  $PY -c 'import json,sys; print(json.dumps({"scheme": sys.argv[1], "rules": int(sys.argv[2]), "run": int(sys.argv[3]),
    "udp": json.loads(sys.argv[4]), "tcp": json.loads(sys.argv[5]), "extra": json.loads(sys.argv[6])}))' \
    "$scheme" "$rules" "$run" "$pps" "$tcp" "$extra" >>"$RAW"
  log "$scheme rules=$rules run $run: $(summary "$pps" "$tcp")"
}

# ------------------------------------------------------------------------------ (a) and (c)
MN_STATIC=2001:db8:8000::1:1
static_lab() {
  log "lab $LAB_S: topology with static routes (no pmipx daemons)"
  lab_cmd up --name "$LAB_S" --no-start >/dev/null
  nx "$LAB_S" mn ip -6 addr add "$MN_STATIC/64" dev if1 nodad
  nx "$LAB_S" mn ip -6 route add default via fe80::1 dev if1
  nx "$LAB_S" mag1 ip -6 route add 2001:db8:8000::/64 dev acc0
  nx "$LAB_S" mag1 ip -6 route add 2001:db8:c::/64 via 2001:db8:1::1 dev wan0
  nx "$LAB_S" lma ip -6 route add 2001:db8:8000::/64 via 2001:db8:1::2 dev mag1a
}

nfq_on() {
  nx "$LAB_S" lma ip -6 route del 2001:db8:8000::/64
  nx "$LAB_S" lma ip -6 route add 2001:db8:8000::/64 via 2001:db8:1::2 dev mag1a table 200
  nx "$LAB_S" lma ip -6 rule add fwmark 0x1 lookup 200 pref 100
  nx "$LAB_S" lma ip6tables -t mangle -A PREROUTING -i cn0 -d 2001:db8:8000::/64 -j NFQUEUE --queue-num 0
}

run_plain() {
  local r
  for ((r = 1; r <= RUNS; r++)); do record "$LAB_S" "$MN_STATIC" plain 0 "$r"; done
}

run_nfqueue() {
  local n r stats=$WORK/nfq.stats pid
  for n in $RULES; do
    for ((r = 1; r <= RUNS; r++)); do
      rm -f "$stats"
      ip netns exec "$LAB_S-lma" "$TOOLS/nfq_classify" -q 0 -n "$n" -m 1 -D 2001:db8:8000::/64 -c "$RECV_CPU" -s "$stats" 2>>"$WORK/nfq.log" &
      pid=$!
      PIDS+=("$pid")
      sleep 0.3
      kill -0 "$pid" 2>/dev/null || { log "nfq_classify died: $(tail -3 "$WORK/nfq.log")"; exit 1; }
      local pps tcp
      pps=$(measure_pps "$LAB_S" "$MN_STATIC")
      tcp=$(measure_tcp "$LAB_S" "$MN_STATIC")
      kill "$pid"
      wait "$pid" 2>/dev/null || true
      $PY -c 'import json,sys; print(json.dumps({"scheme": "nfqueue", "rules": int(sys.argv[1]), "run": int(sys.argv[2]),
        "udp": json.loads(sys.argv[3]), "tcp": json.loads(sys.argv[4]), "extra": {"classifier": json.loads(open(sys.argv[5]).read())}}))' \
        "$n" "$r" "$pps" "$tcp" "$stats" >>"$RAW"
      log "nfqueue rules=$n run $r: $(summary "$pps" "$tcp")"
    done
  done
}

# ------------------------------------------------------------------------------ (b)
# Flow rules: the measured MN (mn1@example.com) holds min(N, 32) of them - the BPF data plane
# checks at most 32 ordered rules per MN (PMIPX_DP_MAX_RULES_PER_OWNER) - : N-1 that do not
# match (UDP/TCP to ports 20000+) ahead of the one that does ({dst: its prefix}, priority
# 1000). The rest are 32 per "filler" MN (f<i>@bdp.example), each registered with a real PBU
# from mag2's address (mag2's daemon is not started) so its rules are real flow mobility
# cache entries with a BID and real BPF rule-map entries under their own owner.
PLAN=$WORK/plan.json
plan_rules() {
  $PY - "$PLAN" "$INSTALL" $RULES <<'EOF'
import json, sys
out, install, counts = sys.argv[1], sys.argv[2], sorted(int(x) for x in sys.argv[3:])
stages, mns = [], 0
for n in counts:
    mn1 = min(n, 32)
    filler = n - mn1
    have = sum(s["filler_rules"] for s in stages)
    new = max(0, filler - have)
    per = []
    while new > 0:
        k = min(32, new)
        per.append(k)
        new -= k
    # auto: rules through the API while that takes under ~10 s (~2 ms a rule here), else the
    # extra MNs' rules as attach_flows of their profiles, installed with their PBUs
    mode = install if install != "auto" else ("api" if sum(per) <= 5000 else "attach")
    stages.append({"rules": n, "mn1_rules": mn1, "filler_rules": filler, "first_mn": mns + 1, "new_mns": per,
                   "mode": mode})
    mns += len(per)
json.dump({"stages": stages, "filler_mns": mns}, open(out, "w"))
EOF
}

# lma.yaml for LAB_B: mn1 with no extension features (one tunnel, no RH2 rewrite: the plain
# encapsulation path) and one profile per filler MN; in a stage installed by "attach" each
# filler profile lists its rules as attach_flows (installed when its PBU is accepted).
write_lma_config() {
  local dir=/run/pmipx/$LAB_B
  mkdir -p "$dir"
  $PY - "$PLAN" "$dir" >"$dir/lma.yaml" <<'EOF'
import json, sys
plan, d = json.load(open(sys.argv[1])), sys.argv[2]
print(f"""address: 2001:db8:ffff::1
mags: [2001:db8:1::2, 2001:db8:3::2, 2001:db8:2::2]
pool: {{prefix: 2001:db8:8000::/48, length: 64}}
fixed_mag_link_local: fe80::1
dataplane: {{mode: bpf, pin_dir: {d}/bpf/lma}}
api: {{address: 127.0.0.1, port: 7780}}
log: {{level: warn}}
mns:
  - id: mn1@example.com""")
i = 0
for st in plan["stages"]:
    for k in st["new_mns"]:
        i += 1
        print(f"  - id: f{i}@bdp.example")
        if st["mode"] == "attach":
            print("    attach_flows:")
            for j in range(k):
                proto = "tcp" if j & 1 else "udp"
                print(f"      - {{att: wlan, fid: {j + 1}, priority: {j + 1}, selector: {{protocol: {proto}, dst_ports: {20000 + j}}}}}")
EOF
}

ctl() { "$PMIPX" ctl --netns "$LAB_B-lma" --json "$@"; }

bpf_lab() {
  log "lab $LAB_B: pmipx lma, mag1, mn with the tc eBPF data plane"
  lab_cmd up --name "$LAB_B" --no-start >/dev/null
  lab_cmd start --name "$LAB_B" lma mag1 mn >/dev/null
  local i addr=""
  for ((i = 0; i < 100; i++)); do
    addr=$(ip -n "$LAB_B-mn" -6 -o addr show dev if1 scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1)
    [[ -n $addr ]] && break
    sleep 0.1
  done
  [[ -n $addr ]] || { log "the MN got no address on if1 within 10 s"; exit 1; }
  MN_BPF=$addr
  MN1_BID=$(ctl bindings | $PY -c 'import json,sys; b=[x for x in json.load(sys.stdin) if x["mn"]=="mn1@example.com"]; print(b[0]["bid"])')
  MN1_PREFIX=$(ctl bindings | $PY -c 'import json,sys; b=[x for x in json.load(sys.stdin) if x["mn"]=="mn1@example.com"]; print(b[0]["prefixes"][0])')
  log "mn1: $MN_BPF (prefix $MN1_PREFIX, BID $MN1_BID)"
  # cn -> MN through the tunnel and back (the MN's uplink goes through mag1's tunnel too)
  for ((i = 0; i < 40; i++)); do
    ip netns exec "$LAB_B-cn" $PY "$REPO/tests/lab/ping6.py" -c 1 -W 0.25 "$MN_BPF" >/dev/null 2>&1 && return 0
  done
  log "cn cannot reach the MN ($MN_BPF) through pmipx within 10 s"
  exit 1
}

# install_stage STAGE_INDEX -> JSON line with timings
install_stage() {
  local idx=$1
  $PY - "$PLAN" "$idx" "$MN1_PREFIX" "$MN1_BID" "$WORK/stage.jsonl" "$WORK/stage.env" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1])); idx = int(sys.argv[2])
prefix, bid = sys.argv[3], int(sys.argv[4])
st = plan["stages"][idx]
mode = st["mode"]
prev_mn1 = plan["stages"][idx - 1]["mn1_rules"] if idx else 0
lines = []
# mn1: non-matching rules first (FIDs 2.., priorities 1..), the matching one is FID 1, priority 1000
for j in range(max(prev_mn1 - 1, 0), st["mn1_rules"] - 1):
    proto = "tcp" if j & 1 else "udp"
    lines.append({"mn": "mn1@example.com", "fid": j + 2, "priority": j + 1, "bids": [bid],
                  "selector": {"protocol": proto, "dst_ports": 20000 + j}})
if idx == 0:
    lines.append({"mn": "mn1@example.com", "fid": 1, "priority": 1000, "bids": [bid], "selector": {"dst": prefix}})
first = st["first_mn"]
if mode == "api":
    for i, k in enumerate(st["new_mns"]):
        for j in range(k):
            proto = "tcp" if j & 1 else "udp"
            lines.append({"mn": f"f{first + i}@bdp.example", "fid": j + 1, "priority": j + 1, "bids": [1],
                          "selector": {"protocol": proto, "dst_ports": 20000 + j}})
with open(sys.argv[5], "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
with open(sys.argv[6], "w") as f:
    f.write(f"FIRST={first}\nCOUNT={len(st['new_mns'])}\nMODE={mode}\n")
EOF
  local FIRST COUNT MODE reg='{"accepted": 0, "rejected": 0, "seconds": 0}' flows
  # shellcheck disable=SC1091
  source "$WORK/stage.env"
  if [[ $COUNT -gt 0 ]]; then
    reg=$(ip netns exec "$LAB_B-mag2" $PY "$HERE/lma_load.py" register --src 2001:db8:2::2 --lma 2001:db8:ffff::1 \
      --prefix f --first "$FIRST" --count "$COUNT") || { log "registration failed: $reg"; exit 1; }
  fi
  flows=$(ip netns exec "$LAB_B-lma" $PY "$HERE/lma_load.py" flows --api 127.0.0.1:7780 --file "$WORK/stage.jsonl") ||
    { log "flow rules failed: $flows"; exit 1; }
  echo "{\"mode\": \"$MODE\", \"registration\": $reg, \"api\": $flows}"
}

# counts what the LMA holds: flow mobility cache entries (GET /flows) and live rules in the
# pinned BPF maps (sum of pmx_rule_sets counts: the rules the encap program walks)
lma_rule_counts() {
  local flows sets
  flows=$(ctl flows | $PY -c 'import json,sys; f=json.load(sys.stdin); m=[x for x in f if x["mn"]=="mn1@example.com" and x["fid"]==1]; print(json.dumps({"cache": len(f), "mn1_rule_packets": (m[0].get("packets") or 0) if m else 0}))')
  sets=$(find "/run/pmipx/$LAB_B/bpf/lma" -name pmx_rule_sets | head -1)
  bpftool -j map dump pinned "$sets" | $PY -c '
import json, sys
flows = json.loads(sys.argv[1])
n = 0
for e in json.load(sys.stdin):
    f = e.get("formatted")
    if f is not None:
        n += f["value"]["count"]
    else:  # raw octets, little endian: count is the first __u16
        v = [int(x, 16) for x in e["value"]]
        n += v[0] | v[1] << 8
flows["kernel_rules"] = n
print(json.dumps(flows))' "$flows"
}

run_bpf() {
  plan_rules
  write_lma_config
  bpf_lab
  local idx=0 n r inst counts sorted
  sorted=$(printf '%s\n' $RULES | sort -n | tr '\n' ' ')
  for n in $sorted; do
    log "bpf: installing flow rules up to $n"
    inst=$(install_stage "$idx")
    counts=$(lma_rule_counts)
    log "bpf: $n rules: install $inst; LMA holds $counts"
    for ((r = 1; r <= RUNS; r++)); do
      local before after
      before=$(lma_rule_counts)
      record "$LAB_B" "$MN_BPF" bpf "$n" "$r" \
        "$($PY -c 'import json,sys; print(json.dumps({"install": json.loads(sys.argv[1]), "lma": json.loads(sys.argv[2])}))' "$inst" "$counts")"
      after=$(lma_rule_counts)
      $PY - "$RAW" "$before" "$after" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
last = json.loads(lines[-1])
b, a = json.loads(sys.argv[2]), json.loads(sys.argv[3])
last["extra"]["matching_rule_packets"] = a["mn1_rule_packets"] - b["mn1_rule_packets"]
lines[-1] = json.dumps(last)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
    done
    idx=$((idx + 1))
  done
}

# ------------------------------------------------------------------------------ main
has() { [[ " $SCHEMES " == *" $1 "* ]]; }
"$REPO/scripts/setup.sh" >/dev/null || { log "scripts/setup.sh failed (missing packages)"; exit 1; }
if [[ $BUILD -eq 1 ]] && has bpf; then build_pmipx; fi
[[ -x $PMIPX ]] || ! has bpf || { log "$PMIPX not found (build it, or drop --no-build)"; exit 1; }
build_tools
: >"$RAW"
T0=$(date +%s)
if has plain || has nfqueue; then static_lab; fi
if has plain; then run_plain; fi
if has bpf; then
  run_bpf
  lab_cmd down --name "$LAB_B" >/dev/null
fi
if has nfqueue; then
  nfq_on
  run_nfqueue
fi
lab_cmd down --name "$LAB_S" >/dev/null

mkdir -p "$OUT"
$PY "$HERE/report.py" --raw "$RAW" --out "$OUT" --command "bench/dataplane/run.sh${ARGS_ORIG:+ $ARGS_ORIG}" \
  --runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" --payload "$PAYLOAD" --send-cpu "$SEND_CPU" \
  --recv-cpu "$RECV_CPU" --tcp-omit "$TCP_OMIT" --quick "$QUICK" --elapsed "$(($(date +%s) - T0))"
log "wrote $OUT/dataplane.json, $OUT/dataplane.md and plots"
