#include "core/timer_queue.hpp"

#include <gtest/gtest.h>

namespace pmipx::core {
namespace {

TEST(TimerQueue, EarliestFirstRearmMovesCancelRemoves) {
  TimerQueue<int> q;
  Instant t0{};
  q.arm(1, t0 + seconds(5));
  q.arm(2, t0 + seconds(3));
  q.arm(3, t0 + seconds(4));
  EXPECT_EQ(q.next(), t0 + seconds(3));
  q.arm(2, t0 + seconds(10));  // re-arm moves it
  EXPECT_EQ(q.next(), t0 + seconds(4));
  q.cancel(3);
  EXPECT_EQ(q.next(), t0 + seconds(5));
  EXPECT_FALSE(q.pop_due(t0 + seconds(4)));  // nothing due: no effect
  EXPECT_EQ(q.pop_due(t0 + seconds(20)), 1);
  EXPECT_EQ(q.pop_due(t0 + seconds(20)), 2);
  EXPECT_FALSE(q.pop_due(t0 + seconds(20)));
  EXPECT_FALSE(q.next());
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace pmipx::core
