#!/usr/bin/env bash
# Layer rules (STYLE.md): src/wire, src/core and src/bench (the benchmark generator's logic)
# are pure. They include no socket, thread, libbpf, Asio or pcap header, and never read a clock
# (time arrives as an argument; <chrono> types are fine). Prints each offending line and fails
# if there is one.
set -u
cd "$(dirname "$0")/.."
headers='#include *<(sys/socket\.h|netinet/[a-z_]+\.h|linux/[a-z_]+\.h|thread|mutex|future|ctime|time\.h|bpf/[a-z_]+\.h|asio[./a-z_]*|pcap[./a-z_]*|unistd\.h|fstream|iostream|random)>'
clock_reads='(steady_clock|system_clock|high_resolution_clock)::now|[^_a-z]time\(|gettimeofday|clock_gettime|std::random_device'
hits=$( (grep -rnE "$headers" src/wire src/core src/bench; grep -rnE "$clock_reads" src/wire src/core src/bench) 2>/dev/null || true)
if [ -n "$hits" ]; then
  echo "layering: I/O, thread or clock use in a pure layer:"
  echo "$hits"
  exit 1
fi
echo "layering: src/wire, src/core and src/bench use no I/O, threads or clock reads"
