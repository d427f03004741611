#!/usr/bin/env bash
# The main job: install what is missing, build, and run the lab demo: a two-interface mobile
# node registers through two MAGs with a real LMA in network namespaces, narrated. The lab
# stays up afterwards for exploring; `./build/pmipx lab down` removes it. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
echo
./build/pmipx lab demo "$@"
