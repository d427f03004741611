// Flow mobility at the LMA (seed 001 / RFC 7864): the flow mobility cache, moves with shared
// prefixes (no signaling) and with different prefixes (FMI/FMA), failure and rollback.
#include <gtest/gtest.h>

#include "core/lma/flow_mobility_cache.hpp"
#include "lma_fixture.hpp"

namespace pmipx::core {
namespace {
using namespace test;
using wire::BaStatus;
using wire::HandoffIndicator;

const MnId kMn = MnId::nai("mn1@example.com");

wire::TrafficSelector to_prefix_port(const wire::Ipv6Address& dst, std::uint16_t port) {
  wire::Ipv6TrafficSelector ts;
  ts.dst = wire::Bound<wire::Ipv6Address>{dst, std::nullopt};
  ts.dst_port = wire::Bound<std::uint16_t>{port, std::nullopt};
  ts.next_header = wire::Bound<std::uint8_t>{6, std::nullopt};
  return ts;
}

wire::Ipv6Address host_in(const wire::Ipv6Prefix& p, std::uint8_t last) {
  auto a = p.address;
  a.octets[15] = last;
  return a;
}

TEST(FlowMobilityCache, KeepsFlowsInPriorityOrderWithUniqueFidAndPriority) {
  FlowMobilityCache fmc;
  EXPECT_FALSE(fmc.upsert(kMn, FlowEntry{2, 20, {}, {1}, FlowAction::kForward}));
  EXPECT_FALSE(fmc.upsert(kMn, FlowEntry{4, 10, {}, {1, 2}, FlowAction::kForward}));
  auto flows = fmc.flows(kMn);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0]->fid, 4);  // FID-PRI 10 first
  EXPECT_TRUE(fmc.upsert(kMn, FlowEntry{5, 10, {}, {1}, FlowAction::kForward}));  // priority taken
  EXPECT_TRUE(fmc.upsert(kMn, FlowEntry{0, 30, {}, {1}, FlowAction::kForward}));  // FID 0
  EXPECT_TRUE(fmc.upsert(kMn, FlowEntry{6, 30, {}, {}, FlowAction::kForward}));   // nowhere to go
  EXPECT_FALSE(fmc.upsert(kMn, FlowEntry{7, 30, {}, {}, FlowAction::kDrop}));
  EXPECT_FALSE(fmc.upsert(kMn, FlowEntry{2, 40, {}, {2}, FlowAction::kForward}));  // replace
  EXPECT_EQ(fmc.find(kMn, 2)->priority, 40);
  EXPECT_EQ(fmc.size(), 3u);
  EXPECT_TRUE(fmc.remove(kMn, 2));
  EXPECT_FALSE(fmc.remove(kMn, 2));
}

class FlowMobility : public LmaFixture {
 protected:
  // Seed 001 §3.2.1: if1 via MAG1, then if2 via MAG2 with HI 6 sharing the prefix.
  wire::Ipv6Prefix attach_shared() {
    PbuSpec if1;
    if1.lli = wire::Bytes{2, 0, 0, 0, 0, 1};
    auto a = pba(kMag1, if1);
    PbuSpec if2;
    if2.lli = wire::Bytes{2, 0, 0, 0, 0, 2};
    if2.att = wire::AccessTech::kEutran;
    if2.hnps = prefixes(a);
    if2.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
    advance(milliseconds(10));
    pba(kMag2, if2);
    ops();
    return prefixes(a)[0];
  }
  // Seed 001 §3.2.2: two interfaces, each with its own prefix.
  std::pair<wire::Ipv6Prefix, wire::Ipv6Prefix> attach_different() {
    PbuSpec if1;
    if1.lli = wire::Bytes{2, 0, 0, 0, 0, 1};
    auto a = pba(kMag1, if1);
    PbuSpec if2;
    if2.lli = wire::Bytes{2, 0, 0, 0, 0, 2};
    if2.att = wire::AccessTech::kEutran;
    advance(milliseconds(10));
    auto b = pba(kMag2, if2);
    ops();
    return {prefixes(a)[0], prefixes(b)[0]};
  }
  std::vector<Event> events() {
    std::vector<Event> out;
    while (auto e = engine_->poll_event()) out.push_back(*e);
    return out;
  }
};

TEST_F(FlowMobility, SharedPrefixMoveNeedsNoSignalingAndMatchesFigure3) {
  auto pref = attach_shared();
  // Flow X via mag1 (BID 1), flow Y via mag2 (BID 2).
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, to_prefix_port(host_in(pref, 1), 80), {1}, FlowAction::kForward}));
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{2, 20, to_prefix_port(host_in(pref, 1), 443), {2}, FlowAction::kForward}));
  ops();
  // Move Y to mag1: a local decision.
  ASSERT_FALSE(engine_->move_flow(now(), kMn, 2, 1));
  EXPECT_TRUE(drain().empty());
  auto o = ops();
  ASSERT_EQ(o.size(), 1u);
  const auto& rule = std::get<lma_op::FlowRuleSet>(o[0]);
  EXPECT_EQ(rule.fid, 2);
  EXPECT_EQ(rule.entries, std::vector<EntryId>{entries_of("mn1@example.com")[0]->id});

  // Binding cache (Figure 3, upper table): two entries of MN1 sharing the HNP.
  auto es = entries_of("mn1@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0]->bid, 1);
  EXPECT_EQ(es[0]->att, wire::AccessTech::kWlan);
  EXPECT_EQ(es[0]->proxy_coa, kMag1);
  EXPECT_EQ(es[1]->bid, 2);
  EXPECT_EQ(es[1]->att, wire::AccessTech::kEutran);
  EXPECT_EQ(es[1]->proxy_coa, kMag2);
  EXPECT_EQ(es[0]->prefixes, es[1]->prefixes);
  // Flow mobility cache (Figure 3, lower table): both flows now via BID 1, active.
  auto flows = engine_->flows().flows(kMn);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0]->bids, std::vector<std::uint16_t>{1});
  EXPECT_EQ(flows[1]->bids, std::vector<std::uint16_t>{1});
  EXPECT_TRUE(engine_->flows().active(kMn, *flows[1], cache()));
}

TEST_F(FlowMobility, DifferentPrefixMoveSendsFmiAndAppliesOnlyOnFma) {
  auto [pref1, pref2] = attach_different();
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, to_prefix_port(host_in(pref1, 1), 80), {1}, FlowAction::kForward}));
  ops();
  ASSERT_FALSE(engine_->move_flow(now(), kMn, 1, 2));
  auto t = drain();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].dst, kMag2);
  const auto& fmi = t[0].message;
  const auto& upn = std::get<wire::UpdateNotification>(fmi.body);
  EXPECT_EQ(upn.reason, wire::NotificationReason::kFlowMobility);
  EXPECT_TRUE(upn.ack_requested);
  EXPECT_FALSE(upn.retransmission);
  // MN-ID first, then HNP with L = 1, then the flow (§4.2, §3.4).
  ASSERT_GE(fmi.options.size(), 3u);
  EXPECT_EQ(std::get<wire::MnIdOption>(fmi.options[0]).identifier, "mn1@example.com");
  EXPECT_EQ(std::get<wire::HnpOption>(fmi.options[1]), (wire::HnpOption{true, pref1}));
  const auto& fid = std::get<wire::FlowIdOption>(fmi.options[2]);
  EXPECT_EQ(fid.fid, 1);
  EXPECT_EQ(fid.bid_refs, std::vector<std::uint16_t>{2});
  EXPECT_TRUE(wire::encode_message(fmi).ok());
  // Nothing moves before the FMA.
  EXPECT_EQ(engine_->flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{1});
  EXPECT_TRUE(ops().empty());
  EXPECT_TRUE(engine_->flow_move_pending(kMn));
  EXPECT_TRUE(engine_->set_flow(now(), kMn, FlowEntry{3, 30, {}, {1}, FlowAction::kForward}));  // one at a time

  engine_->handle_message(now(), kMag2, kLmaa,
                          wire::Message{wire::UpdateNotificationAck{upn.sequence, wire::NotificationAckStatus::kSuccess},
                                        {fmi.options[0], fmi.options[1]}});
  EXPECT_EQ(engine_->flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{2});
  EXPECT_EQ(entries_of("mn1@example.com")[1]->off_link_prefixes, std::vector<wire::Ipv6Prefix>{pref1});
  auto o = ops();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(std::get<lma_op::FlowRuleSet>(o[0]).entries, std::vector<EntryId>{entries_of("mn1@example.com")[1]->id});
  EXPECT_FALSE(engine_->flow_move_pending(kMn));
  EXPECT_EQ(engine_->counters().flow_moves, 2u);  // the initial placement and the move

  // A second flow to pref1 via mag2 waits for no FMA: the prefix is already routed there. The
  // FMI that goes out only refreshes mag2's flow list (§3.4), see below.
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{2, 20, to_prefix_port(host_in(pref1, 2), 22), {2}, FlowAction::kForward}));
  EXPECT_FALSE(engine_->flow_move_pending(kMn));
  EXPECT_EQ(engine_->flows().find(kMn, 2)->bids, std::vector<std::uint16_t>{2});
}

// The FIDs of an FMI sent to `mag`, in order; nullopt when no FMI went there.
std::optional<std::vector<std::uint16_t>> fmi_fids(const std::vector<Transmit>& t, const wire::Ipv6Address& mag,
                                                   std::vector<wire::HnpOption>* hnps = nullptr) {
  for (const auto& x : t) {
    if (x.dst != mag || !std::holds_alternative<wire::UpdateNotification>(x.message.body)) continue;
    std::vector<std::uint16_t> fids;
    for (const auto* f : wire::find_options<wire::FlowIdOption>(x.message)) fids.push_back(f->fid);
    if (hnps) {
      for (const auto* h : wire::find_options<wire::HnpOption>(x.message)) hnps->push_back(*h);
    }
    return fids;
  }
  return std::nullopt;
}

// PROTOCOL.md §10 (RFC 7077 §4.2): a UPA that answers no outstanding UPN is discarded, logged
// and counted as unexpected input; nothing changes.
TEST_F(FlowMobility, UpaWithUnknownSequenceIsDiscardedAndCounted) {
  auto [pref1, pref2] = attach_different();
  auto bindings = cache().entries().size();
  events();
  engine_->handle_message(now(), kMag2, kLmaa,
                          wire::Message{wire::UpdateNotificationAck{999, wire::NotificationAckStatus::kSuccess},
                                        {wire::MnIdOption{wire::MnIdSubtype::kNai, "mn1@example.com"}}});
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(engine_->counters().unexpected, 1u);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::kMessageDropped);
  EXPECT_EQ(cache().entries().size(), bindings);
  EXPECT_EQ(engine_->flows().size(), 0u);
  (void)pref1;
  (void)pref2;
}

// Seed 001 §3.4: the MAG's flow list is complete in every FMI; a flow that joins or leaves it
// without a prefix FMI gets a refresh, and one left out is removed at the MAG by omission.
TEST_F(FlowMobility, FlowListChangesReachTheMagAndRemovalIsByOmission) {
  auto [pref1, pref2] = attach_different();
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, to_prefix_port(host_in(pref1, 1), 80), {2}, FlowAction::kForward}));
  auto t = drain();
  auto fmi = std::get<wire::UpdateNotification>(t.at(0).message.body);
  engine_->handle_message(now(), kMag2, kLmaa, wire::Message{wire::UpdateNotificationAck{fmi.sequence, {}}, {}});
  ASSERT_EQ(engine_->flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{2});
  events();

  // Flow 2 joins mag2 (pref1 already routed there): mag2 hears of both flows.
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{2, 20, to_prefix_port(host_in(pref1, 2), 22), {2}, FlowAction::kForward}));
  t = drain();
  std::vector<wire::HnpOption> hnps;
  EXPECT_EQ(fmi_fids(t, kMag2, &hnps), (std::vector<std::uint16_t>{1, 2}));
  EXPECT_EQ(hnps, (std::vector<wire::HnpOption>{{true, pref1}}));  // the off-link list, unchanged
  EXPECT_EQ(fmi_fids(t, kMag1), std::nullopt);  // mag1 was never given flow information
  EXPECT_EQ(engine_->counters().flow_info_updates_sent, 1u);
  // Its UPA is expected: not a dropped message.
  auto seq = std::get<wire::UpdateNotification>(t.at(0).message.body).sequence;
  engine_->handle_message(now(), kMag2, kLmaa, wire::Message{wire::UpdateNotificationAck{seq, {}}, {}});
  for (const auto& e : events()) EXPECT_NE(e.kind, EventKind::kMessageDropped) << e.detail;

  // Flow 1 moves back to mag1 (pref1 is on-link there, no FMI to mag1): mag2's list omits it.
  ASSERT_FALSE(engine_->move_flow(now(), kMn, 1, 1));
  t = drain();
  EXPECT_EQ(fmi_fids(t, kMag2), (std::vector<std::uint16_t>{2}));
  EXPECT_EQ(fmi_fids(t, kMag1), std::nullopt);
  // Flow 2 is removed: mag2's list is empty, the off-link prefix stays routed.
  hnps.clear();
  ASSERT_FALSE(engine_->remove_flow(kMn, 2));
  t = drain();
  EXPECT_EQ(fmi_fids(t, kMag2, &hnps), std::vector<std::uint16_t>{});
  EXPECT_EQ(hnps, (std::vector<wire::HnpOption>{{true, pref1}}));
  EXPECT_EQ(engine_->counters().flow_info_updates_sent, 3u);
  // A change that does not touch mag2's entry sends it nothing.
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{3, 30, to_prefix_port(host_in(pref2, 3), 25), {1}, FlowAction::kForward}));
  EXPECT_EQ(fmi_fids(drain(), kMag2), std::nullopt);
}

TEST_F(FlowMobility, FmaMnNotAttachedRollsBackAndIsReported) {
  auto [pref1, pref2] = attach_different();
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, to_prefix_port(host_in(pref1, 1), 80), {1}, FlowAction::kForward}));
  events();
  ASSERT_FALSE(engine_->move_flow(now(), kMn, 1, 2));
  auto t = drain();
  auto seq = std::get<wire::UpdateNotification>(t.at(0).message.body).sequence;
  engine_->handle_message(now(), kMag2, kLmaa,
                          wire::Message{wire::UpdateNotificationAck{seq, wire::NotificationAckStatus::kMnNotAttached},
                                        {wire::MnIdOption{wire::MnIdSubtype::kNai, "mn1@example.com"}}});
  EXPECT_EQ(engine_->flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{1});
  EXPECT_TRUE(entries_of("mn1@example.com")[1]->off_link_prefixes.empty());
  EXPECT_EQ(engine_->counters().flow_moves_failed, 1u);
  auto ev = events();
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().kind, EventKind::kFlowMoveFailed);
  EXPECT_EQ(ev.back().status, 132u);
  EXPECT_FALSE(engine_->flow_move_pending(kMn));
}

TEST_F(FlowMobility, UnansweredFmiIsRetransmittedWithDFlagThenRolledBack) {
  auto [pref1, pref2] = attach_different();
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, to_prefix_port(host_in(pref1, 1), 80), {1}, FlowAction::kForward}));
  ASSERT_FALSE(engine_->move_flow(now(), kMn, 1, 2));
  auto first = drain().at(0).message;
  advance(milliseconds(1000));
  auto again = drain();
  ASSERT_EQ(again.size(), 1u);
  const auto& u1 = std::get<wire::UpdateNotification>(first.body);
  const auto& u2 = std::get<wire::UpdateNotification>(again[0].message.body);
  EXPECT_EQ(u2.sequence, u1.sequence);  // same sequence number
  EXPECT_TRUE(u2.retransmission);       // D set
  EXPECT_EQ(again[0].message.options, first.options);
  advance(milliseconds(1000));
  EXPECT_EQ(drain().size(), 1u);
  advance(milliseconds(1000));
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(engine_->counters().fmi_retransmitted, 2u);
  EXPECT_EQ(engine_->counters().flow_moves_failed, 1u);
  EXPECT_EQ(engine_->flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{1});
  // A late FMA changes nothing.
  engine_->handle_message(now(), kMag2, kLmaa, wire::Message{wire::UpdateNotificationAck{u1.sequence, {}}, {}});
  EXPECT_EQ(engine_->flows().find(kMn, 1)->bids, std::vector<std::uint16_t>{1});
}

TEST_F(FlowMobility, FlowBecomesInactiveOnlyWhenAllItsBidsAreGone) {
  auto pref = attach_shared();
  ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{4, 20, to_prefix_port(host_in(pref, 1), 53), {1, 2}, FlowAction::kForward}));
  ops();
  // if2 de-registers and is deleted after MinDelayBeforeBCEDelete.
  PbuSpec d;
  d.lli = wire::Bytes{2, 0, 0, 0, 0, 2};
  d.att = wire::AccessTech::kEutran;
  d.hnps = {pref};
  d.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  d.lifetime_units = 0;
  advance(milliseconds(10));
  pba(kMag2, d);
  advance(seconds(11));
  const auto* f = engine_->flows().find(kMn, 4);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(engine_->flows().active(kMn, *f, cache()));
  bool narrowed = false;
  for (const auto& o : ops()) {
    if (const auto* r = std::get_if<lma_op::FlowRuleSet>(&o)) narrowed = r->entries.size() == 1;
  }
  EXPECT_TRUE(narrowed);
  // if1 expires too: the flow stays in the cache, inactive, and its rule goes.
  advance(seconds(3600));
  ASSERT_NE(engine_->flows().find(kMn, 4), nullptr);
  EXPECT_FALSE(engine_->flows().active(kMn, *engine_->flows().find(kMn, 4), cache()));
  bool removed = false;
  for (const auto& o : ops()) removed = removed || std::holds_alternative<lma_op::FlowRuleRemove>(o);
  EXPECT_TRUE(removed);
}

TEST_F(FlowMobility, AFlowBeyondTheDataPlanesRuleLimitIsRefused) {
  auto pref = attach_shared();
  for (std::uint16_t fid = 1; fid <= 32; ++fid) {
    ASSERT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{fid, fid, to_prefix_port(host_in(pref, 1), fid), {1}, FlowAction::kForward}));
  }
  ops();
  auto err = engine_->set_flow(now(), kMn, FlowEntry{33, 33, to_prefix_port(host_in(pref, 1), 33), {1}, FlowAction::kForward});
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("32 flows"), std::string::npos) << *err;
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(engine_->flows().flows(kMn).size(), 32u);
  // A known FID may still change.
  EXPECT_FALSE(engine_->move_flow(now(), kMn, 7, 2));
}

TEST_F(FlowMobility, CommandsRefuseWhatTheyCannotDo) {
  EXPECT_TRUE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, {}, {1}, FlowAction::kForward}));  // no binding
  attach_shared();
  EXPECT_TRUE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, {}, {9}, FlowAction::kForward}));  // BID 9
  EXPECT_TRUE(engine_->set_flow(now(), kMn, FlowEntry{0, 10, {}, {1}, FlowAction::kForward}));  // FID 0
  EXPECT_TRUE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, wire::RawTrafficSelector{251, {}}, {1}, FlowAction::kForward}));
  EXPECT_TRUE(engine_->move_flow(now(), kMn, 7, 1));  // no such flow
  EXPECT_TRUE(engine_->remove_flow(kMn, 7));
  EXPECT_FALSE(engine_->set_flow(now(), kMn, FlowEntry{1, 10, {}, {1}, FlowAction::kForward}));
  EXPECT_FALSE(engine_->remove_flow(kMn, 1));
  EXPECT_EQ(engine_->flows().size(), 0u);
}

}  // namespace
}  // namespace pmipx::core
