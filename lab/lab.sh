#!/usr/bin/env bash
# lab/lab.sh - the pmipx network-namespace lab (README demo, integration tests, benchmarks).
#
#   lab.sh up     [--name NAME] [--no-start] [--fresh-config] [--lte-rate RATE|off]
#   lab.sh start  [--name NAME] [NODE...]
#   lab.sh stop   [--name NAME] [NODE...]
#   lab.sh down   [--name NAME]
#   lab.sh status [--name NAME]
#   lab.sh exec   [--name NAME] NODE CMD...
#   lab.sh demo   [--name NAME] [ARGS...]
#
# Run directly or through `pmipx lab ...` (which sets PMIPX_BIN). See lab/README.md for the
# topology, the files under /run/pmipx/NAME/ and the exact meaning of every exit status.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly LAB_DIR
readonly RUN_ROOT=/run/pmipx
readonly NODES=(cn lma mag1 mag2 mn)
readonly DAEMONS=(lma mag1 mag2 mn)
# One veth pair per line: "nodeA ifA nodeB ifB". Index i gives the temporary names
# px<hash><i>a / px<hash><i>b, which are renamed to ifA / ifB inside the namespaces.
readonly LINKS=(
  "cn eth0 lma cn0"
  "lma mag1a mag1 wan0"
  "lma mag1b mag1 wan1"
  "lma mag2a mag2 wan0"
  "mag1 acc0 mn if1"
  "mag2 acc0 mn if2"
)
readonly STOP_GRACE_TENTHS=30   # stop: TERM, then KILL after 3 s
readonly HEALTH_TENTHS=50       # start: wait up to 5 s for GET /health -> 200
# mag1's wan1 <-> lma's mag1b stands for an LTE uplink (seed 004's BLUE path): a token bucket
# on both ends limits its rate; queueing delay is bounded by TBF's latency (no netem here).
LTE_RATE=${PMIPX_LAB_LTE_RATE:-50mbit}

LAB_NAME=${PMIPX_LAB:-pmx}
PMIPX_BIN=${PMIPX_BIN:-$(dirname "$0")/../build/pmipx}

msg() { printf 'lab: %s\n' "$*"; }
warn() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
usage: lab.sh COMMAND [--name NAME] [ARGS...]     (NAME defaults to $PMIPX_LAB or "pmx")

  up [--no-start] [--fresh-config] [--lte-rate RATE|off]
                                    build namespaces NAME-{cn,lma,mag1,mag2,mn}, write configs
                                    to /run/pmipx/NAME/ (existing ones are kept unless
                                    --fresh-config), mount a bpffs per node, start the daemons;
                                    mag1's second WAN link (BLUE, "LTE") is shaped with a
                                    token bucket, both ways, to RATE (tc syntax, default
                                    $PMIPX_LAB_LTE_RATE or 50mbit; off = unshaped)
  start [NODE...]                   start daemons (default: lma mag1 mag2 mn), wait for the API
  stop [NODE...]                    stop daemons (TERM, KILL after 3 s)
  down                              remove everything of the lab (idempotent)
  status                            exit 0 = up, 1 = partial, 3 = absent
  exec NODE CMD...                  run CMD in the node's namespace
  demo [ARGS...]                    the README demo (lab/demo.sh)
  doctor                            check this host for what pmipx needs (kernel, tools, root)
EOF
}

# ---------------------------------------------------------------------------- naming

set_lab() {
  LAB_NAME=$1
  [[ $LAB_NAME =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$ ]] ||
    die "invalid lab name '$LAB_NAME' (1-32 characters: letters, digits, '_', '-'; first a letter or digit)"
  STATE_DIR=$RUN_ROOT/$LAB_NAME
  local hash
  hash=$(printf '%s' "$LAB_NAME" | sha1sum)
  VETH_PREFIX=px${hash:0:8}   # + <index><a|b> = 12 characters, unique per lab name
}

ns_of() { printf '%s-%s' "$LAB_NAME" "$1"; }

is_node() {
  local n
  for n in "${NODES[@]}"; do [[ $n == "$1" ]] && return 0; done
  return 1
}

is_daemon_node() {
  local n
  for n in "${DAEMONS[@]}"; do [[ $n == "$1" ]] && return 0; done
  return 1
}

role_of() {
  case $1 in
    lma) echo lma ;;
    mag1 | mag2) echo mag ;;
    mn) echo mn ;;
    *) die "node '$1' runs no daemon (daemon nodes: ${DAEMONS[*]})" ;;
  esac
}

default_port_of() {
  case $1 in
    lma) echo 7780 ;;
    mag1 | mag2) echo 7781 ;;
    mn) echo 7782 ;;
  esac
}

# The management API endpoint from the node's config (`api: {address: A, port: P}`), so
# pre-seeded config variants with another port work; defaults when the line is absent.
api_of() {
  local node=$1 cfg=$STATE_DIR/$1.yaml line="" addr=127.0.0.1 port
  port=$(default_port_of "$node")
  [[ -f $cfg ]] && line=$(grep -E '^api:' "$cfg" | head -n 1 || true)
  if [[ $line =~ port:[[:space:]]*([0-9]+) ]]; then port=${BASH_REMATCH[1]}; fi
  if [[ $line =~ address:[[:space:]]*([0-9A-Fa-f.:]+) ]]; then addr=${BASH_REMATCH[1]}; fi
  printf '%s %s\n' "$addr" "$port"
}

need_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (namespaces, veth, bpffs mounts); try: sudo $0 ${CMD:-}"
}

lock_labs() {
  # One lock for all labs: up/down/start/stop are short, and daemons never inherit fd 9.
  mkdir -p "$RUN_ROOT"
  exec 9<"$RUN_ROOT"
  flock -w 60 9 || die "another lab.sh has held the lock on $RUN_ROOT for 60 s"
}

# ---------------------------------------------------------------------------- inspection

ns_exists() { [[ -e /run/netns/$(ns_of "$1") ]]; }

present_namespaces() {
  local n
  for n in "${NODES[@]}"; do ns_exists "$n" && printf '%s\n' "$n"; done
  return 0
}

# Mount points at or below the state dir, deepest first.
mounts_under_state() {
  awk -v d="$STATE_DIR" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r
}

bpffs_mounted() { awk -v m="$STATE_DIR/bpf/$1" '$2 == m && $3 == "bpf" { f = 1 } END { exit !f }' /proc/mounts; }

root_veths() {
  ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1 |
    grep -E "^${VETH_PREFIX}[0-9]+[ab]\$" || true
}

expected_ifaces() {
  case $1 in
    cn) echo eth0 ;;
    lma) echo cn0 mag1a mag1b mag2a ;;
    mag1) echo wan0 wan1 acc0 ;;
    mag2) echo wan0 acc0 ;;
    mn) echo if1 if2 ;;
  esac
}

ifaces_ok() {
  local node=$1 links ifc
  links=$(ip -n "$(ns_of "$node")" -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1) || return 1
  for ifc in $(expected_ifaces "$node"); do
    grep -qx -- "$ifc" <<<"$links" || return 1
  done
}

# A live (non-zombie) process in the node's namespace. PID 1 of some containers never reaps
# orphans, so a dead daemon can linger as a zombie: that counts as gone.
proc_alive() {
  local pid=$1 stat
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

same_netns() {
  local pid=$1 node=$2 a b
  a=$(stat -L -c '%d:%i' "/proc/$pid/ns/net" 2>/dev/null) || return 1
  b=$(stat -L -c '%d:%i' "/run/netns/$(ns_of "$node")" 2>/dev/null) || return 1
  [[ $a == "$b" ]]
}

daemon_pid() { # prints the pid from the pid file; fails when there is none
  local f=$STATE_DIR/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$pid"
}

daemon_alive() { # node pid
  proc_alive "$2" && same_netns "$2" "$1"
}

# absent | up | partial  (see README "status")
topology_state() {
  local present n
  present=$(present_namespaces)
  if [[ -z $present ]] && [[ -z $(mounts_under_state) ]]; then
    echo absent
    return
  fi
  [[ -f $STATE_DIR/.topology ]] || { echo partial; return; }
  for n in "${NODES[@]}"; do
    { ns_exists "$n" && bpffs_mounted "$n" && ifaces_ok "$n"; } || { echo partial; return; }
  done
  echo up
}

# ---------------------------------------------------------------------------- up

write_file_once() { # path content
  if [[ -e $1 && $FRESH_CONFIG -eq 0 ]]; then
    [[ $(<"$1") == "${2%$'\n'}" ]] || msg "keeping existing $1 (differs from the default; --fresh-config replaces it)"
  else
    printf '%s' "$2" >"$1"
  fi
}

write_configs() {
  write_file_once "$STATE_DIR/lma.yaml" "address: 2001:db8:ffff::1
mags: [2001:db8:1::2, 2001:db8:3::2, 2001:db8:2::2]
pool: {prefix: 2001:db8:8000::/48, length: 64}
fixed_mag_link_local: fe80::1
mns:
  - id: mn1@example.com
    features: {shared_prefixes: true, muho: true, multipath: true, primary_hoa: true}
dataplane: {mode: bpf, pin_dir: $STATE_DIR/bpf/lma}
api: {address: 127.0.0.1, port: 7780}
log: {level: debug}
"
  write_file_once "$STATE_DIR/mag1.yaml" "lma: 2001:db8:ffff::1
mag_id: mag1@example.com
wan_links:
  - {interface: wan0, address: 2001:db8:1::2, att: ethernet, label: 1}
  - {interface: wan1, address: 2001:db8:3::2, att: eutran, label: 2}
access_links:
  - {interface: acc0, att: wlan, mn: mn1@example.com}
mns:
  - {id: mn1@example.com, link_layer: [\"02:00:00:00:01:01\", \"02:00:00:00:02:01\"]}
link_local: fe80::1
dataplane: {mode: bpf, pin_dir: $STATE_DIR/bpf/mag1}
api: {address: 127.0.0.1, port: 7781}
log: {level: debug}
"
  write_file_once "$STATE_DIR/mag2.yaml" "lma: 2001:db8:ffff::1
mag_id: mag2@example.com
wan_links:
  - {interface: wan0, address: 2001:db8:2::2, att: ethernet, label: 1}
access_links:
  - {interface: acc0, att: eutran, mn: mn1@example.com}
mns:
  - {id: mn1@example.com, link_layer: [\"02:00:00:00:01:01\", \"02:00:00:00:02:01\"]}
link_local: fe80::1
dataplane: {mode: bpf, pin_dir: $STATE_DIR/bpf/mag2}
api: {address: 127.0.0.1, port: 7781}
log: {level: debug}
"
  write_file_once "$STATE_DIR/mn.yaml" "id: mn1@example.com
interfaces:
  - {interface: if1, att: wlan, ifp: 10}
  - {interface: if2, att: eutran, ifp: 5}
api: {address: 127.0.0.1, port: 7782}
log: {level: debug}
"
}

in_ns() { local node=$1; shift; ip netns exec "$(ns_of "$node")" "$@"; }

# sysctl keys per node, applied after the veths exist and before any address is added.
node_sysctls() {
  local node=$1 ifc keys=(net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    net.ipv6.conf.lo.accept_dad=0)
  for ifc in $(expected_ifaces "$node"); do keys+=("net.ipv6.conf.$ifc.accept_dad=0"); done
  case $node in
    lma | mag1 | mag2) keys+=(net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.forwarding=1) ;;
  esac
  case $node in
    mag1 | mag2) keys+=(net.ipv6.conf.acc0.accept_ra=0) ;;
    mn)
      keys+=(net.ipv6.conf.all.forwarding=0)
      for ifc in if1 if2; do
        keys+=("net.ipv6.conf.$ifc.forwarding=0" "net.ipv6.conf.$ifc.accept_ra=1" "net.ipv6.conf.$ifc.autoconf=1")
      done
      ;;
  esac
  printf '%s\n' "${keys[@]}"
}

# `ip -6 -batch` commands per node: addresses (DAD already off; nodad as well), links up, routes.
node_ip_batch() {
  local ifc
  echo "link set lo up"
  case $1 in
    cn)
      echo "addr add 2001:db8:c::2/64 dev eth0 nodad"
      ;;
    lma)
      echo "addr add 2001:db8:ffff::1/128 dev lo"
      echo "addr add 2001:db8:c::1/64 dev cn0 nodad"
      echo "addr add 2001:db8:1::1/64 dev mag1a nodad"
      echo "addr add 2001:db8:3::1/64 dev mag1b nodad"
      echo "addr add 2001:db8:2::1/64 dev mag2a nodad"
      ;;
    mag1)
      echo "addr add 2001:db8:1::2/64 dev wan0 nodad"
      echo "addr add 2001:db8:3::2/64 dev wan1 nodad"
      echo "addr add fe80::1/64 dev acc0 nodad"
      ;;
    mag2)
      echo "addr add 2001:db8:2::2/64 dev wan0 nodad"
      echo "addr add fe80::1/64 dev acc0 nodad"
      ;;
    mn) ;;
  esac
  for ifc in $(expected_ifaces "$1"); do echo "link set $ifc up"; done
  case $1 in
    cn) echo "route add ::/0 via 2001:db8:c::1 dev eth0" ;;
    mag1)
      echo "route add 2001:db8:ffff::1/128 via 2001:db8:1::1 dev wan0"
      echo "rule add from 2001:db8:3::2 table 103"
      echo "route add 2001:db8:ffff::1/128 via 2001:db8:3::1 dev wan1 table 103"
      ;;
    mag2) echo "route add 2001:db8:ffff::1/128 via 2001:db8:2::1 dev wan0" ;;
  esac
}

build_topology() {
  local node i=0 link a ia b ib ta tb keys
  for node in "${NODES[@]}"; do ip netns add "$(ns_of "$node")"; done
  for link in "${LINKS[@]}"; do
    read -r a ia b ib <<<"$link"
    ta=$VETH_PREFIX${i}a tb=$VETH_PREFIX${i}b
    # Both ends are created directly inside their namespaces (never visible in the root
    # namespace under a name that could collide), then renamed there.
    # Explicit, different ifindexes for the two ends: the kernel treats a carrier change as
    # urgent only when a device's ifindex differs from its peer's (dev_get_iflink), and
    # otherwise lets linkwatch delay it up to a second, with the IPv6 link-local address.
    ip link add "$ta" netns "$(ns_of "$a")" index $((10 + 2 * i)) \
      type veth peer name "$tb" netns "$(ns_of "$b")" index $((11 + 2 * i))
    ip -n "$(ns_of "$a")" link set "$ta" name "$ia"
    ip -n "$(ns_of "$b")" link set "$tb" name "$ib"
    i=$((i + 1))
  done
  ip -n "$(ns_of mn)" link set if1 address 02:00:00:00:01:01
  ip -n "$(ns_of mn)" link set if2 address 02:00:00:00:02:01
  for node in "${NODES[@]}"; do
    mapfile -t keys < <(node_sysctls "$node")
    in_ns "$node" sysctl -q -w "${keys[@]}" >/dev/null
  done
  for node in "${NODES[@]}"; do
    node_ip_batch "$node" | ip -6 -n "$(ns_of "$node")" -batch -
  done
  shape_lte_link
  for node in "${NODES[@]}"; do
    mkdir -p "$STATE_DIR/bpf/$node"
    bpffs_mounted "$node" || mount -t bpf bpf "$STATE_DIR/bpf/$node"
  done
}

# TBF as the root qdisc of both ends of the BLUE link; the data plane's clsact hooks sit
# beside it, so encapsulated packets are shaped after the tc programs ran.
shape_lte_link() {
  [[ $LTE_RATE == off ]] && return 0
  in_ns mag1 tc qdisc replace dev wan1 root tbf rate "$LTE_RATE" burst 64kb latency 50ms
  in_ns lma tc qdisc replace dev mag1b root tbf rate "$LTE_RATE" burst 64kb latency 50ms
}

# veth carrier changes reach operstate through linkwatch, which batches events up to once a
# second, and IPv6 addrconf creates the link-local address only then: wait for both, so the
# lab is usable when `up` returns.
links_ready() {
  local node=$1 ns links lls ifc
  ns=$(ns_of "$node")
  links=$(ip -n "$ns" -o link show 2>/dev/null) || return 1
  lls=$(ip -6 -n "$ns" -o addr show scope link 2>/dev/null) || return 1
  for ifc in $(expected_ifaces "$node"); do
    grep -Eq "^[0-9]+: $ifc(@[^:]*)?: .* state UP " <<<"$links" || return 1
    grep -Eq "^[0-9]+: $ifc +inet6 fe80::" <<<"$lls" || return 1
  done
}

wait_links_ready() {
  local node t
  for node in "${NODES[@]}"; do
    for ((t = 0; ; t++)); do
      links_ready "$node" && break
      ((t < 100)) || die "$node: interfaces not operationally up after 5 s: $(ip -n "$(ns_of "$node")" -br link | tr '\n' ';')"
      sleep 0.05
    done
  done
}

cmd_up() {
  local state
  state=$(topology_state)
  case $state in
    up)
      msg "$LAB_NAME is already up (state dir $STATE_DIR)"
      write_configs   # missing ones only, or all with --fresh-config
      [[ $NO_START -eq 1 ]] && return 0
      cmd_start "${DAEMONS[@]}"
      return
      ;;
    partial)
      die "$LAB_NAME exists but is incomplete; see '$0 status --name $LAB_NAME', then run '$0 down --name $LAB_NAME'"
      ;;
  esac
  mkdir -p "$STATE_DIR"
  # set -e exits from inside functions, so an EXIT trap (not ERR) reports a half-built lab.
  trap 'rc=$?; ((rc == 0)) || warn "up failed (exit $rc); clean up with: $0 down --name $LAB_NAME"' EXIT
  build_topology
  write_configs
  wait_links_ready
  printf 'name=%s\nveth_prefix=%s\ncreated=%s\n' "$LAB_NAME" "$VETH_PREFIX" "$(date -Is)" >"$STATE_DIR/.topology"
  trap - EXIT
  msg "$LAB_NAME is up: namespaces $(ns_of '{cn,lma,mag1,mag2,mn}'), state dir $STATE_DIR"
  [[ $NO_START -eq 1 ]] || cmd_start "${DAEMONS[@]}"
}

# ---------------------------------------------------------------------------- daemons

health_ok() { # node addr port
  # shellcheck disable=SC2016  # the inner script expands its own positional parameters
  timeout 2 ip netns exec "$(ns_of "$1")" bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET /health HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$1" >&3
    IFS= read -r line <&3 || exit 1
    [[ $line =~ ^HTTP/1\.[01]\ 200 ]]' health "$2" "$3" 2>/dev/null
}

start_daemon() {
  local node=$1 role cfg log pidf pid="" addr port t
  role=$(role_of "$node")
  cfg=$STATE_DIR/$node.yaml log=$STATE_DIR/$node.log pidf=$STATE_DIR/$node.pid
  if pid=$(daemon_pid "$node") && daemon_alive "$node" "$pid"; then
    msg "$node already running (pid $pid)"
    return 0
  fi
  pid=""
  rm -f "$pidf"
  ns_exists "$node" || die "$node: namespace $(ns_of "$node") does not exist; run '$0 up --name $LAB_NAME' first"
  [[ -f $cfg ]] || die "$node: missing config $cfg"
  [[ -x $PMIPX_BIN ]] || die "PMIPX_BIN '$PMIPX_BIN' is not an executable file (build first, or set PMIPX_BIN)"
  local mark
  mark="--- lab.sh: starting $node ($role) at $(date -Is) ---"
  printf '%s\n' "$mark" >>"$log"
  # The inner bash writes its own pid, then execs the daemon, so the pid file holds the
  # daemon's pid even if setsid had to fork. It closes every descriptor above 2 first: the
  # lock (fd 9) and any pipe our caller leaked would otherwise live as long as the daemon.
  # shellcheck disable=SC2016
  ip netns exec "$(ns_of "$node")" setsid bash -c '
    for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done
    echo "$$" >"$1"; shift; exec "$@"' \
    pmipx-lab "$pidf" "$PMIPX_BIN" "$role" --config "$cfg" </dev/null >>"$log" 2>&1 9<&- &
  read -r addr port < <(api_of "$node")
  for ((t = 0; t < HEALTH_TENTHS; t++)); do
    if [[ -z $pid ]] && [[ -s $pidf ]]; then pid=$(<"$pidf"); fi
    if [[ -n $pid ]]; then
      if ! proc_alive "$pid"; then
        rm -f "$pidf"
        warn "$node ($role) exited during start-up; last 20 lines of $log:"
        # only what this start wrote (the log is appended to across starts)
        awk -v m="$mark" '$0 == m { n = 0; next } { b[n++] = $0 }
          END { for (i = (n > 20 ? n - 20 : 0); i < n; i++) print b[i] }' "$log" >&2 || true
        exit 1
      fi
      if health_ok "$node" "$addr" "$port"; then
        msg "$node started (pid $pid, api $addr:$port)"
        return 0
      fi
    fi
    sleep 0.1
  done
  [[ -n $pid ]] || die "$node: daemon did not start (no pid file after 5 s); see $log"
  warn "$node: running (pid $pid) but GET /health on $addr:$port did not answer 200 within 5 s"
}

stop_daemon() {
  local node=$1 pidf=$STATE_DIR/$1.pid pid t
  if ! pid=$(daemon_pid "$node"); then
    rm -f "$pidf"
    [[ ${QUIET_STOP:-0} -eq 1 ]] || msg "$node not running"
    return 0
  fi
  if daemon_alive "$node" "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((t = 0; t < STOP_GRACE_TENTHS; t++)); do
      proc_alive "$pid" || break
      sleep 0.1
    done
    if proc_alive "$pid"; then
      warn "$node (pid $pid) ignored SIGTERM for 3 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((t = 0; t < 20; t++)); do proc_alive "$pid" || break; sleep 0.05; done
    fi
    msg "$node stopped (pid $pid)"
  else
    msg "$node was not running (stale pid file, pid $pid)"
  fi
  rm -f "$pidf"
}

check_daemon_nodes() {
  local n
  for n in "$@"; do is_daemon_node "$n" || die "unknown daemon node '$n' (one of: ${DAEMONS[*]})"; done
}

cmd_start() {
  local n
  (($# > 0)) || set -- "${DAEMONS[@]}"
  check_daemon_nodes "$@"
  mkdir -p "$STATE_DIR"
  for n in "$@"; do start_daemon "$n"; done
}

cmd_stop() {
  local n
  (($# > 0)) || set -- "${DAEMONS[@]}"
  check_daemon_nodes "$@"
  for n in "$@"; do stop_daemon "$n"; done
}

# ---------------------------------------------------------------------------- down

kill_ns_processes() {
  local nss=("$@") ns pids round sig
  for round in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29; do
    pids=()
    for ns in "${nss[@]}"; do
      mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null || true)
    done
    local live=() p
    for p in "${pids[@]}"; do proc_alive "$p" && [[ $p -ne $$ ]] && live+=("$p"); done
    ((${#live[@]} > 0)) || return 0
    # TERM first; KILL from round 10 (1 s) on.
    if ((round == 0)); then sig=TERM; elif ((round >= 10)); then sig=KILL; else sig=""; fi
    if [[ -n $sig ]]; then
      [[ $sig == KILL ]] && warn "killing ${live[*]} (SIGKILL)"
      kill "-$sig" "${live[@]}" 2>/dev/null || true
    fi
    sleep 0.1
  done
  warn "processes still alive in the lab's namespaces: ${live[*]}"
}

cmd_down() {
  local did=0 n nss=() m v
  for n in "${DAEMONS[@]}"; do
    if [[ -f $STATE_DIR/$n.pid ]]; then did=1; QUIET_STOP=1 stop_daemon "$n"; fi
  done
  for n in "${NODES[@]}"; do ns_exists "$n" && nss+=("$(ns_of "$n")"); done
  if ((${#nss[@]} > 0)); then
    did=1
    kill_ns_processes "${nss[@]}"
  fi
  while IFS= read -r m; do
    [[ -n $m ]] || continue
    did=1
    umount "$m" 2>/dev/null || umount -l "$m" || warn "cannot unmount $m"
  done < <(mounts_under_state)
  for n in "${nss[@]}"; do
    ip netns del "$n" || warn "cannot delete namespace $n"
  done
  while IFS= read -r v; do
    [[ -n $v ]] || continue
    did=1
    ip link del "$v" 2>/dev/null || warn "cannot delete leftover veth $v"
  done < <(root_veths)
  if [[ -e $STATE_DIR ]]; then
    did=1
    [[ -z $(mounts_under_state) ]] || die "mounts remain under $STATE_DIR; not removing it"
    rm -rf --one-file-system -- "$STATE_DIR"
  fi
  if ((did)); then msg "$LAB_NAME is down"; else msg "$LAB_NAME: nothing to do"; fi
}

# ---------------------------------------------------------------------------- status

cmd_status() {
  local state n pid line
  state=$(topology_state)
  msg "$LAB_NAME: $state"
  if [[ -d $STATE_DIR ]]; then line="state dir $STATE_DIR"; else line="state dir $STATE_DIR (absent)"; fi
  printf '  %s\n' "$line"
  for n in "${NODES[@]}"; do
    if ns_exists "$n"; then line="present"; else line="absent"; fi
    if bpffs_mounted "$n"; then line+=", bpffs mounted"; else line+=", no bpffs"; fi
    if ns_exists "$n" && ! ifaces_ok "$n"; then line+=", interfaces missing"; fi
    printf '  %-6s %-24s %s\n' "$n" "$(ns_of "$n")" "$line"
  done
  local dead=0
  for n in "${DAEMONS[@]}"; do
    if pid=$(daemon_pid "$n"); then
      if daemon_alive "$n" "$pid"; then line="running (pid $pid)"; else line="dead (pid file $pid, process gone)"; dead=1; fi
    else
      line="stopped"
    fi
    printf '  daemon %-5s %s\n' "$n" "$line"
  done
  case $state in
    absent) return 3 ;;
    up) ((dead == 0)) || return 1; return 0 ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------------------- main

main() {
  CMD=""
  NO_START=0
  FRESH_CONFIG=0
  local args=() name=$LAB_NAME
  while (($# > 0)); do
    # exec: everything after NODE is the command, verbatim; demo: every argument verbatim.
    if [[ $CMD == demo ]] || [[ $CMD == exec && ${#args[@]} -ge 1 ]]; then
      if [[ $1 != --name && $1 != --name=* ]] || [[ $CMD == exec ]]; then
        args+=("$@")
        break
      fi
    fi
    case $1 in
      --name) (($# >= 2)) || die "--name needs a value"; name=$2; shift ;;
      --name=*) name=${1#--name=} ;;
      -h | --help | help) usage; exit 0 ;;
      --no-start) [[ $CMD == up ]] || die "--no-start is an option of 'up'"; NO_START=1 ;;
      --fresh-config) [[ $CMD == up ]] || die "--fresh-config is an option of 'up'"; FRESH_CONFIG=1 ;;
      --lte-rate)
        [[ $CMD == up ]] || die "--lte-rate is an option of 'up'"
        (($# >= 2)) || die "--lte-rate needs a value"
        LTE_RATE=$2
        shift
        ;;
      -*) die "unknown option '$1' (see '$0 --help')" ;;
      *) if [[ -z $CMD ]]; then CMD=$1; else args+=("$1"); fi ;;
    esac
    shift
  done
  [[ -n $CMD ]] || { usage >&2; exit 2; }
  [[ $LTE_RATE == off || $LTE_RATE =~ ^[0-9]+(\.[0-9]+)?([kKmMgG]?(bit|bps))?$ ]] ||
    die "invalid LTE rate '$LTE_RATE' (a tc rate such as 50mbit or 2mbps, or off)"
  set_lab "$name"
  case $CMD in
    up | start | stop | down | status | exec | demo) need_root ;;
    doctor) ;;
    *) usage >&2; die "unknown command '$CMD'" ;;
  esac
  PMIPX_BIN=$(realpath -m -- "$PMIPX_BIN")
  export PMIPX_BIN
  case $CMD in
    up)
      ((${#args[@]} == 0)) || die "up takes no arguments (got '${args[*]}')"
      lock_labs
      cmd_up
      ;;
    start) lock_labs; cmd_start ${args[@]+"${args[@]}"} ;;
    stop) lock_labs; cmd_stop ${args[@]+"${args[@]}"} ;;
    down)
      ((${#args[@]} == 0)) || die "down takes no arguments (got '${args[*]}')"
      lock_labs
      cmd_down
      ;;
    status)
      local rc=0
      cmd_status || rc=$?
      exit "$rc"
      ;;
    exec)
      ((${#args[@]} >= 2)) || die "usage: $0 exec [--name NAME] NODE CMD..."
      is_node "${args[0]}" || die "unknown node '${args[0]}' (one of: ${NODES[*]})"
      ns_exists "${args[0]}" || die "namespace $(ns_of "${args[0]}") does not exist"
      exec ip netns exec "$(ns_of "${args[0]}")" "${args[@]:1}"
      ;;
    doctor)
      # shellcheck source=lab/doctor.sh
      source "$LAB_DIR/doctor.sh"
      lab_doctor
      ;;
    demo)
      if [[ -f $LAB_DIR/demo.sh ]]; then
        # shellcheck source=/dev/null
        source "$LAB_DIR/demo.sh"
        lab_demo ${args[@]+"${args[@]}"}
      else
        die "demo: not available yet"
      fi
      ;;
  esac
}

main "$@"
