// RFC 5213 scenarios over the simulated network: attach, refresh, handoff, de-registration,
// loss and retransmission. Each reads as the message chart it replays.
#include <gtest/gtest.h>

#include "scenario.hpp"

namespace pmipx::sim {
namespace {

using namespace scenario;

class Rfc5213 : public ::testing::Test {
 protected:
  static PolicyStore policy() { return two_mag_policy(MnFeatures{true, false, false, false}); }
  static LmaConfig lma_config() {
    LmaConfig c = scenario::lma_config();
    c.max_lifetime_s = 40;
    return c;
  }
  void SetUp() override {
    lab_ = std::make_unique<SimLab>(lma_config(), policy(), 7);
    MagConfig m;
    m.requested_lifetime_s = 40;
    mag1_ = lab_->add_mag(kMag1, m);
    mag2_ = lab_->add_mag(kMag2, m);
  }

  static Attachment mn_on(LinkId link, wire::HandoffIndicator hi = wire::HandoffIndicator::kNewInterface) {
    Attachment a;
    a.link = link;
    a.mn_id = kMn;
    a.hi = hi;
    a.att = wire::AccessTech::kWlan;
    return a;
  }

  const BindingUpdateListEntry* bule(std::size_t mag, LinkId link) { return lab_->mag(mag).bindings().find(link); }
  const BindingCacheEntry* only_bce() {
    auto& c = lab_->lma().bindings();
    return c.size() == 1 ? &c.entries().begin()->second : nullptr;
  }

  std::unique_ptr<SimLab> lab_;
  std::size_t mag1_ = 0, mag2_ = 0;
};

TEST_F(Rfc5213, AttachRegistersTheMnAndAdvertisesItsPrefix) {
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(milliseconds(100));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA"}));
  auto* b = bule(mag1_, 1);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->state, BuleState::kRegistered);
  ASSERT_EQ(b->prefixes.size(), 1u);
  const auto* bce = only_bce();
  ASSERT_NE(bce, nullptr);
  EXPECT_EQ(bce->prefixes, b->prefixes);
  EXPECT_EQ(bce->proxy_coa, kMag1);
  EXPECT_EQ(bce->mag_link_local, b->mag_link_local);
  // The MAG tunnels to the LMA, routes the prefix to the link and advertises it.
  const auto& ops = lab_->mag_ops(mag1_);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(std::get<mag_op::TunnelAdd>(ops[0]).lmaa, kLmaa);
  EXPECT_EQ(std::get<mag_op::RouteAdd>(ops[1]).prefix, b->prefixes[0]);
  const auto& ra = std::get<mag_op::RouterAdvertisement>(ops[2]);
  EXPECT_EQ(ra.prefixes, b->prefixes);
  EXPECT_EQ(ra.lifetime_s, 40u);
  EXPECT_EQ(lab_->decode_failures(), 0u);
}

TEST_F(Rfc5213, RefreshesKeepTheBindingBeyondItsLifetime) {
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(200));  // five lifetimes
  EXPECT_EQ(lab_->chart().size(), 2u * 7);  // initial + a refresh every 32 s
  EXPECT_EQ(bule(mag1_, 1)->state, BuleState::kRegistered);
  ASSERT_NE(only_bce(), nullptr);
  EXPECT_EQ(lab_->lma().counters().expired, 0u);
  EXPECT_EQ(lab_->lma().counters().pba_rejected, 0u);
}

TEST_F(Rfc5213, LostPbaIsRetransmittedWithDoublingTimeout) {
  int dropped = 0;
  lab_->drop_if = [&](const WireRecord& r) {
    return std::holds_alternative<wire::BindingAck>(r.message.body) && dropped++ < 2;
  };
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(10));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "xPBA", "PBU", "xPBA", "PBU", "PBA"}));
  const auto& log = lab_->wire_log();
  EXPECT_EQ(log[2].sent - log[0].sent, seconds(1));  // INITIAL_BINDACK_TIMEOUT
  EXPECT_EQ(log[4].sent - log[2].sent, seconds(2));  // doubled
  // Each retransmission is a new request with a fresh sequence number (§8.6).
  auto seq = [&](int i) { return std::get<wire::BindingUpdate>(log[static_cast<std::size_t>(i)].message.body).sequence; };
  EXPECT_LT(seq(0), seq(2));
  EXPECT_LT(seq(2), seq(4));
  EXPECT_EQ(bule(mag1_, 1)->state, BuleState::kRegistered);
  EXPECT_EQ(lab_->lma().bindings().size(), 1u);  // the same session each time
}

TEST_F(Rfc5213, UnansweredRegistrationBacksOffToMaxBindackTimeoutAndKeepsTrying) {
  lab_->conditions.loss = 1.0;
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(200));
  const auto& log = lab_->wire_log();
  std::vector<long> gaps;
  for (std::size_t i = 1; i < log.size(); ++i) {
    gaps.push_back(std::chrono::duration_cast<seconds>(log[i].sent - log[i - 1].sent).count());
  }
  EXPECT_EQ(gaps, (std::vector<long>{1, 2, 4, 8, 16, 32, 32, 32, 32, 32}));
  EXPECT_EQ(lab_->mag(mag1_).counters().unanswered, 1u);
  EXPECT_EQ(bule(mag1_, 1)->state, BuleState::kWaitPba);
  lab_->conditions.loss = 0.0;
  lab_->run_for(seconds(40));
  EXPECT_EQ(bule(mag1_, 1)->state, BuleState::kRegistered);
}

TEST_F(Rfc5213, DuplicatedPbuIsAnsweredAgainNotRejected) {
  lab_->conditions.duplicate = 1.0;  // every message arrives twice
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(1));
  EXPECT_EQ(bule(mag1_, 1)->state, BuleState::kRegistered);
  EXPECT_EQ(lab_->lma().counters().duplicates, 1u);
  EXPECT_EQ(lab_->lma().counters().pba_rejected, 0u);
  EXPECT_EQ(lab_->lma().bindings().size(), 1u);
}

TEST_F(Rfc5213, HandoffToAnotherMagMovesTheSessionAndTheOldDeregistrationIsIgnored) {
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(1));
  auto prefix = bule(mag1_, 1)->prefixes;
  // The MN's interface moves: the new MAG knows it is the same interface (HI 3)...
  lab_->attach(mag2_, mn_on(7, wire::HandoffIndicator::kInterMagSameInterface));
  lab_->run_for(seconds(1));
  // ...then the old MAG notices the MN left and de-registers.
  lab_->detach(mag1_, 1);
  lab_->run_for(seconds(2));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA", "PBU"}));  // last PBU unanswered
  EXPECT_EQ(bule(mag2_, 7)->prefixes, prefix);
  EXPECT_EQ(bule(mag1_, 1), nullptr);  // cleaned up after INITIAL_BINDACK_TIMEOUT
  const auto* bce = only_bce();
  ASSERT_NE(bce, nullptr);
  EXPECT_EQ(bce->proxy_coa, kMag2);
  EXPECT_EQ(bce->state, BceState::kActive);
}

TEST_F(Rfc5213, UnknownHandoffWaitsForTheOldMagsDeregistration) {
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(1));
  auto prefix = bule(mag1_, 1)->prefixes;
  lab_->attach(mag2_, mn_on(7, wire::HandoffIndicator::kUnknown));
  lab_->run_for(milliseconds(300));
  lab_->detach(mag1_, 1);
  lab_->run_for(seconds(1));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBU", "PBA", "PBA"}));
  EXPECT_EQ(bule(mag2_, 7)->prefixes, prefix);
  EXPECT_EQ(bule(mag1_, 1), nullptr);
  ASSERT_NE(only_bce(), nullptr);
  EXPECT_EQ(only_bce()->proxy_coa, kMag2);
}

TEST_F(Rfc5213, DetachDeregistersAndTheLmaDeletesAfterMinDelay) {
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(1));
  auto prefix = bule(mag1_, 1)->prefixes.at(0);
  lab_->detach(mag1_, 1);
  lab_->run_for(seconds(1));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA"}));
  EXPECT_EQ(bule(mag1_, 1), nullptr);
  ASSERT_NE(only_bce(), nullptr);
  EXPECT_EQ(only_bce()->state, BceState::kDeletePending);
  lab_->run_for(seconds(10));
  EXPECT_EQ(lab_->lma().bindings().size(), 0u);
  EXPECT_FALSE(lab_->lma().policy().pool()->in_use(prefix));
  // The MAG withdrew the RA and the route, and dropped the tunnel.
  const auto& ops = lab_->mag_ops(mag1_);
  EXPECT_TRUE(std::holds_alternative<mag_op::TunnelRemove>(ops.back()));
  EXPECT_FALSE(lab_->mag(mag1_).poll_timeout());
  EXPECT_FALSE(lab_->lma().poll_timeout());
}

TEST_F(Rfc5213, SecondInterfaceSharingPrefixesAttachesWithHi6) {
  Attachment if1 = mn_on(1);
  if1.mn_ll_id = {2, 0, 0, 0, 0, 1};
  lab_->attach(mag1_, if1);
  lab_->run_for(seconds(1));
  auto prefix = bule(mag1_, 1)->prefixes;
  Attachment if2 = mn_on(2, wire::HandoffIndicator::kNewInterfaceSharingPrefixes);
  if2.mn_ll_id = {2, 0, 0, 0, 0, 2};
  if2.att = wire::AccessTech::kEutran;
  if2.prefixes = prefix;
  lab_->attach(mag2_, if2);
  lab_->run_for(seconds(1));
  EXPECT_EQ(bule(mag2_, 2)->prefixes, prefix);
  EXPECT_EQ(lab_->lma().bindings().size(), 2u);
  EXPECT_EQ(lab_->lma().bindings().by_prefix(prefix[0]).size(), 2u);
}

// Invariant: whatever the wire did, once it is quiet again for a lifetime the MAG and the LMA
// agree on one session with the same prefix, and nothing leaks after detach.
TEST_F(Rfc5213, ViewsAgreeAfterLossDuplicationAndReordering) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    lab_ = std::make_unique<SimLab>(lma_config(), policy(), seed);
    MagConfig m;
    m.requested_lifetime_s = 40;
    mag1_ = lab_->add_mag(kMag1, m);
    lab_->conditions = WireConditions{milliseconds(5), milliseconds(20), 0.3, 0.2};
    Attachment a = mn_on(1);
    a.mn_ll_id = {2, 0, 0, 0, 0, 1};
    lab_->attach(mag1_, a);
    lab_->run_for(seconds(300));
    lab_->conditions = WireConditions{};
    lab_->run_for(seconds(60));
    auto* b = bule(mag1_, 1);
    ASSERT_NE(b, nullptr) << "seed " << seed;
    EXPECT_EQ(b->state, BuleState::kRegistered) << "seed " << seed;
    ASSERT_EQ(lab_->lma().bindings().size(), 1u) << "seed " << seed;
    const auto& e = lab_->lma().bindings().entries().begin()->second;
    EXPECT_EQ(e.prefixes, b->prefixes) << "seed " << seed;
    EXPECT_EQ(e.proxy_coa, kMag1);
    EXPECT_EQ(lab_->decode_failures(), 0u);

    lab_->detach(mag1_, 1);
    lab_->run_for(seconds(20));
    EXPECT_EQ(lab_->mag(mag1_).bindings().size(), 0u) << "seed " << seed;
    EXPECT_EQ(lab_->lma().bindings().size(), 0u) << "seed " << seed;
    EXPECT_FALSE(lab_->mag(mag1_).poll_timeout()) << "seed " << seed;
    EXPECT_FALSE(lab_->lma().poll_timeout()) << "seed " << seed;
    EXPECT_EQ(lab_->lma().policy().pool()->used(), 0u) << "seed " << seed;
  }
}

TEST_F(Rfc5213, MagRegistersAgainWhenEveryRefreshIsLost) {
  lab_->attach(mag1_, mn_on(1));
  lab_->run_for(seconds(1));
  auto prefix = bule(mag1_, 1)->prefixes;
  lab_->conditions.loss = 1.0;
  lab_->run_for(seconds(40));  // refreshes from 32 s on, all lost; both sides expire at 41 s
  lab_->conditions.loss = 0.0;
  lab_->run_for(seconds(10));
  EXPECT_EQ(bule(mag1_, 1)->state, BuleState::kRegistered);
  EXPECT_EQ(bule(mag1_, 1)->prefixes, prefix);  // asked for and got its prefix back
  ASSERT_NE(only_bce(), nullptr);
  EXPECT_EQ(lab_->lma().counters().expired, 1u);
}

}  // namespace
}  // namespace pmipx::sim
