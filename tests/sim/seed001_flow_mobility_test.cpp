// Seed 001 (RFC 7864) message charts over the simulated network.
#include <gtest/gtest.h>

#include "scenario.hpp"

namespace pmipx::sim {
namespace {

using namespace scenario;

class Seed001 : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = std::make_unique<SimLab>(lma_config(), two_mag_policy(MnFeatures{true, false, false, false}), 3);
    mag1_ = lab_->add_mag(kMag1);
    mag2_ = lab_->add_mag(kMag2);
  }

  Attachment iface(LinkId link, std::uint8_t mac, wire::AccessTech att,
                   wire::HandoffIndicator hi = wire::HandoffIndicator::kNewInterface) {
    Attachment a;
    a.link = link;
    a.mn_id = kMn;
    a.mn_ll_id = {2, 0, 0, 0, 0, mac};
    a.att = att;
    a.hi = hi;
    return a;
  }

  static wire::TrafficSelector to(const wire::Ipv6Prefix& p, std::uint16_t port) {
    wire::Ipv6TrafficSelector ts;
    auto host = p.address;
    host.octets[15] = 1;
    ts.dst = wire::Bound<wire::Ipv6Address>{host, std::nullopt};
    ts.dst_port = wire::Bound<std::uint16_t>{port, std::nullopt};
    return ts;
  }

  std::optional<std::string> set_flow(const FlowEntry& f) {
    return lab_->at_lma([&](LmaEngine& lma, const Now& now) { return lma.set_flow(now, kMn, f); });
  }

  std::unique_ptr<SimLab> lab_;
  std::size_t mag1_ = 0, mag2_ = 0;
};

// Figure 2: shared prefix; moving flow Y from mag2 to mag1 is an LMA-local decision.
TEST_F(Seed001, Figure2SharedPrefixesMoveWithoutSignaling) {
  lab_->attach(mag1_, iface(1, 1, wire::AccessTech::kWlan));
  lab_->run_for(seconds(1));
  auto pref = lab_->mag(mag1_).bindings().find(1)->prefixes;
  Attachment if2 = iface(2, 2, wire::AccessTech::kEutran, wire::HandoffIndicator::kNewInterfaceSharingPrefixes);
  if2.prefixes = pref;
  lab_->attach(mag2_, if2);
  lab_->run_for(seconds(1));
  ASSERT_FALSE(set_flow(FlowEntry{1, 10, to(pref[0], 80), {1}, FlowAction::kForward}));   // X via mag1
  ASSERT_FALSE(set_flow(FlowEntry{2, 20, to(pref[0], 443), {2}, FlowAction::kForward}));  // Y via mag2
  ASSERT_FALSE(lab_->at_lma([](LmaEngine& lma, const Now& now) { return lma.move_flow(now, kMn, 2, 1); }));
  lab_->run_for(seconds(1));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBA", "PBU", "PBA"}));  // no FMI
  EXPECT_EQ(lab_->mag(mag2_).bindings().find(2)->prefixes, pref);  // both links advertise it
  EXPECT_EQ(lab_->lma().flows().find(kMn, 2)->bids, std::vector<std::uint16_t>{1});
}

// Figure 4: different prefixes; the flow to pref1 moves to mag2 after FMI/FMA. mag2 routes
// pref1 to the MN's link but keeps advertising only pref2.
TEST_F(Seed001, Figure4DifferentPrefixesMoveWithFmiAndFma) {
  lab_->attach(mag1_, iface(1, 1, wire::AccessTech::kWlan));
  lab_->attach(mag2_, iface(2, 2, wire::AccessTech::kEutran));
  lab_->run_for(seconds(1));
  auto pref1 = lab_->mag(mag1_).bindings().find(1)->prefixes.at(0);
  auto pref2 = lab_->mag(mag2_).bindings().find(2)->prefixes.at(0);
  ASSERT_NE(pref1, pref2);
  ASSERT_FALSE(set_flow(FlowEntry{1, 10, to(pref1, 80), {1}, FlowAction::kForward}));
  ASSERT_FALSE(lab_->at_lma([](LmaEngine& lma, const Now& now) { return lma.move_flow(now, kMn, 1, 2); }));
  lab_->run_for(seconds(1));
  EXPECT_EQ(lab_->chart(), (Chart{"PBU", "PBU", "PBA", "PBA", "FMI", "UPA"}));
  const auto* b2 = lab_->mag(mag2_).bindings().find(2);
  EXPECT_EQ(b2->off_link_prefixes, std::vector<wire::Ipv6Prefix>{pref1});
  ASSERT_EQ(b2->flows.size(), 1u);
  EXPECT_EQ(b2->flows[0].fid, 1);
  // Routed (not advertised) at mag2; the RA carries pref2 alone.
  bool routed = false;
  std::vector<wire::Ipv6Prefix> last_ra;
  for (const auto& op : lab_->mag_ops(mag2_)) {
    if (const auto* r = std::get_if<mag_op::RouteAdd>(&op); r && r->prefix == pref1) routed = !r->advertise;
    if (const auto* ra = std::get_if<mag_op::RouterAdvertisement>(&op)) last_ra = ra->prefixes;
  }
  EXPECT_TRUE(routed);
  EXPECT_EQ(last_ra, std::vector<wire::Ipv6Prefix>{pref2});
  EXPECT_EQ(lab_->lma().flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{2});
  EXPECT_EQ(lab_->decode_failures(), 0u);
}

TEST_F(Seed001, FmaMnNotAttachedRollsTheMoveBack) {
  lab_->attach(mag1_, iface(1, 1, wire::AccessTech::kWlan));
  lab_->attach(mag2_, iface(2, 2, wire::AccessTech::kEutran));
  lab_->run_for(seconds(1));
  auto pref1 = lab_->mag(mag1_).bindings().find(1)->prefixes.at(0);
  ASSERT_FALSE(set_flow(FlowEntry{1, 10, to(pref1, 80), {1}, FlowAction::kForward}));
  // if2 leaves mag2 before the FMI arrives: mag2 answers 132.
  lab_->detach(mag2_, 2);
  ASSERT_FALSE(lab_->at_lma([](LmaEngine& lma, const Now& now) { return lma.move_flow(now, kMn, 1, 2); }));
  lab_->run_for(seconds(1));
  EXPECT_EQ(lab_->lma().counters().flow_moves_failed, 1u);
  EXPECT_EQ(lab_->lma().flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{1});
  bool reported = false;
  for (const auto& e : lab_->events()) reported = reported || (e.kind == EventKind::kFlowMoveFailed && e.status == 132);
  EXPECT_TRUE(reported);
}

// §3.3: the move is triggered by the attachment of the LTE interface; the PBA to MAG2 carries
// what an FMI would (HNP with L = 1 plus flow information), so no FMI/FMA follows.
TEST(Seed001AttachTrigger, MoveTriggeredByAttachmentRidesInThePba) {
  PolicyStore policy = two_mag_policy(MnFeatures{true, false, false, false});
  MnProfile mn = *policy.find(kMn);
  wire::Ipv6TrafficSelector video;
  video.next_header = wire::Bound<std::uint8_t>{17, std::nullopt};
  video.dst_port = wire::Bound<std::uint16_t>{5004, std::nullopt};
  mn.attach_flows = {AttachFlowRule{wire::AccessTech::kEutran, FlowEntry{7, 20, video, {}, FlowAction::kForward}}};
  policy.add_mn(mn);
  SimLab lab(lma_config(), std::move(policy), 9);
  auto mag1 = lab.add_mag(kMag1);
  auto mag2 = lab.add_mag(kMag2);
  lab.attach(mag1, Attachment{1, kMn, {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan, wire::HandoffIndicator::kNewInterface,
                              {}, 0, false, false, false});
  lab.run_for(seconds(1));
  lab.attach(mag2, Attachment{2, kMn, {2, 0, 0, 0, 0, 2}, wire::AccessTech::kEutran,
                              wire::HandoffIndicator::kNewInterface, {}, 0, false, false, false});
  lab.run_for(seconds(1));
  EXPECT_EQ(lab.chart(), (Chart{"PBU", "PBA", "PBU", "PBA"}));
  auto pref1 = lab.mag(mag1).bindings().find(1)->prefixes.at(0);
  auto pref2 = lab.mag(mag2).bindings().find(2)->prefixes.at(0);
  const auto& pba = lab.wire_log()[3].message;
  std::vector<wire::HnpOption> hnps;
  for (const auto* h : wire::find_options<wire::HnpOption>(pba)) hnps.push_back(*h);
  EXPECT_EQ(hnps, (std::vector<wire::HnpOption>{{false, pref2}, {true, pref1}}));
  const auto* fid = wire::find_option<wire::FlowIdOption>(pba);
  ASSERT_NE(fid, nullptr);
  EXPECT_EQ(fid->fid, 7);
  EXPECT_EQ(fid->bid_refs, std::vector<std::uint16_t>{2});
  // MAG2 routes pref1 to the MN without advertising it; the LMA steers the flow to BID 2.
  const auto* b2 = lab.mag(mag2).bindings().find(2);
  EXPECT_EQ(b2->prefixes, std::vector<wire::Ipv6Prefix>{pref2});
  EXPECT_EQ(b2->off_link_prefixes, std::vector<wire::Ipv6Prefix>{pref1});
  EXPECT_EQ(b2->flows.size(), 1u);
  EXPECT_EQ(lab.lma().flows().find(kMn, 7)->bids, std::vector<std::uint16_t>{2});
  EXPECT_EQ(lab.lma().bindings().by_bid(kMn, 2)->off_link_prefixes, std::vector<wire::Ipv6Prefix>{pref1});
  EXPECT_EQ(lab.decode_failures(), 0u);
}

}  // namespace
}  // namespace pmipx::sim
