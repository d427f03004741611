# lab/demo.sh - `pmipx lab demo`: a two-interface MN registers through two MAGs with a real
# LMA, narrated; then the six scenarios of issue 6, one numbered step each (`--list`,
# `--step N`). Sourced by lab.sh (LAB_NAME, STATE_DIR, PMIPX_BIN and its helpers are set).
# The lab stays up at the end so the reader can look around; `pmipx lab down` removes it.

DEMO_TITLES=(
  ""
  "seed 001, shared prefixes (RFC 7864 §3.2.1): flow Y moves from mag2 to mag1 with no signaling"
  "seed 001, different prefixes (§3.2.2): FMI/FMA, mag2 routes pref1 off-link without advertising it"
  "seed 002, multihoming: MuHo options in the PBAs, two flows to one address through two MAGs"
  "seed 003, primary HoA: IFP/P, downlink on if2 with a type 2 routing header, the hand-back"
  "seed 004, MAG multipath: RED and a TBF-shaped BLUE path, 3:1 per packet, a RED-pinned flow falls back to BLUE"
  "handover: the MN loses if1, its TCP flow continues through if2, if1 returns"
)
readonly DEMO_MN=mn1@example.com
readonly DEMO_RED=2001:db8:1::2 DEMO_BLUE=2001:db8:3::2 DEMO_MAG2=2001:db8:2::2 DEMO_CN=2001:db8:c::2
DEMO_VARIANT=""      # the configuration the lab runs with (see demo_configs)
DEMO_REBUILT=0       # whether demo_lab rebuilt the lab for this step
DEMO_PIDS=()         # background processes of the demo (captures, traffic), ended on exit
DEMO_T0=$SECONDS

demo_say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
demo_sub() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
demo_note() { printf '%s\n' "$*" | fold -s -w 96; }
demo_ctl() { "$PMIPX_BIN" ctl --lab "$LAB_NAME" "$@"; }
demo_die() { die "demo${DEMO_STEP:+ step $DEMO_STEP}: $* (daemon logs: $STATE_DIR/{lma,mag1,mag2,mn}.log)"; }

# demo_json NODE 'CTL ARGS' PYEXPR: evaluates PYEXPR over `pmipx ctl ... --json` (as d) and
# prints the result (JSON for lists and dicts); fails when the daemon does not answer.
demo_json() {
  local node=$1 args=$2 expr=$3 out
  # shellcheck disable=SC2086 # ARGS is a word list on purpose
  out=$(demo_ctl --node "$node" $args --json 2>/dev/null) || return 1
  /usr/bin/python3 -c "
import json, sys
d = json.loads(sys.argv[1])
r = ($expr)
print(json.dumps(r) if isinstance(r, (list, dict)) else r)" "$out" 2>/dev/null
}

# demo_poll SECONDS NODE 'CTL ARGS' PYEXPR: polls every 0.2 s until PYEXPR is true; fails
# when it is not within SECONDS. demo_until WHAT SECONDS ...: the same, or the demo ends.
demo_poll() {
  local secs=$1 i last=""
  for ((i = 0; i < secs * 5; i++)); do
    last=$(demo_json "$2" "$3" "$4") || last="(no answer)"
    [[ $last == True ]] && return 0
    sleep 0.2
  done
  return 1
}
demo_until() {
  local what=$1
  shift
  demo_poll "$@" || demo_die "timed out after $1 s waiting for $what"
}

# demo_wait_bindings N: until the LMA holds N active bindings (20 s at most).
demo_wait_bindings() {
  demo_until "$1 active bindings at the LMA" 20 lma bindings "sum(b['state'] == 'active' for b in d) == $1"
}

demo_wait_addresses() { # until the MN has N global addresses
  local want=$1 i n=0
  for ((i = 0; i < 100; i++)); do
    n=$(in_ns mn ip -6 -o addr show scope global | wc -l)
    ((n == want)) && return 0
    sleep 0.2
  done
  demo_die "the MN has $n global addresses, expected $want"
}

demo_addr() { # the MN's global address on an interface (waits 20 s for it)
  local i a
  for ((i = 0; i < 100; i++)); do
    a=$(in_ns mn ip -6 -o addr show dev "$1" scope global | awk '{print $4}' | cut -d/ -f1 | head -n 1)
    [[ -n $a ]] && { printf '%s\n' "$a"; return 0; }
    sleep 0.2
  done
  demo_die "no global address on the MN's $1"
}

demo_ping() { # ping from cn, 3 echoes, with the lab's raw-socket ping (no iputils needed)
  in_ns cn /usr/bin/python3 "$LAB_DIR/../tests/lab/ping6.py" -c 3 -i 0.1 -W 1 "$1" | tail -1 | sed "s|^|  ping $1: |"
}

demo_bid() { # the BID of the MN's active binding through the MAG with this proxy-CoA
  demo_json lma bindings "next(b['bid'] for b in d if b['proxy_coa'] == '$1' and b['state'] == 'active')" ||
    demo_die "no active binding through $1"
}

demo_prefix() { # the (first) prefix of the MN's active binding through this proxy-CoA
  demo_json lma bindings "next(b['prefixes'][0] for b in d if b['proxy_coa'] == '$1' and b['state'] == 'active')" ||
    demo_die "no active binding through $1"
}

readonly DEMO_UDP='
import socket, sys
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b"flow" * 8, (dst, port))'

demo_udp() { # NODE DST PORT N: N UDP datagrams from the node
  in_ns "$1" /usr/bin/python3 -c "$DEMO_UDP" "$2" "$3" "$4"
}

# Tunnel counters: demo_tunnels NODE > FILE saves them; demo_tunnel_delta NODE FILE [up]
# prints what each tunnel carried since (downlink: the LMA's tx; uplink: mag1's tx).
demo_tunnels() {
  if [[ $1 == lma ]]; then demo_ctl --node lma tunnels --json; else demo_ctl --node "$1" dataplane --json; fi
}
demo_tunnel_delta() {
  local now
  now=$(demo_tunnels "$1") || demo_die "no tunnel counters from $1"
  /usr/bin/python3 - "$1" "$(<"$2")" "$now" <<'PY'
import json, sys
node, before, after = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
names = {"2001:db8:1::2": "mag1 wan0 (RED)", "2001:db8:3::2": "mag1 wan1 (BLUE)", "2001:db8:2::2": "mag2"}
def rows(x):
    if node == "lma":
        return {t["remote"]: t for t in x}
    return {t["local"]: t for t in x["tunnels"]}
b, a = rows(before), rows(after)
for coa in sorted(a, key=lambda c: names.get(c, c)):
    t0 = b.get(coa, {"tx_packets": 0, "tx_bytes": 0})
    dp, db = a[coa]["tx_packets"] - t0["tx_packets"], a[coa]["tx_bytes"] - t0["tx_bytes"]
    if node == "lma":
        print(f"  tunnel lma -> {names.get(coa, coa)} [{coa}]: +{dp} packets, +{db} bytes")
    else:
        print(f"  tunnel {names.get(coa, coa)} [{coa}] -> lma: +{dp} packets, +{db} bytes")
PY
}

# demo_capture NODE IFACE FILE [FILTER]: dumpcap in the node, returns once it writes.
demo_capture() {
  local node=$1 ifc=$2 file=$3 filter=${4:-} i
  local args=(-q -P -i "$ifc" -w "$file")
  [[ -n $filter ]] && args+=(-f "$filter")
  ip netns exec "$(ns_of "$node")" dumpcap "${args[@]}" </dev/null >/dev/null 2>"$file.err" &
  DEMO_PIDS+=($!)
  for ((i = 0; i < 50; i++)); do
    grep -q '^File:' "$file.err" 2>/dev/null && return 0
    sleep 0.1
  done
  demo_die "dumpcap did not start in $node on $ifc: $(cat "$file.err")"
}

# Stops every capture (and anything else in the background): libpcap hands a ring block over
# only 250 ms after its first packet and dumpcap drops an unfinished one, hence the 0.5 s.
demo_stop_background() {
  local p
  ((${#DEMO_PIDS[@]} > 0)) || return 0
  sleep 0.5
  for p in "${DEMO_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${DEMO_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  DEMO_PIDS=()
}

demo_cleanup() {
  local p
  for p in "${DEMO_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
}

demo_decode() { # PCAP EGREP: the Mobility Header messages of a capture whose first line matches, in full
  "$PMIPX_BIN" decode "$1" | awk -v re="$2" '
    /^frame / { show = 0; next }
    /^[^ ]/ { show = ($0 ~ re) } show { print "  " $0 }' | cut -c1-140
}

# demo_wait_decoded PCAP EGREP: until a line of the running capture's decode matches (5 s at
# most): dumpcap hands packets over in blocks, up to 250 ms after they arrived.
demo_wait_decoded() {
  local i
  for ((i = 0; i < 25; i++)); do
    "$PMIPX_BIN" decode "$1" 2>/dev/null | grep -qE "$2" && return 0
    sleep 0.2
  done
  return 0  # the decode below shows what there is
}

# ---------------------------------------------------------------------------- configurations

# demo_configs VARIANT: writes the four configs of the lab's state dir for a step: the lab's
# defaults (lab.sh write_configs), changed with the same one-line edits the
# docs/scenarios pages show.
demo_configs() {
  local d=$STATE_DIR
  FRESH_CONFIG=1 write_configs
  case $1 in
    base) ;;  # if1 via mag1, if2 via mag2, each with its own prefix
    shared)   # seed 001 §3.2.1: if2 attaches sharing if1's prefix (HI 6)
      sed -i 's/features: {.*}/features: {shared_prefixes: true}/' "$d/lma.yaml"
      sed -i 's/ifp: 5}/ifp: 5, shared_prefixes: true}/' "$d/mn.yaml"
      ;;
    muho)     # seed 002: both MAGs ask for the MN's other prefixes
      sed -i 's/features: {.*}/features: {shared_prefixes: true, muho: true}/' "$d/lma.yaml"
      sed -i 's/"02:00:00:00:02:01"\]}/"02:00:00:00:02:01"], muho: true}/' "$d/mag1.yaml" "$d/mag2.yaml"
      ;;
    primary)  # seed 003: if1 holds the primary HoA, if2 has the higher priority
      sed -i 's/features: {.*}/features: {shared_prefixes: true, primary_hoa: true}/' "$d/lma.yaml"
      cat >"$d/mn.yaml" <<EOF
id: $DEMO_MN
rs_interval_ms: 500
primary_hoa: true
interfaces:
  - {interface: if1, att: wlan, ifp: 5, primary: true}
  - {interface: if2, att: eutran, ifp: 10}
dataplane: {mode: bpf, pin_dir: $d/bpf/mn}
api: {address: 127.0.0.1, port: 7782}
log: {level: debug}
EOF
      ;;
    multipath) # seed 004: mag1 registers the MN over wan0 (RED, label 1) and wan1 (BLUE, label 2)
      local policy='multipath:
  distribution: per-packet
  weights: {1: 3, 2: 1}
  rules:
    - {id: 1, priority: 10, selector: {protocol: udp, dst_ports: PORT}, labels: [1, 2]}'
      sed -i 's/features: {.*}/features: {shared_prefixes: true, multipath: true}/' "$d/lma.yaml"
      /usr/bin/python3 - "$d/lma.yaml" "${policy//PORT/7001}" <<'PY'
import sys
path, policy = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines(True)
i = next(n for n, l in enumerate(lines) if l.lstrip().startswith("features:"))
lines[i + 1:i + 1] = ["    " + l + "\n" for l in policy.splitlines()]
open(path, "w").write("".join(lines))
PY
      sed -i 's/"02:00:00:00:02:01"\]}/"02:00:00:00:02:01"], multipath: true}/' "$d/mag1.yaml"
      printf '%s\n' "${policy//PORT/7002}" >>"$d/mag1.yaml"
      sed -i '/interface: if2/d' "$d/mn.yaml"
      ;;
    unauthorized) # seed 004 fallback: the same mag1, an LMA profile without multipath
      demo_configs multipath
      sed -i -e 's/features: {.*}/features: {shared_prefixes: true}/' -e '/^    multipath:/,/^    [^ ]/{/^    multipath:/d;/^      /d}' "$d/lma.yaml"
      ;;
    handover) # both interfaces share one prefix; a de-registered entry goes after 500 ms; the
      # LMA's policy (seed 001 §3.3 attach rule) puts TCP port 5001 on any WLAN attachment
      sed -i 's/features: {.*}/features: {shared_prefixes: true}\n    attach_flows:\n      - {att: wlan, fid: 1, priority: 10, selector: {protocol: tcp, dst_ports: 5001}}/' "$d/lma.yaml"
      sed -i 's/^fixed_mag_link_local: .*/&\nmin_delay_before_bce_delete_ms: 500/' "$d/lma.yaml"
      sed -i -e 's/ifp: 10}/ifp: 10, shared_prefixes: true}/' -e 's/ifp: 5}/ifp: 5, shared_prefixes: true}/' \
        -e 's/^interfaces:/rs_interval_ms: 500\n&/' "$d/mn.yaml"
      ;;
    *) demo_die "unknown configuration $1" ;;
  esac
}

# demo_lab VARIANT: a lab running nothing yet with that configuration. The lab is rebuilt
# (down, up: about a second) so no state of the previous step (pinned BPF maps, routes,
# addresses) leaks into the next; the previous logs and captures are kept under demo/.
demo_lab() {
  local variant=$1 keep
  DEMO_REBUILT=0
  if [[ $DEMO_VARIANT == "$variant" ]] && [[ $(topology_state) == up ]]; then return 0; fi
  DEMO_REBUILT=1
  demo_stop_background
  keep=$(mktemp -d "${TMPDIR:-/tmp}/pmipx-demo.XXXXXX")
  if [[ -d $STATE_DIR/demo ]]; then
    local f
    for f in "$STATE_DIR"/*.log; do
      if [[ -f $f ]]; then cp "$f" "$STATE_DIR/demo/${DEMO_VARIANT:-old}-$(basename "$f")" || true; fi
    done
    cp -a "$STATE_DIR/demo/." "$keep/"
  fi
  cmd_down >/dev/null
  mkdir -p "$STATE_DIR"
  demo_configs "$variant"
  # shellcheck disable=SC2034 # read by cmd_up (lab.sh)
  NO_START=1
  cmd_up >/dev/null
  trap demo_cleanup EXIT   # cmd_up resets the EXIT trap
  mkdir -p "$STATE_DIR/demo"
  cp -a "$keep/." "$STATE_DIR/demo/"
  rm -rf "$keep"
  DEMO_VARIANT=$variant
}

demo_restart_note() { # after demo_lab
  if ((DEMO_REBUILT)); then
    demo_note "(This step's configuration: $*. The demo rebuilt the lab with it — lab down, up, new configs in $STATE_DIR — and starts the daemons afresh.)"
  else
    demo_note "(This step's configuration, $*, is the one the lab already runs.)"
  fi
}

# ---------------------------------------------------------------------------- introduction

demo_intro() {
  demo_say "pmipx demo: Proxy Mobile IPv6 with a two-interface mobile node"
  demo_note "Five network namespaces stand for five machines. The MN has two interfaces: if1 (Wi-Fi) is attached to mag1, if2 (LTE) to mag2. Each MAG registers the MN with the LMA (PBU/PBA over a raw Mobility Header socket), gets a home network prefix for that interface and advertises it to the MN in a Router Advertisement. The MN never signals: it just solicits routers and configures addresses."
  cat <<'TOPO'

      cn ---- lma (LMAA 2001:db8:ffff::1) ---- mag1 (wan0 2001:db8:1::2, wan1 2001:db8:3::2) ---- if1 ┐
                                         \---- mag2 (wan0 2001:db8:2::2) --------------------- if2 ┴ mn
TOPO
  demo_lab base
  local pcap=$STATE_DIR/demo/intro-lma.pcap
  demo_capture lma any "$pcap" "ip6 proto 135"
  demo_say "0.1 start the LMA and both MAGs, then the MN agent"
  cmd_start lma mag1 mag2
  cmd_start mn
  demo_wait_bindings 2
  demo_wait_addresses 2
  demo_note "Both interfaces are registered. The LMA's binding cache has one entry per interface, each with its own BID, proxy-CoA (the MAG) and prefix:"
  echo
  demo_ctl --node lma bindings
  demo_say "0.2 what each MAG advertised on its access link (the RA's prefixes)"
  demo_ctl --node mag1 links
  echo
  demo_ctl --node mag2 links
  demo_say "0.3 the MN configured one address per interface from those prefixes"
  demo_ctl --node mn interfaces
  echo
  in_ns mn ip -6 -br addr show scope global
  demo_say "0.4 the signaling, as the LMA logged it (one line per message)"
  grep -E ' (rx|tx) ' "$STATE_DIR/lma.log" | sed -E 's/^[0-9-]+ ([0-9:.]+) \[lma\] info: /\1 /' | cut -c1-150
  demo_say "0.5 if1 goes away: mag1 sees the link drop and de-registers it (lifetime 0)"
  in_ns mn ip link set if1 down
  demo_wait_bindings 1
  demo_ctl --node lma bindings
  demo_say "0.6 if1 comes back: a new RS, a new registration"
  in_ns mn ip link set if1 up
  demo_wait_bindings 2
  demo_ctl --node lma bindings
  demo_wait_addresses 2
  local a1 a2
  a1=$(demo_addr if1)
  a2=$(demo_addr if2)
  demo_say "0.7 traffic: cn pings both MN addresses through the LMA's tc eBPF tunnels (no ip6tnl)"
  demo_note "Downlink packets to an MN prefix follow a kernel route towards the MAG's link; a tc program on that link's egress encapsulates them (IPv6-in-IPv6, LMA -> proxy-CoA), the MAG's ingress program decapsulates them. The counters are the BPF maps':"
  echo
  demo_ping "$a1"
  demo_ping "$a2"
  demo_ctl --node lma tunnels
  demo_stop_background
  demo_say "0.8 every Mobility Header packet on the LMA's links, as tshark decodes it"
  tshark -r "$pcap" -Y mipv6 2>/dev/null | sed -E 's/^ +//' | cut -c1-120
  demo_oracle "$pcap"
}

demo_oracle() { # PCAP...: the shared oracle (tshark + scapy) judges every Mobility Header packet
  local oracle f
  oracle=$(dirname "$LAB_DIR")/../shared/oracles/mh_oracle.py
  [[ -f $oracle ]] || return 0
  for f in "$@"; do
    if /usr/bin/python3 "$oracle" "$f" >"$f.oracle.txt" 2>&1; then
      msg "oracle: all $(grep -c '^OK' "$f.oracle.txt") Mobility Header packets of $(basename "$f") are well formed (tshark + scapy checksum)"
    else
      cat "$f.oracle.txt"
      demo_die "the oracle found malformed packets in $f"
    fi
  done
}

# ---------------------------------------------------------------------------- the steps

demo_step_header() {
  DEMO_STEP=$1
  demo_say "step $1/6 — ${DEMO_TITLES[$1]}"
}

# if1 registers through mag1 first, then if2 through mag2: the order seed 001 and 002 describe
# (and the one that makes if1's prefix pref1).
demo_start_if1_then_if2() {
  cmd_start lma mag1 mn >/dev/null
  demo_wait_bindings 1
  cmd_start mag2 >/dev/null
  demo_wait_bindings 2
}

demo_step1() {
  demo_step_header 1
  demo_note "What the draft says: when a second MAG registers the MN's new interface with Handoff Indicator 6 (\"new interface, sharing prefixes\"), the LMA gives it the prefixes the MN already has. Both MAGs then route pref1, so a flow moves from one MAG to the other with no signaling at all: the LMA only points it at the other binding (Figures 1-3). What pmipx does: the MN agent's shared_prefixes option sets the S flag in the RSs of if2, mag2 sends HI 6, and the LMA makes a second binding cache entry with pref1; flows live in the LMA's flow mobility cache, and a move to a binding that already holds the prefix rewrites one tc eBPF flow rule."
  demo_lab shared
  demo_restart_note "shared_prefixes: true on if2 in mn.yaml"
  local pcap=$STATE_DIR/demo/step1-lma.pcap t=$STATE_DIR/demo/step1-tunnels.json
  demo_capture lma any "$pcap" "ip6 proto 135"
  demo_start_if1_then_if2
  local pref1 a1 a2 bid1 bid2
  pref1=$(demo_prefix $DEMO_RED)
  bid1=$(demo_bid $DEMO_RED)
  bid2=$(demo_bid $DEMO_MAG2)
  a1=$(demo_addr if1)
  a2=$(demo_addr if2)
  demo_sub "1.1 if1 attached via mag1, then if2 via mag2 with HI 6: both entries hold $pref1"
  demo_ctl --node lma bindings
  demo_json lma bindings "'\n'.join(f\"  BID {b['bid']} ({b['proxy_coa']}): shares_prefixes={b.get('shares_prefixes', False)}\" for b in d)"
  echo "  the MN: if1 $a1, if2 $a2 (one prefix, per-interface addresses)"
  echo "  mag2's PBU, decoded from the capture at the LMA:"
  demo_wait_decoded "$pcap" "hi=6"
  demo_decode "$pcap" "^PBU" | grep -E '^  (PBU|  Handoff|  HNP)' | tail -n 3 || true
  demo_sub "1.2 flow X (UDP port 5001) via mag1 (BID $bid1), flow Y (UDP port 5002) via mag2 (BID $bid2); 20 datagrams each from cn"
  demo_ctl --node lma flow set $DEMO_MN 1 10 "$bid1" "{dst: $pref1, protocol: udp, dst_ports: 5001}" >/dev/null
  demo_ctl --node lma flow set $DEMO_MN 2 20 "$bid2" "{dst: $pref1, protocol: udp, dst_ports: 5002}" >/dev/null
  demo_tunnels lma >"$t"
  demo_udp cn "$a1" 5001 20
  demo_udp cn "$a1" 5002 20
  demo_tunnel_delta lma "$t"
  demo_sub "1.3 move Y to mag1 (BID $bid1): no message on the wire"
  local mh0 fmi0
  demo_stop_background
  mh0=$("$PMIPX_BIN" decode "$pcap" | grep -c '^frame ')
  fmi0=$(demo_json lma stats "d['fmi_sent']")
  demo_capture lma any "$STATE_DIR/demo/step1-move.pcap" "ip6 proto 135"
  demo_ctl --node lma flow move $DEMO_MN 2 "$bid1" >/dev/null
  demo_until "the move of flow Y" 10 lma flows "any(f['fid'] == 2 and f['bids'] == [$bid1] and not f.get('pending') for f in d)"
  demo_tunnels lma >"$t"
  demo_udp cn "$a1" 5001 20
  demo_udp cn "$a2" 5002 20
  demo_tunnel_delta lma "$t"
  demo_stop_background
  echo "  Mobility Header messages during the move: $("$PMIPX_BIN" decode "$STATE_DIR/demo/step1-move.pcap" | grep -c '^frame ') (before it: $mh0, the registrations)"
  echo "  LMA fmi_sent: $fmi0 before, $(demo_json lma stats "d['fmi_sent']") after"
  demo_sub "1.4 Figure 3: the binding cache and the flow mobility cache"
  demo_ctl --node lma bindings
  echo
  demo_ctl --node lma flows
  demo_oracle "$pcap"
}

demo_step2() {
  demo_step_header 2
  demo_note "What the draft says: when if1 holds pref1 (via mag1) and if2 holds pref2 (via mag2), moving a flow to pref1 onto mag2 needs signaling: the LMA sends mag2 a Flow Mobility Initiate (an RFC 7077 Update Notification, reason 8) with pref1 in an HNP option with the L (off-link) flag and the flow's Flow Identification option; mag2 answers with a Flow Mobility Acknowledgement and routes pref1 to the MN without advertising it (Figure 4). What pmipx does: the LMA retransmits the FMI until the FMA and changes its tc eBPF flow rule only on FMA status 0 (131, 132 or silence roll the move back, reported by pmipx ctl flows); mag2 installs a route for pref1 via the MN's link-local address and keeps it out of its RAs."
  demo_lab base
  demo_restart_note "the lab's defaults: each interface with its own prefix"
  local pcap=$STATE_DIR/demo/step2-lma.pcap t=$STATE_DIR/demo/step2-tunnels.json
  cmd_start lma mag1 mag2 mn >/dev/null
  demo_wait_bindings 2
  local pref1 pref2 a1 bid1 bid2
  bid1=$(demo_bid $DEMO_RED)
  bid2=$(demo_bid $DEMO_MAG2)
  pref1=$(demo_prefix $DEMO_RED)
  pref2=$(demo_prefix $DEMO_MAG2)
  a1=$(demo_addr if1)
  demo_sub "2.1 if1 has pref1 = $pref1 via mag1 (BID $bid1), if2 pref2 = $pref2 via mag2 (BID $bid2); flow X (UDP to pref1, port 5001) via mag1"
  demo_ctl --node lma flow set $DEMO_MN 1 10 "$bid1" "{dst: $pref1, protocol: udp, dst_ports: 5001}" >/dev/null
  demo_ctl --node mag2 bindings
  demo_sub "2.2 move X to mag2: the FMI and the FMA, decoded by pmipx decode from a capture at the LMA"
  demo_capture lma any "$pcap" "ip6 proto 135"
  demo_ctl --node lma flow move $DEMO_MN 1 "$bid2" >/dev/null
  demo_until "the FMA" 10 lma flows "any(f['fid'] == 1 and f['bids'] == [$bid2] and not f.get('pending') for f in d)"
  demo_stop_background
  demo_decode "$pcap" "^(FMI|FMA|UPN|UPA) "
  demo_note "(pmipx decode calls the acknowledgement by its RFC 7077 name, UPA: with the FMI's sequence number and status 0 it is the FMA.)"
  demo_sub "2.3 mag2 routes pref1 (off-link) and advertises pref2 only"
  demo_ctl --node mag2 bindings
  echo
  demo_ctl --node mag2 links
  echo "  mag2# ip -6 route show $pref1"
  in_ns mag2 ip -6 route show "$pref1" | sed 's/^/  /'
  demo_sub "2.4 traffic from cn to $a1: 20 datagrams of X (port 5001), 20 of another flow (port 5002)"
  demo_tunnels lma >"$t"
  demo_udp cn "$a1" 5001 20
  demo_udp cn "$a1" 5002 20
  demo_tunnel_delta lma "$t"
  demo_ctl --node lma flows
  demo_oracle "$pcap"
}

demo_step3() {
  demo_step_header 3
  demo_note "What the draft says: a MAG asks for the MN's other prefixes with the MuHo option in its PBU and the LMA answers with one MuHo option per prefix of the MN's other sessions in the PBA (and updates MAGs registered earlier with an Update Notification). Every MAG can then route every prefix of the MN, so the LMA's 6-tuple policy sends flows to any of them with no further signaling, and a weak-host MN accepts any of its addresses on any interface. What pmipx does: MuHo prefixes become routes via the MN's link-local address, never advertised; the 6-tuple table is the flow mobility cache, and a move to a MuHo MAG sends no FMI."
  demo_lab muho
  demo_restart_note "muho: true for the MN in mag1.yaml and mag2.yaml"
  local pcap=$STATE_DIR/demo/step3-lma.pcap t=$STATE_DIR/demo/step3-tunnels.json
  demo_capture lma any "$pcap" "ip6 proto 135"
  demo_start_if1_then_if2
  local pref1 pref2 a1 bid1 bid2
  bid1=$(demo_bid $DEMO_RED)
  bid2=$(demo_bid $DEMO_MAG2)
  pref1=$(demo_prefix $DEMO_RED)
  pref2=$(demo_prefix $DEMO_MAG2)
  a1=$(demo_addr if1)
  demo_until "mag1 learning pref2" 10 mag1 bindings "d[0].get('muho_prefixes') == ['$pref2']"
  demo_until "mag2 learning pref1" 10 mag2 bindings "d[0].get('muho_prefixes') == ['$pref1']"
  demo_stop_background
  demo_sub "3.1 the PBAs (and mag1's update) with their MuHo options, decoded from the capture at the LMA"
  demo_decode "$pcap" "^(PBA|UPN|UPA) " | grep -E '^  (PBA|UPN|UPA|  MuHo|  HNP)' || true
  demo_sub "3.2 each MAG routes the other's prefix and advertises its own only"
  local m
  for m in mag1 mag2; do
    demo_json "$m" bindings "f\"  $m: prefixes {d[0]['prefixes']}, MuHo prefixes (routed) {d[0].get('muho_prefixes')}\""
    demo_json "$m" links "f\"  $m: advertised {d[0]['advertised']}\""
  done
  echo "  mag2# ip -6 route show $pref1"
  in_ns mag2 ip -6 route show "$pref1" | sed 's/^/  /'
  demo_sub "3.3 two flows to one address ($a1): port 5001 via mag1 (BID $bid1), port 5002 via mag2 (BID $bid2)"
  demo_ctl --node lma flow set $DEMO_MN 1 10 "$bid1" "{dst: $pref1, protocol: udp, dst_ports: 5001}" >/dev/null
  demo_ctl --node lma flow set $DEMO_MN 2 20 "$bid2" "{dst: $pref1, protocol: udp, dst_ports: 5002}" >/dev/null
  demo_until "both flows programmed" 10 lma flows "sum(1 for f in d if f['active']) == 2"
  local sink=$STATE_DIR/demo/step3-sink.txt
  in_ns mn /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(1.5)
print("ready", flush=True)
n = 0
try:
    while True:
        s.recv(2048)
        n += 1
except socket.timeout:
    pass
print(n)' "$a1" 5002 >"$sink" &
  local sink_pid=$! i
  for ((i = 0; i < 50; i++)); do grep -q ready "$sink" && break; sleep 0.1; done
  demo_tunnels lma >"$t"
  demo_udp cn "$a1" 5001 20
  demo_udp cn "$a1" 5002 20
  demo_tunnel_delta lma "$t"
  wait "$sink_pid" || true
  echo "  a socket on the MN bound to if1's address $a1, port 5002, received $(tail -n 1 "$sink") datagrams (they came in on if2)"
  echo "  LMA fmi_sent: $(demo_json lma stats "d['fmi_sent']")"
  demo_ctl --node lma flows
  demo_oracle "$pcap"
}

demo_step4() {
  demo_step_header 4
  demo_note "What the draft says: each MN interface has a priority (IFP) and one holds the primary HoA, the address correspondents know (P flag). Downlink to the primary HoA goes to the interface with the highest IFP; when that is not the primary one, the LMA replaces the destination with that interface's address and adds a type 2 routing header carrying the primary HoA, and the MN swaps them back. Uplink from that interface carries the primary HoA in a destination option, which the LMA turns back into the source. Raising the primary interface's IFP hands the traffic back (Figure 9). What pmipx does: IFP/P travel in an ND option of the MN's RSs to the MAG and in the MN-LL-ID option to the LMA; the LMA's and the MN's tc eBPF programs do the rewriting."
  demo_lab primary
  demo_restart_note "mn.yaml with primary_hoa: true, if1 IFP 5 and primary, if2 IFP 10, the MN's own tc data plane"
  cmd_start lma mag1 mag2 mn >/dev/null
  demo_wait_bindings 2
  local hoa a2 s=$STATE_DIR/demo/step4-lma-stats.json
  hoa=$(demo_addr if1)
  a2=$(demo_addr if2)
  demo_until "the LMA's rewrite" 15 lma dataplane "any(p['rewrites'] for p in d['kernel']['primary_hoa'])"
  demo_until "the MN's primary HoA route via if2" 15 mn dataplane "(d.get('primary_hoa_route') or {}).get('interface') == 'if2'"
  demo_sub "4.1 IFP and P at the LMA; the primary HoA is $hoa (if1), if2 has $a2 and the higher IFP"
  demo_ctl --node lma bindings
  echo
  demo_ctl --node mn interfaces
  demo_sub "4.2 cn pings the primary HoA: downlink via mag2 with a type 2 routing header, replies with the primary HoA option"
  local stats='d["kernel"]["stats"]'
  demo_json lma dataplane "$stats" >"$s"
  demo_capture mag2 acc0 "$STATE_DIR/demo/step4-mag2-acc0.pcap"
  demo_ping "$hoa"
  demo_stop_background
  demo_hoa_counters "$s"
  echo "  on mag2's access link (tshark): "
  tshark -r "$STATE_DIR/demo/step4-mag2-acc0.pcap" -Y "icmpv6.type == 128 || icmpv6.type == 129" -T fields \
    -e icmpv6.type -e ipv6.src -e ipv6.dst -e ipv6.routing.type -e ipv6.routing.mipv6.home_address -e ipv6.dstopts 2>/dev/null |
    awk -F'\t' '{ if ($1 == 128) printf "    echo request %s -> %s, routing header type %s, home address %s\n", $2, $3, $4, $5;
                  else printf "    echo reply   %s -> %s, destination options: %s\n", $2, $3, ($6 == "" ? "no" : "primary HoA option") }'
  demo_sub "4.3 raise if1's IFP to 20 (pmipx ctl --node mn ifp if1 20 primary): traffic returns to if1, no rewrite"
  demo_ctl --node mn ifp if1 20 primary >/dev/null
  demo_until "no rewrite at the LMA" 15 lma dataplane "not any(p['rewrites'] for p in d['kernel']['primary_hoa'])"
  demo_until "the MN's primary HoA route via if1" 15 mn dataplane "(d.get('primary_hoa_route') or {}).get('interface') == 'if1'"
  demo_json lma dataplane "$stats" >"$s"
  demo_capture mag1 acc0 "$STATE_DIR/demo/step4-mag1-acc0.pcap"
  demo_ping "$hoa"
  demo_stop_background
  demo_hoa_counters "$s"
  echo "  on mag1's access link: $(tshark -r "$STATE_DIR/demo/step4-mag1-acc0.pcap" -Y 'icmpv6.type == 128 && !ipv6.routing' 2>/dev/null | wc -l) plain echo requests to $hoa"
  demo_ctl --node lma bindings
}

demo_hoa_counters() { # FILE: the LMA's primary-HoA counters since FILE was written
  local now
  now=$(demo_json lma dataplane 'd["kernel"]["stats"]') || demo_die "no data-plane counters from the LMA"
  /usr/bin/python3 - "$(<"$1")" "$now" <<'PY'
import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for k, what in (("encap_hoa_rewritten", "downlink rewritten to if2's address + RH2"),
                ("decap_hoa_restored", "uplink source restored from the primary HoA option")):
    print(f"  LMA {k}: +{a.get(k, 0) - b.get(k, 0)} ({what})")
PY
}

demo_step5() {
  demo_step_header 5
  demo_note "What the draft says (RFC 8278): a MAG with several WAN links registers the MN over each, one proxy-CoA per link, with the MAG Multipath Binding option (access type, label, binding id) and the MAG Identifier option; the LMA keeps one binding per path, all with the MN's prefix, and both ends spread traffic over the paths, weighted per packet or per flow, or pin flows to labels (\"this over RED, else BLUE\"). What pmipx does: mag1 registers over wan0 (RED, label 1) and wan1 (BLUE, label 2, an \"LTE\" link shaped by a token bucket); both ends turn the same policy (3:1 per packet, UDP port 7001 down / 7002 up pinned to RED, else BLUE) into tc eBPF tunnel groups; when RED fails, mag1 de-registers that path over BLUE (Alternate CoA) and the pinned flow follows in both directions."
  demo_lab multipath
  demo_restart_note "multipath: true for the MN in mag1.yaml, the policy in mag1.yaml (uplink) and in the LMA's MN profile (downlink); mag2 stays off"
  local pcap=$STATE_DIR/demo/step5-lma.pcap t=$STATE_DIR/demo/step5-tunnels.json m=$STATE_DIR/demo/step5-mag1.json
  demo_capture lma any "$pcap" "ip6 proto 135"
  cmd_start lma mag1 mn >/dev/null
  demo_wait_bindings 2
  local a1
  a1=$(demo_addr if1)
  demo_until "the LMA's multipath plan" 15 lma dataplane "bool(d['kernel']['multipath'])"
  demo_until "mag1's multipath plan" 15 mag1 dataplane "bool(d['multipath'])"
  demo_stop_background
  demo_sub "5.1 two paths for one MN: the PBUs with their MAG Multipath Binding options, the binding cache"
  demo_decode "$pcap" "^PBU" | grep -E '^  (PBU|  MAG Multipath|  MAG Identifier)' | cut -c1-130 || true
  demo_ctl --node lma bindings
  echo "  mag1# tc qdisc show dev wan1   (BLUE, the \"LTE\" link)"
  in_ns mag1 tc qdisc show dev wan1 | grep -E 'tbf' | sed 's/^/  /' || echo "  (not shaped in this lab)"
  demo_sub "5.2 4000 datagrams from cn to $a1 (port 9): spread 3:1 per packet"
  demo_tunnels lma >"$t"
  demo_udp cn "$a1" 9 4000
  demo_tunnel_delta lma "$t" | tee "$t.out"
  /usr/bin/python3 - "$(<"$t.out")" <<'PY'
import re, sys
c = {m.group(1): int(m.group(2)) for m in re.finditer(r"\((RED|BLUE)\) \S+: \+(\d+) packets", sys.argv[1])}
red, blue = c.get("RED", 0), c.get("BLUE", 0)
print(f"  RED:BLUE = {red}:{blue} = {red / max(blue, 1):.2f}:1 (configured 3:1)")
PY
  demo_sub "5.3 the flow pinned to RED: 100 datagrams down (cn -> MN, port 7001) and 100 up (MN -> cn, port 7002)"
  demo_pinned "$a1"
  demo_sub "5.4 RED fails (mag1# ip link set wan0 down): the path is de-registered over BLUE, the pinned flow follows"
  in_ns mag1 sysctl -qw net.ipv6.conf.wan0.keep_addr_on_down=1
  in_ns mag1 ip link set wan0 down
  demo_until "RED de-registered" 15 lma bindings "[b['proxy_coa'] for b in d if b['state'] == 'active'] == ['$DEMO_BLUE']"
  demo_ctl --node lma bindings
  demo_pinned "$a1"
  echo "  mag1 path_failovers: $(demo_json mag1 counters "d.get('path_failovers')")"
  demo_sub "5.5 RED returns: mag1 registers the path again and the flow goes back"
  in_ns mag1 ip link set wan0 up
  local i
  for ((i = 0; i < 50; i++)); do in_ns mag1 ip -6 route | grep -q '^2001:db8:1::/64' && break; sleep 0.1; done
  in_ns mag1 ip -6 route replace 2001:db8:ffff::1/128 via 2001:db8:1::1 dev wan0
  demo_until "RED registered again" 40 lma bindings "sum(b['state'] == 'active' for b in d) == 2"
  # Both ends recompute their plan once the path is back: probe with 10 datagrams each way
  # until both directions of the pinned flow take RED again (15 s at most).
  for ((i = 0; i < 30; i++)); do
    [[ $(demo_pinned "$a1" 10 | grep -c '(RED) .*: +10 packets') == 2 ]] && break
    ((i < 29)) || demo_die "the pinned flow did not return to RED"
    sleep 0.5
  done
  demo_ctl --node lma bindings
  demo_pinned "$a1"
  demo_sub "5.6 an MN the LMA does not authorize for multipath: PBA status 180, mag1 falls back to one path"
  demo_note "(The LMA's MN profile without multipath; the lab is rebuilt with it.)"
  demo_lab unauthorized
  pcap=$STATE_DIR/demo/step5-unauthorized-lma.pcap
  demo_capture lma any "$pcap" "ip6 proto 135"
  cmd_start lma mag1 mn >/dev/null
  demo_wait_bindings 1
  demo_until "mag1's fallback" 15 mag1 counters "d.get('multipath_refused', 0) >= 1"
  demo_stop_background
  demo_decode "$pcap" "^PBA" | grep -E '^  PBA' || true
  demo_ctl --node lma bindings
  echo "  mag1 multipath_refused: $(demo_json mag1 counters "d.get('multipath_refused')")"
  demo_oracle "$pcap"
}

demo_pinned() { # DST [N]: which tunnels carry N (100) datagrams of the pinned flow each way
  local t=$STATE_DIR/demo/step5-pin.json m=$STATE_DIR/demo/step5-pin-mag1.json n=${2:-100}
  demo_tunnels lma >"$t"
  demo_udp cn "$1" 7001 "$n"
  demo_tunnel_delta lma "$t"
  demo_tunnels mag1 >"$m"
  demo_udp mn $DEMO_CN 7002 "$n"
  demo_tunnel_delta mag1 "$m"
}

demo_step6() {
  demo_step_header 6
  demo_note "Handover (RFC 5213 with RFC 7864's shared prefixes): both interfaces hold pref1 and the LMA's policy sends a TCP flow through mag1. When the MN loses if1, mag1 sees the carrier go and de-registers the MN (lifetime 0); the LMA drops the entry's traffic until MinDelayBeforeBCEDelete (500 ms here) runs out, then deletes the entry and the flow falls back to the MN's remaining binding (mag2), which routes the same prefix, so the TCP connection keeps running. When if1 returns, mag1 registers it again (HI 6, same prefix, a new BID) and the flow goes back to it as its policy says: the policy here is an attach rule (seed 001 §3.3, attach_flows in the LMA's MN profile) that puts TCP port 5001 on any WLAN attachment. A flow set by hand would stay inactive on the old BID until moved: the LMA never hands a BID that flows still name to a new registration, which may hold other prefixes."
  demo_lab handover
  demo_restart_note "shared_prefixes: true on both interfaces, rs_interval_ms: 500 in mn.yaml, min_delay_before_bce_delete_ms: 500 and an attach rule {att: wlan, fid: 1, selector: {protocol: tcp, dst_ports: 5001}} in lma.yaml"
  local t=$STATE_DIR/demo/step6-tunnels.json
  demo_start_if1_then_if2
  local a2 bid1
  bid1=$(demo_bid $DEMO_RED)
  a2=$(demo_addr if2)
  demo_until "the attach rule's flow on mag1" 10 lma flows "any(f['fid'] == 1 and f['bids'] == [$bid1] for f in d)"
  demo_sub "6.1 a TCP transfer from cn to $a2 (4 MB over 3 s), its flow (TCP port 5001) on mag1's BID $bid1"
  demo_ctl --node lma bindings
  local tcp=$LAB_DIR/../tests/lab/tcp_stream.py sink=$STATE_DIR/demo/step6-sink.json src=$STATE_DIR/demo/step6-source.json
  in_ns mn /usr/bin/python3 "$tcp" sink "$a2" 5001 --timeout 20 >"$sink" &
  local sink_pid=$! i
  for ((i = 0; i < 50; i++)); do grep -q listening "$sink" && break; sleep 0.1; done
  demo_tunnels lma >"$t"
  in_ns cn /usr/bin/python3 "$tcp" source "$a2" 5001 --bytes 4000000 --seconds 3 >"$src" &
  local src_pid=$!
  sleep 1
  demo_tunnel_delta lma "$t"
  demo_sub "6.2 the MN loses if1 (mn# ip link set if1 down)"
  demo_tunnels lma >"$t"
  local lost=$EPOCHREALTIME
  in_ns mn ip link set if1 down
  demo_until "mag1's entry gone" 10 lma bindings "[b['proxy_coa'] for b in d] == ['$DEMO_MAG2']"
  /usr/bin/python3 -c "import sys; print(f'  mag1 de-registered, the LMA deleted the entry {float(sys.argv[2]) - float(sys.argv[1]):.2f} s after the carrier loss')" "$lost" "$EPOCHREALTIME"
  demo_ctl --node lma bindings
  wait "$src_pid" || true
  wait "$sink_pid" || true
  demo_tunnel_delta lma "$t"
  /usr/bin/python3 - "$(<"$src")" "$(tail -n 1 "$sink")" <<'PY'
import json, sys
sent, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = got.get("sha256") == sent.get("sha256")
print(f"  TCP: sent {sent.get('bytes')} bytes (error: {sent.get('error')}), received {got.get('bytes')} (error: {got.get('error')}),"
      f" SHA-256 {'identical' if same else 'DIFFERENT'}")
PY
  demo_sub "6.3 if1 returns (mn# ip link set if1 up): registered again, the flow back on mag1"
  in_ns mn ip link set if1 up
  demo_wait_bindings 2
  local nbid back
  nbid=$(demo_bid $DEMO_RED)
  back="any(f['fid'] == 1 and f['active'] and f['bids'] == [$nbid] for f in d)"
  demo_until "the flow on mag1 again" 15 lma flows "$back"
  demo_ctl --node lma bindings
  echo
  demo_ctl --node lma flows
  demo_tunnels lma >"$t"
  in_ns mn /usr/bin/python3 "$tcp" sink "$a2" 5001 --timeout 20 >"$sink" &
  sink_pid=$!
  for ((i = 0; i < 50; i++)); do grep -q listening "$sink" && break; sleep 0.1; done
  in_ns cn /usr/bin/python3 "$tcp" source "$a2" 5001 --bytes 1000000 >"$src"
  wait "$sink_pid" || true
  echo "  another 1 MB TCP transfer:"
  demo_tunnel_delta lma "$t"
}

# ---------------------------------------------------------------------------- main

demo_usage() {
  cat <<'EOF'
usage: pmipx lab demo [--name NAME] [--list | --step N]
  (no option)  the introduction (registration, traffic), then steps 1-6 in order
  --list       print the steps
  --step N     the introduction, then step N only
EOF
}

lab_demo() {
  local only="" n
  while (($# > 0)); do
    case $1 in
      --list)
        for ((n = 1; n <= 6; n++)); do printf '%d. %s\n' "$n" "${DEMO_TITLES[$n]}"; done
        return 0
        ;;
      --step)
        (($# >= 2)) || die "demo: --step needs a number 1-6"
        only=$2
        shift
        ;;
      --step=*) only=${1#--step=} ;;
      --name) (($# >= 2)) || die "--name needs a value"; set_lab "$2"; shift ;;
      --name=*) set_lab "${1#--name=}" ;;
      -h | --help) demo_usage; return 0 ;;
      *) demo_usage >&2; die "demo: unknown argument '$1'" ;;
    esac
    shift
  done
  [[ -z $only || $only =~ ^[1-6]$ ]] || die "demo: --step takes a number 1-6 (see --list), not '$only'"
  if [[ $(topology_state 2>/dev/null || true) != absent ]]; then
    msg "a lab named $LAB_NAME exists: tearing it down for a fresh demo"
    cmd_down >/dev/null
  fi
  trap demo_cleanup EXIT
  demo_intro
  if [[ -n $only ]]; then
    "demo_step$only"
  else
    for ((n = 1; n <= 6; n++)); do "demo_step$n"; done
  fi
  demo_stop_background
  DEMO_STEP=""
  demo_say "the lab stays up (configuration of the last step): look around, then take it down"
  cat <<EOF2
  $PMIPX_BIN ctl --lab $LAB_NAME bindings           # the LMA's binding cache (add --json for scripts)
  $PMIPX_BIN ctl --lab $LAB_NAME --node mag1 bindings   # mag1's binding update list
  $PMIPX_BIN ctl --lab $LAB_NAME stats              # counters; 'metrics' for Prometheus text
  $PMIPX_BIN ctl --lab $LAB_NAME tunnels            # the tc eBPF tunnels and their counters
  $PMIPX_BIN ctl --lab $LAB_NAME flows              # the flow mobility cache
  $PMIPX_BIN lab exec --name $LAB_NAME mn ip -6 addr   # run anything in a node
  ls $STATE_DIR/demo/     # every step's captures and earlier daemon logs
  less $STATE_DIR/lma.log                 # daemon logs: lma, mag1, mag2, mn
  $PMIPX_BIN lab down --name $LAB_NAME     # remove everything
EOF2
  msg "demo finished in $((SECONDS - DEMO_T0)) s"
}
