# lab/demo.sh - `pmipx lab demo`: a two-interface MN registers through two MAGs with a real
# LMA, narrated. Sourced by lab.sh (LAB_NAME, STATE_DIR, PMIPX_BIN and its helpers are set).
# The lab stays up at the end so the reader can look around; `pmipx lab down` removes it.

demo_say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
demo_note() { printf '%s\n' "$*" | fold -s -w 96; }
demo_ctl() { "$PMIPX_BIN" ctl --lab "$LAB_NAME" "$@"; }

# demo_wait_bindings N: until the LMA holds N active bindings (20 s at most).
demo_wait_bindings() {
  local want=$1 n=-1 i
  for ((i = 0; i < 100; i++)); do
    n=$(demo_ctl --node lma bindings --json 2>/dev/null |
      /usr/bin/python3 -c 'import json,sys; print(sum(b["state"] == "active" for b in json.load(sys.stdin)))' 2>/dev/null) || n=-1
    [[ $n == "$want" ]] && return 0
    sleep 0.2
  done
  die "demo: expected $want active bindings at the LMA, have $n (see $STATE_DIR/*.log)"
}

demo_wait_addresses() { # until the MN has N global addresses
  local want=$1 i n=0
  for ((i = 0; i < 100; i++)); do
    n=$(in_ns mn ip -6 -o addr show scope global | wc -l)
    ((n == want)) && return 0
    sleep 0.2
  done
  die "demo: the MN has $n global addresses, expected $want"
}

demo_ping() { # ping from cn, 3 echoes, with the lab's raw-socket ping (no iputils needed)
  in_ns cn /usr/bin/python3 "$LAB_DIR/../tests/lab/ping6.py" -c 3 -i 0.1 "$1" | tail -1 | sed "s|^|  ping $1: |"
}

demo_bid() { # the BID of the MN's binding through the MAG with this proxy-CoA
  demo_ctl --node lma bindings --json | /usr/bin/python3 -c \
    "import json,sys; print(next(b['bid'] for b in json.load(sys.stdin) if b['proxy_coa'] == '$1' and b['state'] == 'active'))"
}

lab_demo() {
  if [[ $(topology_state 2>/dev/null || true) != absent ]]; then
    msg "a lab named $LAB_NAME exists: tearing it down for a fresh demo"
    cmd_down >/dev/null
  fi
  demo_say "pmipx demo: Proxy Mobile IPv6 with a two-interface mobile node"
  demo_note "Five network namespaces stand for five machines. The MN has two interfaces: if1 (Wi-Fi) is attached to mag1, if2 (LTE) to mag2. Each MAG registers the MN with the LMA (PBU/PBA over a raw Mobility Header socket), gets a home network prefix for that interface and advertises it to the MN in a Router Advertisement. The MN never signals: it just solicits routers and configures addresses."
  cat <<'TOPO'

      cn ---- lma (LMAA 2001:db8:ffff::1) ---- mag1 (wan0 2001:db8:1::2, wan1 2001:db8:3::2) ---- if1 ┐
                                         \---- mag2 (wan0 2001:db8:2::2) --------------------- if2 ┴ mn
TOPO
  NO_START=1
  cmd_up >/dev/null
  local pcap=$STATE_DIR/demo-lma.pcap
  ip netns exec "$(ns_of lma)" dumpcap -q -P -i any -f "ip6 proto 135" -w "$pcap" </dev/null >/dev/null 2>&1 &
  local cap_pid=$!
  # shellcheck disable=SC2064 # the pid is meant to be expanded now
  trap "kill -INT $cap_pid 2>/dev/null || true" EXIT
  sleep 1
  demo_say "1. start the LMA and both MAGs, then the MN agent"
  cmd_start lma mag1 mag2
  cmd_start mn
  demo_wait_bindings 2
  demo_wait_addresses 2
  demo_note "Both interfaces are registered. The LMA's binding cache has one entry per interface, each with its own BID, proxy-CoA (the MAG) and prefix:"
  echo
  demo_ctl --node lma bindings
  demo_say "2. what each MAG advertised on its access link (the RA's prefixes)"
  demo_ctl --node mag1 links
  echo
  demo_ctl --node mag2 links
  demo_say "3. the MN configured one address per interface from those prefixes"
  demo_ctl --node mn interfaces
  echo
  in_ns mn ip -6 -br addr show scope global
  demo_say "4. the signaling, as the LMA logged it (one line per message)"
  grep -E ' (rx|tx) ' "$STATE_DIR/lma.log" | sed -E 's/^[0-9-]+ ([0-9:.]+) \[lma\] info: /\1 /' | cut -c1-150
  demo_say "5. if1 goes away: mag1 sees the link drop and de-registers it (lifetime 0)"
  in_ns mn ip link set if1 down
  demo_wait_bindings 1
  demo_ctl --node lma bindings
  demo_say "6. if1 comes back: a new RS, a new registration"
  in_ns mn ip link set if1 up
  demo_wait_bindings 2
  demo_ctl --node lma bindings
  demo_wait_addresses 2
  local a1 a2 bid1 bid2
  a1=$(in_ns mn ip -6 -o addr show dev if1 scope global | awk '{print $4}' | cut -d/ -f1)
  a2=$(in_ns mn ip -6 -o addr show dev if2 scope global | awk '{print $4}' | cut -d/ -f1)
  bid1=$(demo_bid 2001:db8:1::2)
  bid2=$(demo_bid 2001:db8:2::2)
  demo_say "7. traffic: cn pings both MN addresses through the LMA's tc eBPF tunnels (no ip6tnl)"
  demo_note "Downlink packets to an MN prefix follow a kernel route towards the MAG's link; a tc program on that link's egress encapsulates them (IPv6-in-IPv6, LMA -> proxy-CoA), the MAG's ingress program decapsulates them. The counters are the BPF maps':"
  echo
  demo_ping "$a1"
  demo_ping "$a2"
  demo_ctl --node lma tunnels
  demo_say "8. move one flow: ICMPv6 to $a1 goes through mag2 from now on"
  demo_note "The flow is set on BID $bid1 (mag1) and moved to BID $bid2 (mag2). Its prefix is not on mag2's link, so the LMA first tells mag2 with a Flow Mobility Initiate (HNP with L=1); mag2 routes the prefix towards the MN without advertising it and answers with a Flow Mobility Acknowledge; only then does the LMA change its flow rule. Other traffic to the same address stays on mag1."
  echo
  demo_ctl --node lma flow set mn1@example.com 1 10 "$bid1" "{dst: $a1, protocol: icmpv6}" >/dev/null
  demo_ctl --node lma flow move mn1@example.com 1 "$bid2" >/dev/null
  sleep 0.5
  demo_ctl --node lma flows
  echo
  demo_ping "$a1"
  demo_ctl --node lma tunnels
  demo_note "The tunnel to mag2 (2001:db8:2::2) carried the echo requests; the replies came back from the MN's if1 address through mag1, as its source routing says."
  sleep 0.7
  kill -INT "$cap_pid" 2>/dev/null || true
  wait "$cap_pid" 2>/dev/null || true
  demo_say "9. every Mobility Header packet on the LMA's links, as tshark decodes it"
  tshark -r "$pcap" -Y mipv6 2>/dev/null | sed -E 's/^ +//' | cut -c1-120
  demo_note "tshark 4.0 does not know RFC 7077's Update Notification (19) and its Acknowledgement (20), which RFC 7864 uses as FMI and FMA; pmipx decode does:"
  "$PMIPX_BIN" decode "$pcap" | grep -E '^(FMI|FMA|UPN|UPA) ' | cut -c1-150
  local oracle
  oracle=$(dirname "$LAB_DIR")/../shared/oracles/mh_oracle.py
  if [[ -f $oracle ]]; then
    if /usr/bin/python3 "$oracle" "$pcap" >"$STATE_DIR/demo-oracle.txt" 2>&1; then
      msg "oracle: all $(grep -c '^OK' "$STATE_DIR/demo-oracle.txt") Mobility Header packets are well formed (tshark + scapy checksum)"
    else
      cat "$STATE_DIR/demo-oracle.txt"
      die "demo: the oracle found malformed packets"
    fi
  fi
  demo_say "the lab stays up: look around, then take it down"
  cat <<EOF2
  $PMIPX_BIN ctl bindings                 # the LMA's binding cache (add --json for scripts)
  $PMIPX_BIN ctl --node mag1 bindings     # mag1's binding update list
  $PMIPX_BIN ctl stats                    # counters; 'metrics' for Prometheus text
  $PMIPX_BIN ctl tunnels                  # the tc eBPF tunnels and their counters
  $PMIPX_BIN ctl flows                    # the flow mobility cache
  $PMIPX_BIN lab exec mn ip -6 addr       # run anything in a node
  tshark -r $pcap      # the capture of this demo
  less $STATE_DIR/lma.log                 # daemon logs: lma, mag1, mag2, mn
  $PMIPX_BIN lab down                     # remove everything
EOF2
}
