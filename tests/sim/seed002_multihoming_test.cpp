// Seed 002 (PMIPv6 multihoming) over the simulated network: the MuHo exchange of §5.2.
#include <gtest/gtest.h>

#include "scenario.hpp"

namespace pmipx::sim {
namespace {

using namespace scenario;

TEST(Seed002, MuhoPrefixesAreRoutedAtEveryMagAndNeverAdvertised) {
  SimLab lab(lma_config(), two_mag_policy(MnFeatures{false, true, false, false}), 5);
  auto mag1 = lab.add_mag(kMag1);
  auto mag2 = lab.add_mag(kMag2);
  Attachment if1{1, kMn, {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan, wire::HandoffIndicator::kNewInterface, {}, 0, false, true};
  Attachment if2{2, kMn, {2, 0, 0, 0, 0, 2}, wire::AccessTech::kEutran, wire::HandoffIndicator::kNewInterface, {}, 0, false, true};
  lab.attach(mag1, if1);
  lab.run_for(seconds(1));
  lab.attach(mag2, if2);
  lab.run_for(seconds(1));
  EXPECT_EQ(lab.chart(), (Chart{"PBU", "PBA", "PBU", "PBA", "UPN", "UPA"}));
  auto pref1 = lab.mag(mag1).bindings().find(1)->prefixes;
  auto pref2 = lab.mag(mag2).bindings().find(2)->prefixes;
  EXPECT_EQ(lab.mag(mag2).bindings().find(2)->muho_prefixes, pref1);  // from the PBA
  EXPECT_EQ(lab.mag(mag1).bindings().find(1)->muho_prefixes, pref2);  // from the update
  // mag2 routes pref1 to the MN's if2 (weak host accepts it there) but advertises pref2 only.
  bool routed = false;
  std::vector<wire::Ipv6Prefix> ra;
  for (const auto& op : lab.mag_ops(mag2)) {
    if (const auto* r = std::get_if<mag_op::RouteAdd>(&op); r && r->prefix == pref1[0]) routed = !r->advertise;
    if (const auto* a = std::get_if<mag_op::RouterAdvertisement>(&op)) ra = a->prefixes;
  }
  EXPECT_TRUE(routed);
  EXPECT_EQ(ra, pref2);

  // if2 leaves: after MinDelayBeforeBCEDelete mag1 stops routing pref2.
  lab.detach(mag2, 2);
  lab.run_for(seconds(12));
  EXPECT_TRUE(lab.mag(mag1).bindings().find(1)->muho_prefixes.empty());
  EXPECT_EQ(lab.decode_failures(), 0u);
}

// Figure 4: the LMA's policy table maps flow1 (a 6-tuple towards pref1) to MAG2. MAG2 already
// routes pref1 (MuHo), so the move needs no signaling at all.
TEST(Seed002PolicyTable, SixTupleFlowToAnotherMagNeedsNoSignaling) {
  SimLab lab(lma_config(), two_mag_policy(MnFeatures{false, true, false, false}), 6);
  auto mag1 = lab.add_mag(kMag1);
  auto mag2 = lab.add_mag(kMag2);
  lab.attach(mag1, Attachment{1, kMn, {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan,
                              wire::HandoffIndicator::kNewInterface, {}, 0, false, true});
  lab.run_for(seconds(1));
  lab.attach(mag2, Attachment{2, kMn, {2, 0, 0, 0, 0, 2}, wire::AccessTech::kEutran,
                              wire::HandoffIndicator::kNewInterface, {}, 0, false, true});
  lab.run_for(seconds(1));
  auto before = lab.chart().size();
  auto pref1 = lab.mag(mag1).bindings().find(1)->prefixes.at(0);
  // flow1: CN 2001:db8:ff::5 port 443 -> pref1::10 port 40000, flow label 0x12345, TCP.
  wire::Ipv6TrafficSelector t;
  t.src = wire::Bound<wire::Ipv6Address>{a6("2001:db8:ff::5"), std::nullopt};
  auto mn_addr = pref1.address;
  mn_addr.octets[15] = 0x10;
  t.dst = wire::Bound<wire::Ipv6Address>{mn_addr, std::nullopt};
  t.src_port = wire::Bound<std::uint16_t>{443, std::nullopt};
  t.dst_port = wire::Bound<std::uint16_t>{40000, std::nullopt};
  t.flow_label = wire::Bound<std::uint32_t>{0x12345, std::nullopt};
  t.next_header = wire::Bound<std::uint8_t>{6, std::nullopt};
  auto refused = lab.at_lma([&](LmaEngine& lma, const Now& now) {
    return lma.set_flow(now, kMn, FlowEntry{1, 10, t, {2}, FlowAction::kForward});
  });
  EXPECT_EQ(refused, std::nullopt);
  lab.run_for(seconds(2));
  EXPECT_EQ(lab.chart().size(), before);  // no FMI
  std::optional<lma_op::FlowRuleSet> rule;
  for (const auto& op : lab.lma_ops()) {
    if (const auto* r = std::get_if<lma_op::FlowRuleSet>(&op)) rule = *r;
  }
  ASSERT_TRUE(rule);
  EXPECT_EQ(std::get<wire::Ipv6TrafficSelector>(rule->selector), t);
  ASSERT_EQ(rule->entries.size(), 1u);
  EXPECT_EQ(lab.lma().bindings().find(rule->entries[0])->proxy_coa, kMag2);
}

}  // namespace
}  // namespace pmipx::sim
