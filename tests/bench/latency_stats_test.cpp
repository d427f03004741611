#include "bench/latency_stats.hpp"

#include <gtest/gtest.h>

namespace pmipx::bench {
namespace {

std::vector<Nanos> one_to(int n) {
  std::vector<Nanos> v;
  for (int i = n; i >= 1; --i) v.push_back(Nanos{i});  // reversed: summarize sorts
  return v;
}

TEST(LatencyStats, NearestRankOnOneToHundred) {
  auto s = summarize(one_to(100));
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.min, Nanos{1});
  EXPECT_EQ(s.max, Nanos{100});
  EXPECT_EQ(s.p50, Nanos{50});
  EXPECT_EQ(s.p99, Nanos{99});
  EXPECT_EQ(s.p999, Nanos{100});  // rank ceil(99.9) = 100
  EXPECT_EQ(s.mean, Nanos{50});   // 50.5 truncated
}

TEST(LatencyStats, TailOfAThousandIsExact) {
  auto s = summarize(one_to(1000));
  EXPECT_EQ(s.p50, Nanos{500});
  EXPECT_EQ(s.p99, Nanos{990});
  EXPECT_EQ(s.p999, Nanos{999});  // not 1000: 0.999 * 1000 is rank 999 despite rounding
}

TEST(LatencyStats, SingleSampleIsEveryPercentile) {
  auto s = summarize({Nanos{7}});
  EXPECT_EQ(s.p50, Nanos{7});
  EXPECT_EQ(s.p999, Nanos{7});
  EXPECT_EQ(s.min, Nanos{7});
}

TEST(LatencyStats, EmptyIsZeroWithoutCdf) {
  auto s = summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p99, Nanos{0});
  EXPECT_TRUE(s.cdf.empty());
}

TEST(LatencyStats, PercentileClampsAndStartsAtMinimum) {
  std::vector<Nanos> sorted{Nanos{1}, Nanos{2}, Nanos{3}};
  EXPECT_EQ(percentile(sorted, 0), Nanos{1});
  EXPECT_EQ(percentile(sorted, -5), Nanos{1});
  EXPECT_EQ(percentile(sorted, 100), Nanos{3});
  EXPECT_EQ(percentile(sorted, 250), Nanos{3});
  EXPECT_EQ(percentile(sorted, 34), Nanos{2});
}

TEST(LatencyStats, CdfIsMonotonicWithTailPoints) {
  auto s = summarize(one_to(10000));
  ASSERT_EQ(s.cdf.size(), 104u);  // 0..100 and 99.5, 99.9, 99.99
  for (std::size_t i = 1; i < s.cdf.size(); ++i) {
    EXPECT_LT(s.cdf[i - 1].first, s.cdf[i].first);
    EXPECT_LE(s.cdf[i - 1].second, s.cdf[i].second);
  }
  EXPECT_EQ(s.cdf.back().second, Nanos{10000});
}

}  // namespace
}  // namespace pmipx::bench
