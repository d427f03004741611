#!/usr/bin/env bash
# Installs every Debian 12 package pmipx needs to build and test, and nothing when they are
# all present (idempotent). Run as root.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git
  clang libclang-rt-14-dev            # libFuzzer + sanitizer runtimes for the fuzz target
  # libraries
  libfmt-dev nlohmann-json3-dev libcli11-dev libpcap-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # daemons: YAML config, event loop, HTTP management API, logging, netlink
  libyaml-cpp-dev libasio-dev libcpp-httplib-dev libspdlog-dev libmnl-dev
  # data plane (tc eBPF): libbpf + skeletons from bpftool (clang above compiles -target bpf)
  libbpf-dev bpftool
  # the namespace lab
  iproute2 procps
  # independent oracles for the conformance tests
  tshark python3-scapy python3-pytest
  # benchmarks
  iperf3 iptables libnetfilter-queue-dev python3-matplotlib   # bench/dataplane (TCP, NFQUEUE baseline, plots)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
