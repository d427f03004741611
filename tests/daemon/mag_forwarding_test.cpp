// The MAG edge's translation of engine operations into data plane state, uplink tables and
// source rules, on recording fakes: one test per rule of mag_forwarding.cpp.
#include "daemon/mag_forwarding.hpp"

#include <gtest/gtest.h>

#include "core/mn/uplink_selector.hpp"
#include "fake_forwarding.hpp"

namespace pmipx::daemon {
namespace {

using dataplane::Distribution;
using fakes::FakePlane;
using fakes::FakeRouting;
using fakes::a6;
using fakes::kLmaa;
using fakes::p6;
const wire::Ipv6Address kCoa1 = a6("2001:db8:a::1");  // WAN ifindex 2, MTU 1500 (primary)
const wire::Ipv6Address kCoa2 = a6("2001:db8:b::1");  // WAN ifindex 3, MTU 1400
const wire::Ipv6Prefix kDefault = p6("::/0");
const wire::Ipv6Prefix kP = p6("2001:db8:1::/64");
constexpr core::LinkId kLink = 7;

class MagForwardingTest : public ::testing::Test {
 protected:
  MagForwardingTest() {
    routing_.add_link(kLmaa, kCoa1, 2, 1500, a6("fe80::1"));
    routing_.add_link(kLmaa, kCoa2, 3, 1400, a6("fe80::2"));
    core::MagConfig config;
    config.lmaa = kLmaa;
    config.wan_links = {core::WanLink{kCoa1, wire::AccessTech::kEthernet, 1},
                        core::WanLink{kCoa2, wire::AccessTech::kEthernet, 2}};
    auto plane = std::make_unique<FakePlane>();
    plane_ = plane.get();
    fwd_ = std::make_unique<MagForwarding>(config, std::move(plane), routing_,
                                           std::make_shared<spdlog::logger>("mag_forwarding_test"));
  }

  void apply(const core::MagDataplaneOp& op) { ASSERT_EQ(fwd_->apply(op), std::nullopt); }
  void tunnels() {
    apply(core::mag_op::TunnelAdd{kLmaa, kCoa1});
    apply(core::mag_op::TunnelAdd{kLmaa, kCoa2});
  }
  std::uint32_t tunnel_from(const wire::Ipv6Address& coa) const {
    for (const auto& [id, t] : plane_->tunnels) {
      if (t.local == coa) return id;
    }
    return 0;
  }

  FakeRouting routing_;
  FakePlane* plane_ = nullptr;
  std::unique_ptr<MagForwarding> fwd_;
};

TEST_F(MagForwardingTest, ConstructionSetsMagModeAndEveryWanProxyCoaAsLocalEndpoint) {
  EXPECT_EQ(plane_->mode, dataplane::Mode::kMag);
  EXPECT_EQ(plane_->locals, (std::set<wire::Ipv6Address>{kCoa1, kCoa2}));
}

TEST_F(MagForwardingTest, TunnelAddInstallsAnUplinkTableDefaultRouteWithMtuMinus40) {
  tunnels();
  const auto& t = plane_->tunnels.at(tunnel_from(kCoa1));
  EXPECT_EQ(t.remote, kLmaa);
  EXPECT_EQ(t.ifindex, 2u);
  EXPECT_EQ(plane_->peers.at(kLmaa), tunnel_from(kCoa2));  // the last tunnel added answers for the LMA
  EXPECT_EQ(plane_->encap, (std::set<int>{2, 3}));
  EXPECT_EQ(plane_->decap, (std::set<int>{2, 3}));

  const auto* first = routing_.route(kDefault, 1000);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->oif, 2u);
  EXPECT_EQ(first->gateway, a6("fe80::1"));
  EXPECT_EQ(first->mtu, 1500u - 40);
  const auto* second = routing_.route(kDefault, 1001);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->oif, 3u);
  EXPECT_EQ(second->mtu, 1400u - 40);
}

TEST_F(MagForwardingTest, TunnelRemoveDeletesItsTableRouteTunnelAndPeer) {
  apply(core::mag_op::TunnelAdd{kLmaa, kCoa1});
  apply(core::mag_op::TunnelRemove{kLmaa, kCoa1});
  EXPECT_FALSE(routing_.route(kDefault, 1000));
  EXPECT_TRUE(plane_->tunnels.empty());
  EXPECT_TRUE(plane_->peers.empty());
}

TEST_F(MagForwardingTest, RemovingOneWanTunnelKeepsTheLmaAPeerOfTheOther) {
  tunnels();
  apply(core::mag_op::TunnelRemove{kLmaa, kCoa2});
  EXPECT_EQ(plane_->peers.at(kLmaa), tunnel_from(kCoa1));  // downlink over the other path still decapsulated
  apply(core::mag_op::TunnelRemove{kLmaa, kCoa1});
  EXPECT_TRUE(plane_->peers.empty());
}

TEST_F(MagForwardingTest, AWanTunnelThatReturnsDoesNotTakeTheTableOfOneThatStayed) {
  tunnels();
  apply(core::mag_op::TunnelRemove{kLmaa, kCoa1});
  apply(core::mag_op::TunnelAdd{kLmaa, kCoa1});
  const auto* first = routing_.route(kDefault, 1000);
  const auto* second = routing_.route(kDefault, 1001);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->oif, 2u);   // kCoa1's table again
  EXPECT_EQ(second->oif, 3u);  // kCoa2's untouched
}

TEST_F(MagForwardingTest, RouteAddSendsThePrefixIntoThePrimaryTunnelsTable) {
  tunnels();
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  EXPECT_TRUE(routing_.source_rules.count({kP, 1000, 1000}));
  const auto& r = plane_->prefix(kP);
  EXPECT_EQ(r.owner, kLink);
  EXPECT_EQ(r.target.tunnel_id, tunnel_from(kCoa1));
  EXPECT_FALSE(r.drop);
}

TEST_F(MagForwardingTest, RouteAddWithoutThePrimaryTunnelIsAnError) {
  EXPECT_NE(fwd_->apply(core::mag_op::RouteAdd{kLink, kP, true}), std::nullopt);
  EXPECT_TRUE(routing_.source_rules.empty());
}

TEST_F(MagForwardingTest, RouteRemoveDeletesTheSourceRuleAndThePrefix) {
  tunnels();
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  apply(core::mag_op::RouteRemove{kLink, kP});
  EXPECT_TRUE(routing_.source_rules.empty());
  EXPECT_FALSE(plane_->prefixes.count(kP));
}

// The MN's view: web (to port 443) over BLUE, mail over both.
wire::Ipv6TrafficSelector to_port(std::uint16_t port) {
  wire::Ipv6TrafficSelector ts;
  ts.dst_port = wire::Bound<std::uint16_t>{port, std::nullopt};
  ts.dst = wire::Bound<wire::Ipv6Address>{a6("2001:db8:c::1"), std::nullopt};
  return ts;
}

core::mag_op::MultipathSet multipath() {
  core::mag_op::MultipathSet o;
  o.link = kLink;
  o.paths = {core::TunnelPath{1, kCoa1, 1, 3}, core::TunnelPath{2, kCoa2, 2, 1}};
  o.distribution = core::Distribution::kPerPacket;
  o.rules = {core::ResolvedRule{4, 10, to_port(443), {1}}, core::ResolvedRule{5, 20, to_port(25), {0, 1}}};
  return o;
}

TEST_F(MagForwardingTest, MultipathSetTargetsTheGroupAndInstallsLabelRulesInNetworkOrientation) {
  tunnels();
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  apply(multipath());

  const auto& r = plane_->prefix(kP);
  ASSERT_TRUE(plane_->groups.count(r.target.group_id));
  const auto& g = plane_->groups.at(r.target.group_id);
  EXPECT_EQ(g.distribution, Distribution::kPerPacket);
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members[0].tunnel_id, tunnel_from(kCoa1));
  EXPECT_EQ(g.members[0].weight, 3u);
  EXPECT_EQ(g.members[1].weight, 1u);

  // Ids and priorities as configured; the selector turned CN -> MN.
  const auto* web = plane_->rule(kLink, 4);
  ASSERT_TRUE(web);
  EXPECT_EQ(web->priority, 10);
  EXPECT_EQ(web->selector, std::get<wire::Ipv6TrafficSelector>(core::uplink_view(to_port(443))));
  ASSERT_TRUE(web->selector.src_port);
  EXPECT_EQ(web->selector.src_port->start, 443);
  EXPECT_FALSE(web->selector.dst_port);
  EXPECT_EQ(web->target.tunnel_id, tunnel_from(kCoa2));
  const auto* mail = plane_->rule(kLink, 5);
  ASSERT_TRUE(mail);
  ASSERT_TRUE(plane_->groups.count(mail->target.group_id));
  EXPECT_NE(mail->target.group_id, r.target.group_id);
}

TEST_F(MagForwardingTest, RouteAddOnAMultipathLinkTargetsTheGroup) {
  tunnels();
  apply(multipath());
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  EXPECT_NE(plane_->prefix(kP).target.group_id, 0u);
  EXPECT_TRUE(routing_.source_rules.count({kP, 1000, 1000}));  // still leaves by the primary table
}

TEST_F(MagForwardingTest, UplinkFollowsTheFirstLivePathWhenThePrimaryWanLinkFails) {
  tunnels();
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  apply(multipath());
  // RED (the primary link, table 1000) failed over: only BLUE (table 1001) is left.
  auto blue_only = multipath();
  blue_only.paths = {core::TunnelPath{2, kCoa2, 2, 1}};
  blue_only.rules = {};
  apply(blue_only);
  EXPECT_EQ(routing_.source_rules, (std::set<std::tuple<wire::Ipv6Prefix, std::uint32_t, std::uint32_t>>{
                                       {kP, 1001, 1000}}));
  // RED is back first in the list: the rule returns to its table.
  apply(multipath());
  EXPECT_EQ(routing_.source_rules, (std::set<std::tuple<wire::Ipv6Prefix, std::uint32_t, std::uint32_t>>{
                                       {kP, 1000, 1000}}));
}

TEST_F(MagForwardingTest, MultipathRemoveRestoresThePrimaryTunnelAndRemovesRulesAndGroups) {
  tunnels();
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  apply(multipath());
  apply(core::mag_op::MultipathRemove{kLink});
  EXPECT_EQ(plane_->prefix(kP).target.group_id, 0u);
  EXPECT_EQ(plane_->prefix(kP).target.tunnel_id, tunnel_from(kCoa1));
  EXPECT_EQ(plane_->rule_count(kLink), 0u);
  EXPECT_TRUE(plane_->groups.empty());
}

TEST_F(MagForwardingTest, MultipathSetWithoutPathsActsAsRemove) {
  tunnels();
  apply(core::mag_op::RouteAdd{kLink, kP, true});
  apply(multipath());
  auto none = multipath();
  none.paths.clear();
  apply(none);
  EXPECT_EQ(plane_->prefix(kP).target.tunnel_id, tunnel_from(kCoa1));
  EXPECT_TRUE(plane_->groups.empty());
}

}  // namespace
}  // namespace pmipx::daemon
