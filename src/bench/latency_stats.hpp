// Latency percentiles of one benchmark phase. Samples are kept whole (8 octets each, 8 MB for
// a million) rather than bucketed, so p99.9 is exact and no histogram resolution has to be
// chosen before the run's range is known.
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace pmipx::bench {

using Nanos = std::chrono::nanoseconds;

struct LatencySummary {
  std::size_t count = 0;
  Nanos min{0}, max{0}, mean{0};
  Nanos p50{0}, p99{0}, p999{0};
  // (percentile, latency) pairs for a distribution plot: 0, 1, ..., 100 plus the tail points
  // 99.5, 99.9, 99.99. Empty without samples.
  std::vector<std::pair<double, Nanos>> cdf;
};

// Nearest-rank percentile of sorted samples: the smallest sample with at least p % of all
// samples at or below it (p in [0, 100]; p = 0 gives the minimum). 0 without samples.
Nanos percentile(const std::vector<Nanos>& sorted, double p);

// Sorts `samples` (taken by value: the caller keeps recording) and summarizes them.
LatencySummary summarize(std::vector<Nanos> samples);

}  // namespace pmipx::bench
