// Seed 003 (primary-HoA scheme) over the simulated network: Figure 8 (multihoming with equal
// IFPs) and Figure 9 (inter-technology handover by a raised IFP).
#include <gtest/gtest.h>

#include "scenario.hpp"

namespace pmipx::sim {
namespace {

using namespace scenario;

class Seed003 : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<SimLab>(lma_config(), two_mag_policy(MnFeatures{false, false, false, true}), 3);
    mag1_ = lab_->add_mag(kMag1);
    mag2_ = lab_->add_mag(kMag2);
  }
  std::optional<lma_op::PrimaryHoaSet> plan() const {
    std::optional<lma_op::PrimaryHoaSet> out;
    for (const auto& op : lab_->lma_ops()) {
      if (const auto* o = std::get_if<lma_op::PrimaryHoaSet>(&op)) out = *o;
      if (std::holds_alternative<lma_op::PrimaryHoaRemove>(op)) out.reset();
    }
    return out;
  }
  // Figure 8 steps 1-5: IF1 (primary, IFP 5) on MAG1, then IF2 (IFP 5) on MAG2.
  void multihome() {
    lab_->attach(mag1_, Attachment{1, kMn, {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan,
                                   wire::HandoffIndicator::kNewInterface, {}, 5, true, false, false});
    lab_->run_for(seconds(1));
    lab_->attach(mag2_, Attachment{2, kMn, {2, 0, 0, 0, 0, 2}, wire::AccessTech::kEutran,
                                   wire::HandoffIndicator::kNewInterface, {}, 5, false, false, false});
    lab_->run_for(seconds(1));
  }
  std::unique_ptr<SimLab> lab_;
  std::size_t mag1_ = 0, mag2_ = 0;
};

TEST_F(Seed003, Figure8EqualIfpsUseBothInterfaces) {
  multihome();
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA"}));
  auto hnp1 = lab_->mag(mag1_).bindings().find(1)->prefixes.at(0);
  auto hnp2 = lab_->mag(mag2_).bindings().find(2)->prefixes.at(0);
  EXPECT_NE(hnp1, hnp2);  // unique prefix per interface (§5.1)
  // Step 6: downlink for the primary HoA (HNP1) goes both ways; via MAG2 it is rewritten to
  // the IF2 HoA with a type 2 routing header.
  auto p = plan();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->primary_prefix, hnp1);
  ASSERT_EQ(p->targets.size(), 2u);
  EXPECT_EQ(p->targets[0].proxy_coa, kMag1);
  EXPECT_FALSE(p->targets[0].rewrite);
  EXPECT_EQ(p->targets[1].proxy_coa, kMag2);
  EXPECT_EQ(p->targets[1].prefix, hnp2);
  EXPECT_TRUE(p->targets[1].rewrite);
  EXPECT_EQ(lab_->decode_failures(), 0u);
}

TEST_F(Seed003, Figure9RaisedIfpHandsTrafficToTheOtherInterface) {
  multihome();
  // Step 2: the MN's HI to MAG2 carries IFP2 > IFP1; step 3: PBU/PBA.
  auto refused = lab_->at_mag(mag2_, [](MagEngine& m, const Now& now) { return m.update_priority(now, 2, 9, false); });
  EXPECT_EQ(refused, std::nullopt);
  lab_->run_for(seconds(1));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA", "PBU", "PBA"}));
  const auto* lli = wire::find_option<wire::MnLinkLayerIdOption>(lab_->wire_log()[4].message);
  ASSERT_NE(lli, nullptr);
  EXPECT_EQ(lli->ifp, 9);
  EXPECT_FALSE(lli->primary);
  // Step 4: everything for HoA1 now goes through MAG2, rewritten, with the routing header.
  auto p = plan();
  ASSERT_TRUE(p);
  ASSERT_EQ(p->targets.size(), 1u);
  EXPECT_EQ(p->targets[0].proxy_coa, kMag2);
  EXPECT_TRUE(p->targets[0].rewrite);
  EXPECT_EQ(p->primary_prefix, lab_->mag(mag1_).bindings().find(1)->prefixes.at(0));
}

TEST_F(Seed003, PriorityUpdateForAnUnknownLinkIsRefused) {
  multihome();
  auto refused = lab_->at_mag(mag1_, [](MagEngine& m, const Now& now) { return m.update_priority(now, 7, 9, false); });
  EXPECT_EQ(refused, "no MN is attached on link 7");
  EXPECT_EQ(lab_->chart().size(), 4u);
}

}  // namespace
}  // namespace pmipx::sim
