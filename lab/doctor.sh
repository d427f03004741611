# lab/doctor.sh - `pmipx lab doctor`: says clearly what this host lacks for pmipx (the lab, the
# daemons and the tc eBPF data plane). Sourced by lab.sh; every check runs in a scratch network
# namespace of its own that is removed at the end. Exit 0 when everything needed is there.

doctor_ok() { printf '  ok    %s\n' "$*"; }
doctor_bad() { printf '  MISSING  %s\n' "$*"; DOCTOR_MISSING=$((DOCTOR_MISSING + 1)); }
doctor_note() { printf '  note  %s\n' "$*"; }

lab_doctor() {
  DOCTOR_MISSING=0
  local ns="pmxdoc$$" dir
  echo "pmipx lab doctor: what this host offers"
  if [[ $(id -u) -eq 0 ]]; then doctor_ok "running as root"; else doctor_bad "root (the lab and the daemons need CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)"; fi
  local rel major minor
  rel=$(uname -r); major=${rel%%.*}; minor=${rel#*.}; minor=${minor%%.*}
  if ((major > 5 || (major == 5 && minor >= 10))); then doctor_ok "kernel $rel (5.10+: bpf_redirect_neigh, adjust_room encap)"; else doctor_bad "kernel 5.10 or later (have $rel)"; fi
  if [[ -r /sys/kernel/btf/vmlinux ]]; then doctor_ok "kernel BTF (/sys/kernel/btf/vmlinux)"; else doctor_note "no kernel BTF: the programs carry their own, fine"; fi
  for tool in ip tc dumpcap tshark bpftool; do
    if command -v "$tool" >/dev/null 2>&1; then doctor_ok "$tool"; else doctor_bad "$tool (scripts/setup.sh installs it)"; fi
  done
  [[ $(id -u) -eq 0 ]] || { echo "pmipx lab doctor: run as root for the kernel checks"; return 1; }
  if ip netns add "$ns" 2>/dev/null; then
    doctor_ok "network namespaces"
    if ip -n "$ns" link add dva type veth peer name dvb 2>/dev/null; then
      doctor_ok "veth"
      ip -n "$ns" link set dva up 2>/dev/null
      if ip netns exec "$ns" tc qdisc add dev dva clsact 2>/dev/null; then doctor_ok "tc clsact qdisc"; else doctor_bad "tc clsact qdisc (sch_ingress)"; fi
    else
      doctor_bad "veth links"
    fi
    if ip -n "$ns" -6 rule add from 2001:db8::/64 table 1000 2>/dev/null; then doctor_ok "IPv6 policy routing"; else doctor_bad "IPv6 policy routing (CONFIG_IPV6_MULTIPLE_TABLES)"; fi
    if ip netns exec "$ns" /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)' 2>/dev/null; then
      doctor_ok "raw IPv6 sockets for the Mobility Header (protocol 135)"
    else
      doctor_bad "raw IPv6 sockets (protocol 135)"
    fi
    ip netns del "$ns" 2>/dev/null
  else
    doctor_bad "network namespaces (ip netns add)"
  fi
  if command -v bpftool >/dev/null 2>&1; then
    local probe
    probe=$(bpftool feature probe kernel 2>/dev/null || true)
    if grep -q "program_type sched_cls is available" <<<"$probe"; then doctor_ok "BPF tc programs (sched_cls)"; else doctor_bad "BPF tc programs (CONFIG_NET_CLS_BPF, CONFIG_BPF_SYSCALL)"; fi
    for helper in bpf_skb_adjust_room bpf_redirect_neigh; do
      if grep -q -- "- $helper\$" <<<"$probe"; then doctor_ok "BPF helper $helper"; else doctor_bad "BPF helper $helper"; fi
    done
  fi
  dir=$(mktemp -d /tmp/pmxdoc.XXXXXX)
  if mount -t bpf bpf "$dir" 2>/dev/null; then doctor_ok "bpffs (pinned maps survive daemon restarts)"; umount "$dir"; else doctor_bad "bpffs (mount -t bpf)"; fi
  rmdir "$dir" 2>/dev/null
  if [[ -x ${PMIPX_BIN:-} ]] && "$PMIPX_BIN" version >/dev/null 2>&1; then
    doctor_ok "pmipx binary ($PMIPX_BIN)"
  else
    doctor_bad "the pmipx binary (scripts/build.sh)"
  fi
  for m in ip6_tunnel ip6_gre; do
    if modinfo "$m" >/dev/null 2>&1; then doctor_note "$m exists; pmipx does not need it"; fi
  done
  if ((DOCTOR_MISSING == 0)); then
    echo "pmipx lab doctor: everything pmipx needs is here (no ip6tnl, no custom kernel needed)"
    return 0
  fi
  echo "pmipx lab doctor: $DOCTOR_MISSING thing(s) missing"
  return 1
}
