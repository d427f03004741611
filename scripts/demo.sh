#!/usr/bin/env bash
# The main job: install what is missing, build, and show pmipx at work. Until the lab demo
# exists this decodes a capture of PMIPv6 signaling (PROTOCOL.md §14 vectors).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
echo
echo "== pmipx decode docs/samples/pmipv6-vectors.pcap"
./build/pmipx decode docs/samples/pmipv6-vectors.pcap
