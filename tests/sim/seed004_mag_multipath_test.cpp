// Seed 004 (RFC 8278, MAG multipath) over the simulated network: Figure 2's call flow, both
// traffic distribution schemes of §3.2, the status-180 fallback, and WAN link failover.
#include <gtest/gtest.h>

#include "scenario.hpp"

namespace pmipx::sim {
namespace {

using namespace scenario;

constexpr std::uint8_t kRed = 1, kBlue = 2;
const wire::Ipv6Address kWlan = a6("2001:db8:a:1::1");
const wire::Ipv6Address kLte = a6("2001:db8:a:2::1");

// "HTTP over RED; if no RED interface is up, over BLUE" (§4.1), RED weighted 3:1.
MultipathPolicy web_over_red(Distribution d) {
  MultipathPolicy p;
  p.distribution = d;
  p.weight_by_label = {{kRed, 3}, {kBlue, 1}};
  wire::Ipv6TrafficSelector web;
  web.next_header = wire::Bound<std::uint8_t>{6, std::nullopt};
  web.dst_port = wire::Bound<std::uint16_t>{80, std::nullopt};
  p.rules = {LabelRule{1, 10, web, {kRed, kBlue}}};
  return p;
}

class Seed004 : public ::testing::Test {
 protected:
  void start(Distribution d, bool authorized = true) {
    PolicyStore policy(PrefixPool::create(p6("2001:db8:1::/48"), 64));
    policy.authorize_mag(kWlan);
    policy.authorize_mag(kLte);
    MnProfile mn;
    mn.id = kMn;
    mn.features.multipath = authorized;
    mn.multipath = web_over_red(d);
    policy.add_mn(mn);
    lab_ = std::make_unique<SimLab>(lma_config(), std::move(policy), 4);
    MagConfig c;
    c.wan_links = {WanLink{kWlan, wire::AccessTech::kWlan, kRed}, WanLink{kLte, wire::AccessTech::kEutran, kBlue}};
    c.mag_id = "mag1@example.com";
    c.multipath = web_over_red(d);
    mag_ = lab_->add_mag(kWlan, c);
    // The logical, always-attached MN of §3.1 step 3 behind the MAG.
    Attachment logical;
    logical.link = 1;
    logical.mn_id = kMn;
    logical.multipath = true;
    lab_->attach(mag_, logical);
    lab_->run_for(seconds(1));
  }
  template <class Op, class Ops>
  static std::optional<Op> last(const Ops& ops) {
    std::optional<Op> out;
    for (const auto& op : ops) {
      if (const auto* o = std::get_if<Op>(&op)) out = *o;
    }
    return out;
  }
  std::optional<lma_op::MultipathSet> lma_plan() const {
    std::optional<lma_op::MultipathSet> out;
    for (const auto& op : lab_->lma_ops()) {
      if (const auto* o = std::get_if<lma_op::MultipathSet>(&op)) out = *o;
      if (std::holds_alternative<lma_op::MultipathRemove>(op)) out.reset();
    }
    return out;
  }

  std::unique_ptr<SimLab> lab_;
  std::size_t mag_ = 0;
};

TEST_F(Seed004, Figure2RegistersOnePathPerWanLink) {
  start(Distribution::kPerFlow);
  // (3) PBU (MAG-NAI, MMB) over WLAN, (4) PBA (MMB), (6) PBU over LTE, (7) PBA.
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA"}));
  const auto& log = lab_->wire_log();
  EXPECT_EQ(log[0].src, kWlan);
  const auto* mmb1 = wire::find_option<wire::MagMultipathBindingOption>(log[0].message);
  ASSERT_NE(mmb1, nullptr);
  EXPECT_EQ(mmb1->bid, 1);
  EXPECT_EQ(mmb1->if_label, kRed);
  EXPECT_EQ(mmb1->if_att, wire::AccessTech::kWlan);
  EXPECT_EQ(wire::find_option<wire::MagIdentifierOption>(log[0].message)->identifier, "mag1@example.com");
  EXPECT_NE(wire::find_option<wire::MagMultipathBindingOption>(log[1].message), nullptr);
  EXPECT_EQ(wire::find_option<wire::MagIdentifierOption>(log[1].message), nullptr);
  // Step 6: the LTE PBU carries the HNP allocated in step 4.
  EXPECT_EQ(log[2].src, kLte);
  auto hnp = wire::find_option<wire::HnpOption>(log[1].message)->prefix;
  EXPECT_EQ(wire::find_option<wire::HnpOption>(log[2].message)->prefix, hnp);
  EXPECT_EQ(wire::find_option<wire::MagMultipathBindingOption>(log[2].message)->bid, 2);
  // (5) and (8): a tunnel over each WAN link, at both ends.
  std::vector<wire::Ipv6Address> mag_tunnels, lma_tunnels;
  for (const auto& op : lab_->mag_ops(mag_)) {
    if (const auto* t = std::get_if<mag_op::TunnelAdd>(&op)) mag_tunnels.push_back(t->proxy_coa);
  }
  for (const auto& op : lab_->lma_ops()) {
    if (const auto* t = std::get_if<lma_op::TunnelAdd>(&op)) lma_tunnels.push_back(t->proxy_coa);
  }
  EXPECT_EQ(mag_tunnels, (std::vector<wire::Ipv6Address>{kWlan, kLte}));
  EXPECT_EQ(lma_tunnels, (std::vector<wire::Ipv6Address>{kWlan, kLte}));
  // Two binding cache entries sharing the one prefix; the MN sees one RA with it.
  ASSERT_EQ(lab_->lma().bindings().by_prefix(hnp).size(), 2u);
  auto ra = last<mag_op::RouterAdvertisement>(lab_->mag_ops(mag_));
  ASSERT_TRUE(ra);
  EXPECT_EQ(ra->prefixes, std::vector<wire::Ipv6Prefix>{hnp});
  EXPECT_EQ(lab_->decode_failures(), 0u);
}

TEST_F(Seed004, PerFlowDistributionAgreesAtBothEnds) {
  start(Distribution::kPerFlow);
  auto up = last<mag_op::MultipathSet>(lab_->mag_ops(mag_));
  auto down = lma_plan();
  ASSERT_TRUE(up && down);
  EXPECT_EQ(up->distribution, Distribution::kPerFlow);
  EXPECT_EQ(up->paths, down->paths);  // same tunnels, labels and weights
  EXPECT_EQ(up->rules, down->rules);
  ASSERT_EQ(up->rules.size(), 1u);
  EXPECT_EQ(up->rules[0].paths, std::vector<std::size_t>{0});  // web over RED (WLAN)
}

TEST_F(Seed004, PerPacketDistributionCarriesTheWeights) {
  start(Distribution::kPerPacket);
  auto up = last<mag_op::MultipathSet>(lab_->mag_ops(mag_));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->distribution, Distribution::kPerPacket);
  ASSERT_EQ(up->paths.size(), 2u);
  EXPECT_EQ(up->paths[0].weight, 3);  // RED (WLAN) 3 : BLUE (LTE) 1
  EXPECT_EQ(up->paths[1].weight, 1);
  EXPECT_EQ(lma_plan()->paths, up->paths);
}

TEST_F(Seed004, UnauthorizedMnFallsBackToOnePath) {
  start(Distribution::kPerFlow, false);
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA"}));
  EXPECT_EQ(std::get<wire::BindingAck>(lab_->wire_log()[1].message.body).status,
            wire::BaStatus::kCannotSupportMultipathBinding);
  // The retry carries no multipath options and is accepted; LTE stays unused.
  EXPECT_EQ(wire::find_option<wire::MagMultipathBindingOption>(lab_->wire_log()[2].message), nullptr);
  EXPECT_EQ(std::get<wire::BindingAck>(lab_->wire_log()[3].message.body).status, wire::BaStatus::kAccepted);
  EXPECT_EQ(lab_->mag(mag_).counters().multipath_refused, 1u);
  EXPECT_EQ(lab_->mag(mag_).bindings().size(), 1u);
  EXPECT_FALSE(last<mag_op::MultipathSet>(lab_->mag_ops(mag_)));
}

TEST_F(Seed004, WanLinkDownFailsFlowsOverAndReturns) {
  start(Distribution::kPerFlow);
  auto hnp = lab_->mag(mag_).bindings().find(1)->prefixes;
  lab_->wan_link_down(mag_, 0);  // WLAN (RED) fails
  lab_->run_for(seconds(1));
  // The WLAN path is de-registered over LTE, naming the dead proxy-CoA.
  const auto& dereg = lab_->wire_log()[4];
  EXPECT_EQ(dereg.src, kLte);
  EXPECT_EQ(std::get<wire::BindingUpdate>(dereg.message.body).lifetime.units, 0);
  EXPECT_EQ(wire::find_option<wire::AlternateCoaOption>(dereg.message)->address, kWlan);
  EXPECT_EQ(lab_->chart().size(), 6u);
  // Web falls back to BLUE at both ends; the MN keeps its prefix and its RA.
  auto up = last<mag_op::MultipathSet>(lab_->mag_ops(mag_));
  auto down = lma_plan();
  ASSERT_TRUE(up && down);
  ASSERT_EQ(up->paths.size(), 1u);
  EXPECT_EQ(up->paths[0].proxy_coa, kLte);
  EXPECT_EQ(up->rules[0].paths, std::vector<std::size_t>{0});
  EXPECT_EQ(down->paths, up->paths);
  EXPECT_EQ(lab_->mag(mag_).bindings().find(1, 0)->state, BuleState::kPathDown);
  EXPECT_EQ(lab_->mag(mag_).bindings().find(1, 0)->prefixes, hnp);
  EXPECT_EQ(lab_->mag(mag_).counters().path_failovers, 1u);

  lab_->wan_link_up(mag_, 0);
  lab_->run_for(seconds(1));
  up = last<mag_op::MultipathSet>(lab_->mag_ops(mag_));
  ASSERT_EQ(up->paths.size(), 2u);
  EXPECT_EQ(up->rules[0].paths, std::vector<std::size_t>{0});  // back on RED
  EXPECT_EQ(lma_plan()->paths, up->paths);
  EXPECT_EQ(lab_->mag(mag_).bindings().find(1, 0)->prefixes, hnp);
  EXPECT_EQ(lab_->decode_failures(), 0u);
}

TEST_F(Seed004, DetachDeregistersEveryPath) {
  start(Distribution::kPerFlow);
  lab_->detach(mag_, 1);
  lab_->run_for(seconds(12));  // past MinDelayBeforeBCEDelete
  EXPECT_EQ(lab_->mag(mag_).bindings().size(), 0u);
  EXPECT_EQ(lab_->lma().bindings().size(), 0u);
  EXPECT_FALSE(lma_plan());
  std::size_t removed = 0;
  for (const auto& op : lab_->mag_ops(mag_)) removed += std::holds_alternative<mag_op::TunnelRemove>(op);
  EXPECT_EQ(removed, 2u);
}

}  // namespace
}  // namespace pmipx::sim
