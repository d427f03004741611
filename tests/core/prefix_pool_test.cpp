#include "core/lma/prefix_pool.hpp"

#include <gtest/gtest.h>

#include <set>

namespace pmipx::core {
namespace {

wire::Ipv6Prefix p6(const char* s) { return *wire::Ipv6Prefix::parse(s); }

TEST(PrefixPool, RejectsImpossibleShapes) {
  EXPECT_FALSE(PrefixPool::create(p6("2001:db8::/64"), 64));
  EXPECT_FALSE(PrefixPool::create(p6("2001:db8::/64"), 48));
  EXPECT_FALSE(PrefixPool::create(p6("2001:db8::/32"), 64));  // 2^32 prefixes: too many
  EXPECT_TRUE(PrefixPool::create(p6("2001:db8::/40"), 64));
}

TEST(PrefixPool, HandsOutEveryPrefixOnceThenNothing) {
  auto pool = *PrefixPool::create(p6("2001:db8:1::/60"), 64);
  std::set<wire::Ipv6Prefix> seen;
  for (int i = 0; i < 16; ++i) {
    auto p = pool.allocate();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 64);
    EXPECT_TRUE(pool.base().contains(p->address));
    EXPECT_TRUE(seen.insert(*p).second);
  }
  EXPECT_FALSE(pool.allocate());
  EXPECT_EQ(pool.used(), 16u);
  EXPECT_EQ(*seen.begin(), p6("2001:db8:1::/64"));
  EXPECT_EQ(*seen.rbegin(), p6("2001:db8:1:f::/64"));
}

TEST(PrefixPool, ReleasedPrefixIsReusedLast) {
  auto pool = *PrefixPool::create(p6("2001:db8:1::/62"), 64);
  auto a = *pool.allocate();
  auto b = *pool.allocate();
  pool.release(a);
  EXPECT_NE(*pool.allocate(), a);  // the cursor moves on
  EXPECT_NE(*pool.allocate(), b);
  EXPECT_EQ(*pool.allocate(), a);
}

TEST(PrefixPool, ReserveTakesASpecificPrefixOnce) {
  auto pool = *PrefixPool::create(p6("2001:db8:1::/48"), 64);
  EXPECT_TRUE(pool.reserve(p6("2001:db8:1:7::/64")));
  EXPECT_FALSE(pool.reserve(p6("2001:db8:1:7::/64")));
  EXPECT_FALSE(pool.reserve(p6("2001:db8:2:7::/64")));    // outside
  EXPECT_FALSE(pool.reserve(p6("2001:db8:1:7::/56")));    // wrong length
  EXPECT_FALSE(pool.reserve(p6("2001:db8:1:7::1/64")));   // host bits
  EXPECT_TRUE(pool.in_use(p6("2001:db8:1:7::/64")));
  pool.release(p6("2001:db8:1:7::/64"));
  EXPECT_FALSE(pool.in_use(p6("2001:db8:1:7::/64")));
  EXPECT_EQ(pool.used(), 0u);
}

TEST(PrefixPool, WorksForNonOctetBoundaries) {
  auto pool = *PrefixPool::create(p6("2001:db8:1::/45"), 60);
  auto p = *pool.allocate();
  EXPECT_EQ(p, p6("2001:db8::/60"));  // base masked to /45 is 2001:db8::
  EXPECT_EQ(pool.capacity(), 1u << 15);
}

}  // namespace
}  // namespace pmipx::core
