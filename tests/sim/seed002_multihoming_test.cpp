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

}  // namespace
}  // namespace pmipx::sim
