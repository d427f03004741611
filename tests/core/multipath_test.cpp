// MAG multipath at the LMA (seed 004, RFC 8278 §4): one MAG registers several proxy-CoAs for
// one MN with the MAG Multipath Binding and MAG Identifier options.
#include <gtest/gtest.h>

#include "lma_fixture.hpp"

namespace pmipx::core {
namespace {
using namespace test;

constexpr std::uint8_t kRed = 1, kBlue = 2;

class Multipath : public LmaFixture {
 protected:
  // A PBU over WAN path `bid` (proxy-CoA kMag1 for bid 1, kMag2 for bid 2 in these tests).
  PbuSpec path(std::uint8_t bid, std::uint8_t label, const char* mn = "mp@example.com") {
    PbuSpec s;
    s.mn = mn;
    s.lli = wire::Bytes{2, 0, 0, 0, 0, 9};
    s.mmb = wire::MagMultipathBindingOption{bid == 1 ? wire::AccessTech::kWlan : wire::AccessTech::kEutran, label,
                                            bid, false, false};
    s.mag_id = "mag1@example.com";
    return s;
  }
  std::optional<lma_op::MultipathSet> plan() {
    for (auto& op : ops()) {
      if (auto* s = std::get_if<lma_op::MultipathSet>(&op)) last_ = *s;
      if (std::holds_alternative<lma_op::MultipathRemove>(op)) last_.reset();
    }
    return last_;
  }
  std::optional<lma_op::MultipathSet> last_;
};

TEST_F(Multipath, AcceptedPathEchoesMultipathOptionWithoutMagIdentifier) {
  auto a = pba(kMag1, path(1, kRed));
  EXPECT_EQ(status(a), wire::BaStatus::kAccepted);
  const auto* mmb = wire::find_option<wire::MagMultipathBindingOption>(a);
  ASSERT_NE(mmb, nullptr);
  EXPECT_EQ(mmb->bid, 1);
  EXPECT_EQ(mmb->if_label, kRed);
  EXPECT_EQ(wire::find_option<wire::MagIdentifierOption>(a), nullptr);
  ASSERT_EQ(entries_of("mp@example.com").size(), 1u);
  EXPECT_EQ(entries_of("mp@example.com")[0]->path->mag_id, "mag1@example.com");
}

TEST_F(Multipath, SecondPathSharesThePrefixesOverItsOwnTunnel) {
  auto a = pba(kMag1, path(1, kRed));
  ops();
  advance(milliseconds(10));
  auto two = path(2, kBlue);
  two.hnps = prefixes(a);  // RFC 8278 §3.1 step 6: the MAG includes the HNP of step 4
  auto b = pba(kMag2, two);
  EXPECT_EQ(status(b), wire::BaStatus::kAccepted);
  EXPECT_EQ(prefixes(b), prefixes(a));
  auto es = entries_of("mp@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0]->prefixes, es[1]->prefixes);
  EXPECT_NE(es[0]->proxy_coa, es[1]->proxy_coa);
  bool tunnel = false;
  for (const auto& op : ops()) {
    if (const auto* t = std::get_if<lma_op::TunnelAdd>(&op)) tunnel = t->proxy_coa == kMag2;
    if (const auto* s = std::get_if<lma_op::MultipathSet>(&op)) last_ = *s;
  }
  EXPECT_TRUE(tunnel);
  ASSERT_TRUE(last_);
  ASSERT_EQ(last_->paths.size(), 2u);
  EXPECT_EQ(last_->paths[0], (TunnelPath{1, kMag1, kRed, 3}));
  EXPECT_EQ(last_->paths[1], (TunnelPath{2, kMag2, kBlue, 1}));
  EXPECT_EQ(last_->distribution, Distribution::kPerPacket);
}

TEST_F(Multipath, UnauthorizedMnIsRefusedWith180AndBothOptionsEchoed) {
  auto a = pba(kMag1, path(1, kRed, "mn1@example.com"));
  EXPECT_EQ(status(a), wire::BaStatus::kCannotSupportMultipathBinding);
  EXPECT_NE(wire::find_option<wire::MagMultipathBindingOption>(a), nullptr);
  EXPECT_NE(wire::find_option<wire::MagIdentifierOption>(a), nullptr);
  EXPECT_TRUE(entries_of("mn1@example.com").empty());
}

TEST_F(Multipath, LmaWithoutMultipathSupportAnswersAsALegacyLma) {
  // RFC 8278 §4.4: the options are skipped, the PBU is an ordinary registration, the PBA
  // carries neither option (the MAG then falls back to one path).
  auto c = config();
  c.multipath = false;
  reset(c);
  auto a = pba(kMag1, path(1, kRed));
  EXPECT_EQ(status(a), wire::BaStatus::kAccepted);
  EXPECT_EQ(wire::find_option<wire::MagMultipathBindingOption>(a), nullptr);
  EXPECT_EQ(wire::find_option<wire::MagIdentifierOption>(a), nullptr);
  ASSERT_EQ(entries_of("mp@example.com").size(), 1u);
  EXPECT_FALSE(entries_of("mp@example.com")[0]->path);
  EXPECT_FALSE(plan());
}

TEST_F(Multipath, MultipathRequestWithoutMagIdentifierIsRefused) {
  auto s = path(1, kRed);
  s.mag_id.reset();
  EXPECT_EQ(status(pba(kMag1, s)), wire::BaStatus::kReasonUnspecified);
}

TEST_F(Multipath, SecondPathAskingForOtherPrefixesGets154) {
  pba(kMag1, path(1, kRed));
  advance(milliseconds(10));
  auto two = path(2, kBlue);
  two.hnps = {p6("2001:db8:1:ff::/64")};
  EXPECT_EQ(status(pba(kMag2, two)), wire::BaStatus::kBcePbuPrefixSetDoNotMatch);
}

TEST_F(Multipath, PathRefreshTouchesOnlyThatPath) {
  pba(kMag1, path(1, kRed));
  advance(milliseconds(10));
  pba(kMag2, path(2, kBlue));
  advance(seconds(100));
  auto again = path(2, kBlue);
  again.sequence = 2;
  again.hi = wire::HandoffIndicator::kNotChanged;
  pba(kMag2, again);
  auto es = entries_of("mp@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_LT(es[0]->expires, es[1]->expires);
}

TEST_F(Multipath, BulkReregistrationExtendsEveryPath) {
  pba(kMag1, path(1, kRed));
  advance(milliseconds(10));
  pba(kMag2, path(2, kBlue));
  advance(seconds(100));
  auto bulk = path(1, kRed);
  bulk.sequence = 2;
  bulk.hi = wire::HandoffIndicator::kNotChanged;
  bulk.mmb->bulk = true;
  EXPECT_EQ(status(pba(kMag1, bulk)), wire::BaStatus::kAccepted);
  auto es = entries_of("mp@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0]->expires, es[1]->expires);
  EXPECT_EQ(engine_->counters().multipath_bulk_refreshes, 1u);
  // The extended path really lives on: nothing expires at its old deadline.
  advance(seconds(3500));
  EXPECT_EQ(entries_of("mp@example.com").size(), 2u);
}

TEST_F(Multipath, OverwriteReplacesAllOtherBindings) {
  pba(kMag1, path(1, kRed));
  advance(milliseconds(10));
  pba(kMag2, path(2, kBlue));
  advance(milliseconds(10));
  auto over = path(3, kBlue);
  over.mmb->overwrite = true;
  EXPECT_EQ(status(pba(kMag2, over)), wire::BaStatus::kAccepted);
  auto es = entries_of("mp@example.com");
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0]->path->bid, 3);
  EXPECT_FALSE(es[0]->prefixes.empty());
  EXPECT_EQ(engine_->counters().multipath_overwrites, 1u);
}

TEST_F(Multipath, OverwriteInADeregistrationIsRefused) {
  pba(kMag1, path(1, kRed));
  auto dereg = path(1, kRed);
  dereg.sequence = 2;
  dereg.lifetime_units = 0;
  dereg.mmb->overwrite = true;
  EXPECT_EQ(status(pba(kMag1, dereg)), wire::BaStatus::kReasonUnspecified);
  EXPECT_EQ(entries_of("mp@example.com")[0]->state, BceState::kActive);
}

TEST_F(Multipath, WebRuleUsesRedAndFallsBackToBlue) {
  pba(kMag1, path(1, kRed));
  advance(milliseconds(10));
  pba(kMag2, path(2, kBlue));
  auto p = plan();
  ASSERT_TRUE(p);
  ASSERT_EQ(p->rules.size(), 1u);
  EXPECT_EQ(p->rules[0].paths, std::vector<std::size_t>{0});  // RED is path 0
  // The RED path de-registers: web goes over BLUE.
  advance(milliseconds(10));
  auto dereg = path(1, kRed);
  dereg.sequence = 2;
  dereg.lifetime_units = 0;
  EXPECT_EQ(status(pba(kMag1, dereg)), wire::BaStatus::kAccepted);
  p = plan();
  ASSERT_TRUE(p);
  ASSERT_EQ(p->paths.size(), 1u);
  EXPECT_EQ(p->paths[0].label, kBlue);
  EXPECT_EQ(p->rules[0].paths, std::vector<std::size_t>{0});
  EXPECT_EQ(entries_of("mp@example.com").size(), 2u);  // RED awaits MinDelayBeforeBCEDelete
}

TEST_F(Multipath, LastPathGoneRemovesThePlan) {
  auto one = path(1, kRed);
  one.lifetime_units = 5;
  pba(kMag1, one);
  ASSERT_TRUE(plan());
  advance(seconds(21));
  EXPECT_FALSE(plan());
}

TEST(MultipathPolicy, LabelResolutionTakesEveryPathOfTheFirstLiveLabel) {
  std::vector<TunnelPath> live{{1, {}, kBlue, 1}, {2, {}, 7, 1}, {3, {}, kBlue, 1}};
  EXPECT_EQ(resolve_labels({kRed, kBlue}, live), (std::vector<std::size_t>{0, 2}));
  EXPECT_TRUE(resolve_labels({kRed}, live).empty());
}

TEST(MultipathPolicy, ValidationNamesTheProblem) {
  MultipathPolicy p;
  p.rules = {LabelRule{1, 5, {}, {1}}, LabelRule{2, 5, {}, {2}}};
  EXPECT_EQ(p.validate(), "label rule priority 5 used twice");
  p.rules[1].priority = 6;
  EXPECT_EQ(p.validate(), std::nullopt);
  p.weight_by_label[3] = 0;
  EXPECT_EQ(p.validate(), "label 3 has weight 0");
}

}  // namespace
}  // namespace pmipx::core
