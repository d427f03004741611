#include "core/lma/binding_cache.hpp"

#include <gtest/gtest.h>

namespace pmipx::core {
namespace {

wire::Ipv6Prefix p6(const char* s) { return *wire::Ipv6Prefix::parse(s); }
wire::Ipv6Address a6(const char* s) { return *wire::Ipv6Address::parse(s); }

BindingCacheEntry entry(const char* mn, const char* prefix, const char* coa) {
  BindingCacheEntry e;
  e.mn_id = MnId::nai(mn);
  e.prefixes = {p6(prefix)};
  e.proxy_coa = a6(coa);
  return e;
}

TEST(BindingCache, IndexesFollowInsertUpdateAndErase) {
  BindingCache c;
  auto& a = c.insert(entry("mn1", "2001:db8:1::/64", "2001:db8:a::1"));
  EntryId ida = a.id;
  auto& b = c.insert(entry("mn1", "2001:db8:1::/64", "2001:db8:a::2"));  // shared prefix (HI 6)
  EntryId idb = b.id;
  c.insert(entry("mn2", "2001:db8:2::/64", "2001:db8:a::1"));
  EXPECT_EQ(c.by_mn(MnId::nai("mn1")).size(), 2u);
  EXPECT_EQ(c.by_prefix(p6("2001:db8:1::/64")).size(), 2u);
  EXPECT_EQ(c.by_proxy_coa(a6("2001:db8:a::1")).size(), 2u);

  c.set_proxy_coa(ida, a6("2001:db8:a::3"));
  EXPECT_EQ(c.by_proxy_coa(a6("2001:db8:a::1")).size(), 1u);
  EXPECT_EQ(c.by_proxy_coa(a6("2001:db8:a::3")), std::vector<EntryId>{ida});
  c.set_prefixes(idb, {p6("2001:db8:9::/64")});
  EXPECT_EQ(c.by_prefix(p6("2001:db8:1::/64")), std::vector<EntryId>{ida});

  c.erase(ida);
  EXPECT_TRUE(c.by_prefix(p6("2001:db8:1::/64")).empty());
  EXPECT_TRUE(c.by_proxy_coa(a6("2001:db8:a::3")).empty());
  EXPECT_EQ(c.by_mn(MnId::nai("mn1")), std::vector<EntryId>{idb});
  EXPECT_EQ(c.find(ida), nullptr);
  c.erase(ida);  // twice: no effect
  EXPECT_EQ(c.size(), 2u);
}

TEST(BindingCache, BidsAreTheSmallestFreePerMn) {
  BindingCache c;
  EntryId a = c.insert(entry("mn1", "2001:db8:1::/64", "2001:db8:a::1")).id;
  c.insert(entry("mn1", "2001:db8:2::/64", "2001:db8:a::2"));
  EXPECT_EQ(c.insert(entry("mn2", "2001:db8:3::/64", "2001:db8:a::2")).bid, 1);
  c.erase(a);
  auto& again = c.insert(entry("mn1", "2001:db8:4::/64", "2001:db8:a::3"));
  EXPECT_EQ(again.bid, 1);
  EXPECT_EQ(c.by_bid(MnId::nai("mn1"), 2)->prefixes[0], p6("2001:db8:2::/64"));
  EXPECT_EQ(c.by_bid(MnId::nai("mn1"), 3), nullptr);
}

TEST(BindingCache, HeldBidsAreNotHandedOut) {
  BindingCache c;
  EXPECT_EQ(c.insert(entry("mn1", "2001:db8:1::/64", "2001:db8:a::1"), {1, 3}).bid, 2);
  EXPECT_EQ(c.insert(entry("mn1", "2001:db8:2::/64", "2001:db8:a::2"), {1, 3}).bid, 4);
  EXPECT_EQ(c.insert(entry("mn2", "2001:db8:3::/64", "2001:db8:a::2")).bid, 1);  // per MN
}

}  // namespace
}  // namespace pmipx::core
