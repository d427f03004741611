#include "bench/report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace pmipx::bench {
namespace {

PhaseResult phase(const char* name, const char* target, std::uint64_t accepted, double duration) {
  PhaseResult p;
  p.name = name;
  p.target = target;
  p.sent = accepted;
  p.accepted = accepted;
  p.duration_s = duration;
  return p;
}

TEST(Report, ConsistentWhenEveryRequestHasOneOutcome) {
  auto p = phase("register", "lma", 8, 1);
  p.sent = 10;
  EXPECT_FALSE(p.consistent());
  p.rejected = 1;
  p.timeouts = 1;
  EXPECT_TRUE(p.consistent());
}

TEST(Report, RatiosToEcho) {
  Report r;
  r.phases = {phase("echo", "echo", 1000, 0.1), phase("register", "lma", 1000, 0.4), phase("refresh", "lma", 1000, 0.2)};
  auto ratios = r.ratios();
  EXPECT_DOUBLE_EQ(ratios.at("register"), 0.25);
  EXPECT_DOUBLE_EQ(ratios.at("refresh"), 0.5);
  EXPECT_EQ(ratios.count("deregister"), 0u);
  Report no_echo;
  no_echo.phases = {phase("register", "lma", 1, 1)};
  EXPECT_TRUE(no_echo.ratios().empty());
}

TEST(Report, BytesPerBinding) {
  MemoryResult m{1000, 1100, 1024};
  EXPECT_DOUBLE_EQ(m.bytes_per_binding(), 100.0);
  EXPECT_DOUBLE_EQ((MemoryResult{1000, 900, 10}).bytes_per_binding(), 0.0);
  EXPECT_DOUBLE_EQ((MemoryResult{1000, 1100, 0}).bytes_per_binding(), 0.0);
}

TEST(Report, JsonCarriesCountsLatencyAndMemory) {
  Report r;
  auto p = phase("register", "lma", 3, 0.5);
  p.latency = summarize({Nanos{1000}, Nanos{2000}, Nanos{3000}});
  r.phases.push_back(p);
  r.memory = MemoryResult{100, 200, 3};
  r.notes = {"n"};
  auto j = to_json(r);
  const auto& jp = j["phases"][0];
  EXPECT_EQ(jp["accepted"], 3);
  EXPECT_EQ(jp["consistent"], true);
  EXPECT_DOUBLE_EQ(jp["accepted_per_s"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(jp["latency"]["p50_us"].get<double>(), 2.0);
  EXPECT_EQ(jp["latency"]["cdf_us"].size(), 104u);
  EXPECT_EQ(j["memory"]["bindings"], 3);
  EXPECT_EQ(j["notes"][0], "n");
  std::ostringstream text;
  print_text(r, text);
  EXPECT_NE(text.str().find("register"), std::string::npos);
  EXPECT_NE(text.str().find("bytes per binding"), std::string::npos);
}

}  // namespace
}  // namespace pmipx::bench
