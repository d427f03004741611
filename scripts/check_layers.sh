#!/usr/bin/env bash
# Layer rules (STYLE.md): src/wire and src/core are pure — no sockets, clocks, threads,
# libbpf, Asio or pcap. Prints each offending include and fails if there is one.
set -u
cd "$(dirname "$0")/.."
pattern='#include *<(sys/socket\.h|netinet/[a-z_]+\.h|linux/[a-z_]+\.h|chrono|thread|mutex|future|ctime|time\.h|bpf/[a-z_]+\.h|asio[./a-z_]*|pcap[./a-z_]*|unistd\.h|fstream|iostream)>'
hits=$(grep -rnE "$pattern" src/wire src/core 2>/dev/null || true)
if [ -n "$hits" ]; then
  echo "layering: I/O or clock headers in a pure layer:"
  echo "$hits"
  exit 1
fi
echo "layering: src/wire and src/core include no I/O, clock or thread headers"
