// The primary-HoA scheme at the LMA (seed 003 §4.1, §5, §6): IFP and P from the MN-LL-ID
// option decide where downlink for the primary HoA goes and whether it is rewritten.
#include <gtest/gtest.h>

#include "lma_fixture.hpp"

namespace pmipx::core {
namespace {
using namespace test;

class PrimaryHoa : public LmaFixture {
 protected:
  PbuSpec iface(std::uint8_t mac, std::uint8_t ifp, bool primary) {
    PbuSpec s;
    s.mn = "prim@example.com";
    s.lli = wire::Bytes{2, 0, 0, 0, 0, mac};
    s.ifp = ifp;
    s.primary = primary;
    s.att = mac == 1 ? wire::AccessTech::kWlan : wire::AccessTech::kEutran;
    return s;
  }
  // The last primary-HoA plan the data plane was given (nullopt: removed or never set).
  std::optional<lma_op::PrimaryHoaSet> plan() {
    for (auto& op : ops()) {
      if (auto* s = std::get_if<lma_op::PrimaryHoaSet>(&op)) last_ = *s;
      if (std::holds_alternative<lma_op::PrimaryHoaRemove>(op)) last_.reset();
    }
    return last_;
  }
  std::optional<lma_op::PrimaryHoaSet> last_;
};

TEST_F(PrimaryHoa, SingleInterfaceIsPrimaryAndNeedsNoRewrite) {
  auto a = pba(kMag1, iface(1, 5, true));
  auto p = plan();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->primary_prefix, prefixes(a)[0]);
  ASSERT_EQ(p->targets.size(), 1u);
  EXPECT_EQ(p->targets[0].proxy_coa, kMag1);
  EXPECT_FALSE(p->targets[0].rewrite);
}

TEST_F(PrimaryHoa, IfpAndPFlagAreStoredAndEchoed) {
  auto a = pba(kMag1, iface(1, 7, true));
  const auto* lli = wire::find_option<wire::MnLinkLayerIdOption>(a);
  ASSERT_NE(lli, nullptr);
  EXPECT_EQ(lli->ifp, 7);
  EXPECT_TRUE(lli->primary);
  EXPECT_EQ(entries_of("prim@example.com")[0]->ifp, 7);
}

TEST_F(PrimaryHoa, HigherIfpOnNonPrimaryInterfaceGetsRewrittenDownlink) {
  auto a = pba(kMag1, iface(1, 1, true));
  advance(milliseconds(10));
  auto b = pba(kMag2, iface(2, 9, false));
  auto p = plan();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->primary_prefix, prefixes(a)[0]);
  ASSERT_EQ(p->targets.size(), 1u);
  EXPECT_EQ(p->targets[0].proxy_coa, kMag2);
  EXPECT_EQ(p->targets[0].prefix, prefixes(b)[0]);
  EXPECT_TRUE(p->targets[0].rewrite);
  EXPECT_EQ(p->mn_prefixes.size(), 2u);
}

TEST_F(PrimaryHoa, EqualIfpsShareTheDownlink) {
  pba(kMag1, iface(1, 4, true));
  advance(milliseconds(10));
  pba(kMag2, iface(2, 4, false));
  auto p = plan();
  ASSERT_TRUE(p);
  ASSERT_EQ(p->targets.size(), 2u);
  EXPECT_FALSE(p->targets[0].rewrite);  // the primary interface: plain PMIPv6
  EXPECT_TRUE(p->targets[1].rewrite);   // the other: type 2 routing header (seed 003 §6.1 step 6)
}

TEST_F(PrimaryHoa, RaisedIfpInARefreshMovesTheDownlink) {
  pba(kMag1, iface(1, 4, true));
  advance(milliseconds(10));
  auto two = iface(2, 4, false);
  pba(kMag2, two);
  ASSERT_EQ(plan()->targets.size(), 2u);
  // Seed 003 §6.2: the MN's HI raises IFP2; MAG2's PBU carries it; only IF2 remains.
  advance(milliseconds(10));
  two.ifp = 8;
  two.sequence = 2;
  two.hi = wire::HandoffIndicator::kNotChanged;
  EXPECT_EQ(status(pba(kMag2, two)), wire::BaStatus::kAccepted);
  auto p = plan();
  ASSERT_EQ(p->targets.size(), 1u);
  EXPECT_EQ(p->targets[0].proxy_coa, kMag2);
  EXPECT_TRUE(p->targets[0].rewrite);
}

TEST_F(PrimaryHoa, UnchangedRefreshSendsNoNewPlan) {
  auto one = iface(1, 4, true);
  pba(kMag1, one);
  ASSERT_TRUE(plan());
  advance(milliseconds(10));
  one.sequence = 2;
  one.hi = wire::HandoffIndicator::kNotChanged;
  pba(kMag1, one);
  for (const auto& op : ops()) EXPECT_FALSE(std::holds_alternative<lma_op::PrimaryHoaSet>(op));
}

TEST_F(PrimaryHoa, PrimaryInterfaceGoneRemovesThePlan) {
  auto one = iface(1, 4, true);
  one.lifetime_units = 5;
  pba(kMag1, one);
  advance(milliseconds(10));
  pba(kMag2, iface(2, 2, false));
  ASSERT_TRUE(plan());
  advance(seconds(21));  // the primary entry expires: its HoA is gone with its prefix
  EXPECT_FALSE(plan());
}

TEST_F(PrimaryHoa, MnWithoutTheSchemeGetsNoPlan) {
  PbuSpec s;
  s.lli = wire::Bytes{2, 0, 0, 0, 0, 1};
  s.ifp = 9;
  s.primary = true;
  pba(kMag1, s);
  EXPECT_FALSE(plan());
}

}  // namespace
}  // namespace pmipx::core
