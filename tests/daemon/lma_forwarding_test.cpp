// The LMA edge's translation of engine operations into data plane state and kernel routes,
// on recording fakes: one test per rule of lma_forwarding.cpp.
#include "daemon/lma_forwarding.hpp"

#include <gtest/gtest.h>

#include "fake_forwarding.hpp"

namespace pmipx::daemon {
namespace {

using dataplane::Distribution;
using fakes::FakePlane;
using fakes::FakeRouting;
using fakes::a6;
using fakes::kLmaa;
using fakes::p6;
const wire::Ipv6Address kCoa1 = a6("2001:db8:a::1");  // MAG link ifindex 2, MTU 1500
const wire::Ipv6Address kCoa2 = a6("2001:db8:a::2");  // MAG link ifindex 3, MTU 1480
const wire::Ipv6Prefix kP1 = p6("2001:db8:1::/64");
const wire::Ipv6Prefix kP2 = p6("2001:db8:2::/64");
const core::MnId kMn = core::MnId::nai("mn1@example.org");

wire::Ipv6TrafficSelector dst_port(std::uint16_t port) {
  wire::Ipv6TrafficSelector ts;
  ts.dst_port = wire::Bound<std::uint16_t>{port, std::nullopt};
  return ts;
}

class LmaForwardingTest : public ::testing::Test {
 protected:
  LmaForwardingTest() {
    routing_.add_link(kCoa1, std::nullopt, 2, 1500);
    routing_.add_link(kCoa2, std::nullopt, 3, 1480);
    auto plane = std::make_unique<FakePlane>();
    plane_ = plane.get();
    fwd_ = std::make_unique<LmaForwarding>(kLmaa, 0x1f, std::move(plane), routing_,
                                           std::make_shared<spdlog::logger>("lma_forwarding_test"));
  }

  core::EntryId add_entry(const wire::Ipv6Prefix& prefix, const wire::Ipv6Address& coa) {
    core::BindingCacheEntry e;
    e.mn_id = kMn;
    e.prefixes = {prefix};
    e.proxy_coa = coa;
    return cache_.insert(std::move(e)).id;
  }
  void apply(const core::LmaDataplaneOp& op) { ASSERT_EQ(fwd_->apply(op, cache_), std::nullopt); }
  // Both tunnels, and `prefix` routed through the given entries in this order.
  void route(const wire::Ipv6Prefix& prefix, const std::vector<core::EntryId>& entries) {
    apply(core::lma_op::TunnelAdd{kCoa1});
    apply(core::lma_op::TunnelAdd{kCoa2});
    for (auto id : entries) apply(core::lma_op::RouteAdd{prefix, id, 0, cache_.find(id)->proxy_coa});
  }
  std::uint32_t t1() const { return plane_->tunnel_to(kCoa1); }
  std::uint32_t t2() const { return plane_->tunnel_to(kCoa2); }

  FakeRouting routing_;
  FakePlane* plane_ = nullptr;
  std::unique_ptr<LmaForwarding> fwd_;
  core::BindingCache cache_;
};

TEST_F(LmaForwardingTest, ConstructionSetsLmaModeOptionTypeAndTheLmaaAsLocalEndpoint) {
  EXPECT_EQ(plane_->mode, dataplane::Mode::kLma);
  EXPECT_EQ(plane_->hoa_option_type, 0x1f);
  EXPECT_EQ(plane_->locals, std::set<wire::Ipv6Address>{kLmaa});
}

TEST_F(LmaForwardingTest, TunnelAddTrustsTheProxyCoaAndAttachesEachLinkOnce) {
  routing_.add_link(a6("2001:db8:a::3"), std::nullopt, 2, 1500);  // a second MAG behind link 2
  apply(core::lma_op::TunnelAdd{kCoa1});
  apply(core::lma_op::TunnelAdd{a6("2001:db8:a::3")});
  const auto& t = plane_->tunnels.at(t1());
  EXPECT_EQ(t.local, kLmaa);
  EXPECT_EQ(t.ifindex, 2u);
  EXPECT_EQ(plane_->peers.at(kCoa1), t1());
  EXPECT_EQ(plane_->encap, std::set<int>{2});
  EXPECT_EQ(plane_->decap, std::set<int>{2});
  EXPECT_EQ(plane_->attach_calls, 2);

  apply(core::lma_op::TunnelRemove{kCoa1});
  EXPECT_EQ(plane_->tunnel_to(kCoa1), 0u);
  EXPECT_FALSE(plane_->peers.count(kCoa1));
}

TEST_F(LmaForwardingTest, TunnelAddWithoutRouteToTheProxyCoaIsAnError) {
  EXPECT_NE(fwd_->apply(core::lma_op::TunnelAdd{a6("2001:db8:dead::1")}, cache_), std::nullopt);
  EXPECT_TRUE(plane_->tunnels.empty());
}

TEST_F(LmaForwardingTest, RouteForMnPrefixGoesToFirstUnblockedEntryTunnelWithMtuMinus40) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP1, kCoa2);  // the same prefix over another MAG (HI 6)
  route(kP1, {e1, e2});
  EXPECT_EQ(plane_->prefix(kP1).target.tunnel_id, t1());
  EXPECT_FALSE(plane_->prefix(kP1).drop);
  const auto* r = routing_.route(kP1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->oif, 2u);
  EXPECT_EQ(r->gateway, kCoa1);
  EXPECT_EQ(r->mtu, 1500u - 40);

  apply(core::lma_op::EntryBlock{e1});
  EXPECT_EQ(plane_->prefix(kP1).target.tunnel_id, t2());
  EXPECT_FALSE(plane_->prefix(kP1).drop);
  EXPECT_EQ(routing_.route(kP1)->oif, 3u);
  EXPECT_EQ(routing_.route(kP1)->mtu, 1480u - 40);
}

TEST_F(LmaForwardingTest, EntryBlockDropsPrefixWhileEveryEntryIsBlockedAndRevivesOnRouteAdd) {
  auto e1 = add_entry(kP1, kCoa1);
  route(kP1, {e1});
  apply(core::lma_op::EntryBlock{e1});
  EXPECT_TRUE(plane_->prefix(kP1).drop);
  EXPECT_TRUE(routing_.route(kP1));  // still routed here, so the plane can drop it

  apply(core::lma_op::RouteAdd{kP1, e1, 0, kCoa1});
  EXPECT_FALSE(plane_->prefix(kP1).drop);
  EXPECT_EQ(plane_->prefix(kP1).target.tunnel_id, t1());
}

TEST_F(LmaForwardingTest, RouteRemoveOfTheLastEntryRemovesPrefixAndKernelRoute) {
  auto e1 = add_entry(kP1, kCoa1);
  route(kP1, {e1});
  apply(core::lma_op::RouteRemove{kP1, e1});
  EXPECT_FALSE(plane_->prefixes.count(kP1));
  EXPECT_FALSE(routing_.route(kP1));
}

TEST_F(LmaForwardingTest, FlowRuleSetTargetsTheEntryTunnelOrAPerFlowGroupAndRemoveDropsBoth) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP1, kCoa2);
  route(kP1, {e1, e2});
  const std::uint32_t owner = plane_->prefix(kP1).owner;
  apply(core::lma_op::FlowRuleSet{kMn, 3, 10, dst_port(80), {e2}, core::FlowAction::kForward});
  apply(core::lma_op::FlowRuleSet{kMn, 4, 20, dst_port(443), {e1, e2}, core::FlowAction::kForward});
  apply(core::lma_op::FlowRuleSet{kMn, 5, 30, dst_port(25), {}, core::FlowAction::kDrop});

  const auto* one = plane_->rule(owner, 3);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->priority, 10);
  EXPECT_EQ(one->selector, dst_port(80));
  EXPECT_EQ(one->target.tunnel_id, t2());
  const auto* both = plane_->rule(owner, 4);
  ASSERT_TRUE(both);
  ASSERT_TRUE(plane_->groups.count(both->target.group_id));
  const auto& g = plane_->groups.at(both->target.group_id);
  EXPECT_EQ(g.distribution, Distribution::kPerFlow);
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members[0].tunnel_id, t1());
  EXPECT_EQ(g.members[1].tunnel_id, t2());
  EXPECT_EQ(plane_->rule(owner, 5)->action, dataplane::RuleAction::kDrop);

  apply(core::lma_op::FlowRuleRemove{kMn, 4});
  EXPECT_FALSE(plane_->rule(owner, 4));
  EXPECT_FALSE(plane_->groups.count(g.id));
}

TEST_F(LmaForwardingTest, FlowCountersReadTheMnsRule) {
  auto e1 = add_entry(kP1, kCoa1);
  route(kP1, {e1});
  plane_->rule_hits[{plane_->prefix(kP1).owner, 3}] = {7, 700};
  EXPECT_EQ(fwd_->flow_counters(kMn, 3).bytes, 700u);
  EXPECT_EQ(fwd_->flow_counters(core::MnId::nai("other"), 3).bytes, 0u);
}

// Seed 004 on two paths: RED (coa1, weight 3) and BLUE (coa2, weight 1).
core::lma_op::MultipathSet multipath(core::EntryId e1, core::EntryId e2) {
  core::lma_op::MultipathSet o;
  o.mn = kMn;
  o.prefixes = {kP1};
  o.entries = {e1, e2};
  o.paths = {core::TunnelPath{1, kCoa1, 1, 3}, core::TunnelPath{2, kCoa2, 2, 1}};
  o.distribution = core::Distribution::kPerPacket;
  o.rules = {core::ResolvedRule{7, 5, dst_port(80), {1}}, core::ResolvedRule{8, 6, dst_port(443), {0, 1}},
             core::ResolvedRule{9, 7, dst_port(25), {}}};  // no labelled path up: not installed
  return o;
}

TEST_F(LmaForwardingTest, MultipathSetPutsPrefixesBehindAWeightedGroupAndLabelRulesBecomeFlowRules) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP1, kCoa2);
  route(kP1, {e1, e2});
  apply(multipath(e1, e2));

  const auto& route = plane_->prefix(kP1);
  ASSERT_NE(route.target.group_id, 0u);
  const auto& g = plane_->groups.at(route.target.group_id);
  EXPECT_EQ(g.distribution, Distribution::kPerPacket);
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members[0].tunnel_id, t1());
  EXPECT_EQ(g.members[0].weight, 3u);
  EXPECT_EQ(g.members[1].tunnel_id, t2());
  EXPECT_EQ(g.members[1].weight, 1u);
  EXPECT_EQ(routing_.route(kP1)->mtu, 1480u - 40);  // the smallest path

  // Label rules: ids above every FID, after the flow mobility rules.
  EXPECT_EQ(plane_->rule_count(route.owner), 2u);
  const auto* single = plane_->rule(route.owner, 0x10000 + 7);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->priority, 0x8000 + 5);
  EXPECT_EQ(single->selector, dst_port(80));
  EXPECT_EQ(single->target.tunnel_id, t2());
  const auto* spread = plane_->rule(route.owner, 0x10000 + 8);
  ASSERT_TRUE(spread);
  EXPECT_EQ(spread->priority, 0x8000 + 6);
  ASSERT_TRUE(plane_->groups.count(spread->target.group_id));
  EXPECT_NE(spread->target.group_id, route.target.group_id);
  EXPECT_EQ(plane_->groups.at(spread->target.group_id).members.size(), 2u);
}

TEST_F(LmaForwardingTest, MultipathRemoveRestoresTheSingleTunnelAndRemovesRulesAndGroups) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP1, kCoa2);
  route(kP1, {e1, e2});
  apply(multipath(e1, e2));
  apply(core::lma_op::MultipathRemove{kMn});

  const auto& route = plane_->prefix(kP1);
  EXPECT_EQ(route.target.group_id, 0u);
  EXPECT_EQ(route.target.tunnel_id, t1());
  EXPECT_EQ(routing_.route(kP1)->mtu, 1500u - 40);
  EXPECT_EQ(plane_->rule_count(route.owner), 0u);
  EXPECT_TRUE(plane_->groups.empty());
}

TEST_F(LmaForwardingTest, MultipathSetAgainDropsRulesThatLeftThePlan) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP1, kCoa2);
  route(kP1, {e1, e2});
  apply(multipath(e1, e2));
  auto fewer = multipath(e1, e2);
  fewer.rules.erase(fewer.rules.begin() + 1);  // rule 8 and its group go
  apply(fewer);
  const std::uint32_t owner = plane_->prefix(kP1).owner;
  EXPECT_TRUE(plane_->rule(owner, 0x10000 + 7));
  EXPECT_FALSE(plane_->rule(owner, 0x10000 + 8));
  EXPECT_EQ(plane_->groups.size(), 1u);  // the prefixes' group only
}

// Seed 003: the MN's primary prefix P1 (entry on coa1) follows the highest IFP.
core::lma_op::PrimaryHoaSet primary(core::EntryId e1, core::EntryId e2, bool both) {
  core::lma_op::PrimaryHoaSet o;
  o.mn = kMn;
  o.primary_prefix = kP1;
  o.primary_entry = e1;
  if (both) o.targets.push_back({e1, kCoa1, kP1, false});
  o.targets.push_back({e2, kCoa2, kP2, true});
  o.mn_prefixes = {kP1, kP2};
  return o;
}

TEST_F(LmaForwardingTest, PrimaryHoaSetFlagsThePrimaryPrefixAndRewritesOnlyMarkedTargetsWithMtuMinus64) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP2, kCoa2);
  route(kP1, {e1});
  apply(core::lma_op::RouteAdd{kP2, e2, 0, kCoa2});
  apply(primary(e1, e2, true));

  const auto& p1 = plane_->prefix(kP1);
  EXPECT_TRUE(p1.primary_hoa);
  EXPECT_FALSE(plane_->prefix(kP2).primary_hoa);
  // Two targets share the primary prefix per flow.
  ASSERT_TRUE(plane_->groups.count(p1.target.group_id));
  const auto& g = plane_->groups.at(p1.target.group_id);
  EXPECT_EQ(g.distribution, Distribution::kPerFlow);
  EXPECT_EQ(g.members.size(), 2u);
  // Only the target on the other interface rewrites, into its own prefix.
  std::map<std::pair<std::uint32_t, std::uint32_t>, wire::Ipv6Prefix> rewrites{{{p1.owner, t2()}, kP2}};
  EXPECT_EQ(plane_->rewrites, rewrites);
  // Room for the routing header (24) and the tunnel (40) on the rewriting path.
  EXPECT_EQ(routing_.route(kP1)->mtu, 1480u - 64);
  EXPECT_EQ(routing_.route(kP2)->mtu, 1480u - 40);
}

TEST_F(LmaForwardingTest, PrimaryHoaSetWithOneRewritingTargetSendsThePrefixThroughIt) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP2, kCoa2);
  route(kP1, {e1});
  apply(core::lma_op::RouteAdd{kP2, e2, 0, kCoa2});
  apply(primary(e1, e2, false));
  EXPECT_EQ(plane_->prefix(kP1).target.tunnel_id, t2());
  EXPECT_EQ(plane_->prefix(kP1).target.group_id, 0u);
  EXPECT_TRUE(plane_->groups.empty());
  EXPECT_EQ(routing_.route(kP1)->mtu, 1480u - 64);
}

TEST_F(LmaForwardingTest, PrimaryHoaRemoveUndoesFlagRewritesGroupAndMtu) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP2, kCoa2);
  route(kP1, {e1});
  apply(core::lma_op::RouteAdd{kP2, e2, 0, kCoa2});
  apply(primary(e1, e2, true));
  apply(core::lma_op::PrimaryHoaRemove{kMn});

  const auto& p1 = plane_->prefix(kP1);
  EXPECT_FALSE(p1.primary_hoa);
  EXPECT_EQ(p1.target.group_id, 0u);
  EXPECT_EQ(p1.target.tunnel_id, t1());
  EXPECT_TRUE(plane_->rewrites.empty());
  EXPECT_TRUE(plane_->groups.empty());
  EXPECT_EQ(routing_.route(kP1)->mtu, 1500u - 40);
}

TEST_F(LmaForwardingTest, PrimaryHoaTargetWithoutTunnelIsAnError) {
  auto e1 = add_entry(kP1, kCoa1);
  auto e2 = add_entry(kP2, kCoa2);
  apply(core::lma_op::TunnelAdd{kCoa1});
  apply(core::lma_op::RouteAdd{kP1, e1, 0, kCoa1});
  EXPECT_NE(fwd_->apply(primary(e1, e2, false), cache_), std::nullopt);
  EXPECT_FALSE(plane_->prefix(kP1).primary_hoa);
}

}  // namespace
}  // namespace pmipx::daemon
