#include "bench/send_schedule.hpp"

#include <gtest/gtest.h>

namespace pmipx::bench {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
const SendSchedule::Instant t0{};

TEST(SendSchedule, WindowAloneLimitsInFlight) {
  SendSchedule s(100, 0, 8, t0);
  EXPECT_EQ(s.due(t0, 0), 8u);
  EXPECT_EQ(s.due(t0, 5), 3u);
  EXPECT_EQ(s.due(t0, 8), 0u);
  EXPECT_FALSE(s.next_due());  // no rate: waits for replies, not for time
}

TEST(SendSchedule, NeverMoreThanTotal) {
  SendSchedule s(10, 0, 64, t0);
  EXPECT_EQ(s.due(t0, 0), 10u);
  s.sent(10);
  EXPECT_TRUE(s.all_sent());
  EXPECT_EQ(s.due(t0, 0), 0u);
}

TEST(SendSchedule, RateSpacesRequests) {
  SendSchedule s(100, 1000, 1000, t0);  // one per millisecond
  EXPECT_EQ(s.due(t0, 0), 1u);          // request 0 at t0
  s.sent(1);
  EXPECT_EQ(s.due(t0 + microseconds(999), 1), 0u);
  EXPECT_EQ(s.next_due(), t0 + milliseconds(1));
  EXPECT_EQ(s.due(t0 + milliseconds(1), 1), 1u);
  s.sent(1);
  EXPECT_EQ(s.due(t0 + microseconds(4500), 2), 3u);  // late: catches up on 2, 3, 4
}

TEST(SendSchedule, RateAndWindowTogether) {
  SendSchedule s(100, 1000, 2, t0);
  EXPECT_EQ(s.due(t0 + milliseconds(10), 0), 2u);
  EXPECT_EQ(s.due(t0 + milliseconds(10), 2), 0u);
}

TEST(SendSchedule, ZeroWindowIsOne) {
  SendSchedule s(5, 0, 0, t0);
  EXPECT_EQ(s.due(t0, 0), 1u);
}

}  // namespace
}  // namespace pmipx::bench
