#include "bench/latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace pmipx::bench {

Nanos percentile(const std::vector<Nanos>& sorted, double p) {
  if (sorted.empty()) return Nanos{0};
  p = std::clamp(p, 0.0, 100.0);
  // rank = ceil(p/100 * n), 1-based; p = 0 is rank 1. The tiny epsilon keeps 99.9 % of 1000
  // at rank 999 despite 0.999 * 1000 = 999.0000000000001 in binary floating point.
  auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n - 1e-9));
  if (rank == 0) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

LatencySummary summarize(std::vector<Nanos> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  long double total = 0;
  for (auto v : samples) total += static_cast<long double>(v.count());
  s.mean = Nanos{static_cast<Nanos::rep>(total / static_cast<long double>(samples.size()))};
  s.p50 = percentile(samples, 50);
  s.p99 = percentile(samples, 99);
  s.p999 = percentile(samples, 99.9);
  for (int p = 0; p <= 100; ++p) {
    s.cdf.emplace_back(p, percentile(samples, p));
    if (p == 99) {
      for (double tail : {99.5, 99.9, 99.99}) s.cdf.emplace_back(tail, percentile(samples, tail));
    }
  }
  return s;
}

}  // namespace pmipx::bench
