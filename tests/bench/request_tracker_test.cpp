#include "bench/request_tracker.hpp"

#include <gtest/gtest.h>

namespace pmipx::bench {
namespace {

using std::chrono::milliseconds;
const Instant t0{};

TEST(RequestTracker, ReplyCompletesItsRequestOnce) {
  RequestTracker t(milliseconds(100));
  ASSERT_TRUE(t.add({1, 7}, 42, t0));
  auto c = t.complete({1, 7}, t0 + milliseconds(3));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mn, 42u);
  EXPECT_EQ(c->latency, milliseconds(3));
  EXPECT_FALSE(t.complete({1, 7}, t0 + milliseconds(4)));  // a duplicate reply
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(RequestTracker, KeyIsMagAndSequence) {
  RequestTracker t(milliseconds(100));
  ASSERT_TRUE(t.add({1, 7}, 10, t0));
  ASSERT_TRUE(t.add({2, 7}, 20, t0));  // same sequence, another MAG
  EXPECT_FALSE(t.complete({3, 7}, t0));
  EXPECT_EQ(t.complete({2, 7}, t0)->mn, 20u);
  EXPECT_EQ(t.complete({1, 7}, t0)->mn, 10u);
}

TEST(RequestTracker, SequenceInFlightCannotBeReused) {
  RequestTracker t(milliseconds(100));
  ASSERT_TRUE(t.add({0, 1}, 1, t0));
  EXPECT_FALSE(t.add({0, 1}, 2, t0));
  EXPECT_EQ(t.complete({0, 1}, t0)->mn, 1u);
  EXPECT_TRUE(t.add({0, 1}, 2, t0 + milliseconds(1)));  // free again once answered
}

TEST(RequestTracker, ExpiresOnlyWhatIsOlderThanTheTimeout) {
  RequestTracker t(milliseconds(100));
  t.add({0, 1}, 1, t0);
  t.add({0, 2}, 2, t0 + milliseconds(10));
  t.add({0, 3}, 3, t0 + milliseconds(20));
  t.complete({0, 2}, t0 + milliseconds(30));
  std::vector<std::uint32_t> expired;
  t.expire(t0 + milliseconds(99), expired);
  EXPECT_TRUE(expired.empty());
  EXPECT_EQ(t.next_deadline(), t0 + milliseconds(100));
  t.expire(t0 + milliseconds(115), expired);
  EXPECT_EQ(expired, std::vector<std::uint32_t>{1});  // 2 was answered
  EXPECT_EQ(t.next_deadline(), t0 + milliseconds(120));
  t.expire(t0 + milliseconds(120), expired);
  EXPECT_EQ(expired, (std::vector<std::uint32_t>{1, 3}));
  EXPECT_EQ(t.in_flight(), 0u);
  EXPECT_FALSE(t.next_deadline());
  EXPECT_FALSE(t.complete({0, 3}, t0 + milliseconds(121)));  // late reply: unmatched
}

TEST(RequestTracker, ReusedKeyKeepsTheNewDeadline) {
  RequestTracker t(milliseconds(100));
  t.add({0, 1}, 1, t0);
  t.complete({0, 1}, t0 + milliseconds(1));
  t.add({0, 1}, 2, t0 + milliseconds(50));
  std::vector<std::uint32_t> expired;
  t.expire(t0 + milliseconds(100), expired);  // the first send's deadline: nothing to expire
  EXPECT_TRUE(expired.empty());
  EXPECT_EQ(t.next_deadline(), t0 + milliseconds(150));
}

}  // namespace
}  // namespace pmipx::bench
