// RFC 5847 heartbeat rules (PROTOCOL.md §9.1), one test per rule, on a virtual clock.
#include "core/heartbeat_monitor.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "../wire/test_util.hpp"
#include "wire/checksum.hpp"

namespace pmipx::core {
namespace {

namespace wt = wire::test;
using wire::Heartbeat;
using wire::Message;
using wire::RestartCounterOption;

const wire::Ipv6Address kLma = wt::v6("2001:db8:b::1");
const wire::Ipv6Address kMag = wt::v6("2001:db8:a::1");
const wire::Ipv6Address kMag2 = wt::v6("2001:db8:a::2");
const wire::Ipv6Address kStranger = wt::v6("2001:db8:666::1");

Now at(Duration d) { return Now{Instant{} + d, WallTime{}}; }

Message request(std::uint32_t sequence) { return Message{Heartbeat{false, false, sequence}, {}}; }
Message reply(std::uint32_t sequence, std::uint32_t counter) {
  return Message{Heartbeat{false, true, sequence}, {RestartCounterOption{counter}}};
}
Message binding_error_2() {
  return Message{wire::BindingError{wire::BindingErrorStatus::kUnrecognizedMhType, {}}, {}};
}

class HeartbeatMonitorTest : public ::testing::Test {
 protected:
  HeartbeatConfig config() {
    HeartbeatConfig c;
    c.address = kLma;
    c.restart_counter = 3;
    return c;
  }

  std::vector<Transmit> sent() {
    std::vector<Transmit> out;
    while (auto t = hb_.poll_transmit()) out.push_back(std::move(*t));
    return out;
  }
  std::vector<HeartbeatEvent> events() {
    std::vector<HeartbeatEvent> out;
    while (auto e = hb_.poll_event()) out.push_back(std::move(*e));
    return out;
  }
  // Runs the timer at `t` and returns the sequence number of the single request sent.
  std::uint32_t tick(Duration t) {
    hb_.handle_timeout(at(t));
    auto tx = sent();
    EXPECT_EQ(tx.size(), 1u);
    if (tx.size() != 1) return 0;
    EXPECT_EQ(tx[0].dst, kMag);
    return std::get<Heartbeat>(tx[0].message.body).sequence;
  }

  HeartbeatMonitor hb_{config()};
};

TEST_F(HeartbeatMonitorTest, NoRequestsWithoutBindings) {
  EXPECT_FALSE(hb_.poll_timeout());
  hb_.handle_timeout(at(seconds(3600)));
  EXPECT_TRUE(sent().empty());
}

TEST_F(HeartbeatMonitorTest, FirstRequestGoesOutOneIntervalAfterFirstBinding) {
  EXPECT_EQ(hb_.add_peer(at(seconds(10)), kMag), 1u);
  EXPECT_EQ(hb_.poll_timeout(), at(seconds(70)).mono);
  hb_.handle_timeout(at(seconds(69)));  // not due: nothing
  EXPECT_TRUE(sent().empty());
  hb_.handle_timeout(at(seconds(70)));
  auto tx = sent();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].src, kLma);
  EXPECT_EQ(tx[0].dst, kMag);
  EXPECT_EQ(tx[0].message, (Message{Heartbeat{false, false, 1}, {}}));  // R=0, U=0, no options
  EXPECT_EQ(hb_.poll_timeout(), at(seconds(130)).mono);
  EXPECT_EQ(hb_.counters().requests_sent, 1u);
}

TEST_F(HeartbeatMonitorTest, RequestSequenceIsPreviousPlusOne) {
  hb_.add_peer(at(seconds(0)), kMag);
  EXPECT_EQ(tick(seconds(60)), 1u);
  hb_.handle_message(at(seconds(61)), kMag, kLma, reply(1, 9));
  EXPECT_EQ(tick(seconds(120)), 2u);
  EXPECT_EQ(tick(seconds(180)), 3u);  // unanswered or not, the next one is +1
  EXPECT_EQ(hb_.peer(kMag)->sequence, 3u);
}

TEST_F(HeartbeatMonitorTest, RequestsStopWhenLastBindingWithPeerGoes) {
  hb_.add_peer(at(seconds(0)), kMag);
  EXPECT_EQ(hb_.add_peer(at(seconds(5)), kMag), 2u);
  EXPECT_EQ(hb_.poll_timeout(), at(seconds(60)).mono);  // a second binding does not reschedule
  EXPECT_EQ(hb_.remove_peer(kMag), 1u);
  EXPECT_TRUE(hb_.poll_timeout());
  EXPECT_EQ(hb_.remove_peer(kMag), 0u);
  EXPECT_FALSE(hb_.poll_timeout());
  EXPECT_EQ(hb_.peer(kMag), nullptr);
  hb_.handle_timeout(at(seconds(600)));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(hb_.remove_peer(kMag), 0u);  // unknown peer: no effect
}

TEST_F(HeartbeatMonitorTest, EveryRequestIsAnsweredEvenWithoutBinding) {
  EXPECT_TRUE(hb_.handle_message(at(seconds(1)), kStranger, kLma, request(0xdeadbeef)));
  auto tx = sent();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].src, kLma);
  EXPECT_EQ(tx[0].dst, kStranger);
  EXPECT_EQ(tx[0].message, reply(0xdeadbeef, 3));  // R=1, sequence echoed, our restart counter
  EXPECT_EQ(hb_.peer(kStranger), nullptr);         // answering creates no peer state
  EXPECT_FALSE(hb_.poll_timeout());
  EXPECT_EQ(hb_.counters().responses_sent, 1u);
}

TEST_F(HeartbeatMonitorTest, ResponseEncodesToProtocolVector14_4) {
  // §14.3 request from the MAG, decoded from its bytes, answered by an LMA whose counter is 3.
  Message req = wt::decode_ok(wt::hex("3b 01 0d 00 5a d5 00 00 00 00 00 07 01 02 00 00"));
  hb_.handle_message(at(seconds(1)), kMag, kLma, req);
  auto tx = sent();
  ASSERT_EQ(tx.size(), 1u);
  wire::Bytes bytes = wt::encode_ok(tx[0].message);
  wire::set_mh_checksum(tx[0].src, tx[0].dst, bytes);
  EXPECT_EQ(bytes, wt::hex("3b 02 0d 00 3d c4 00 01 00 00 00 07 01 00 1c 04 00 00 00 03 01 02 00 00"));
}

TEST_F(HeartbeatMonitorTest, PeerDeclaredUnreachableAfterMoreThanThreeMissedResponses) {
  hb_.add_peer(at(seconds(0)), kMag);
  tick(seconds(60));   // request 1
  tick(seconds(120));  // 1 missing
  tick(seconds(180));  // 2
  tick(seconds(240));  // 3: not more than MISSING_HEARTBEATS_ALLOWED yet
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(hb_.peer(kMag)->missed, 3u);
  EXPECT_TRUE(hb_.peer(kMag)->reachable);
  tick(seconds(300));  // 4 > 3
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  const auto* down = std::get_if<hb_event::PeerUnreachable>(&ev[0]);
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->peer, kMag);
  EXPECT_EQ(down->missed, 4u);
  EXPECT_FALSE(hb_.peer(kMag)->reachable);
  tick(seconds(360));  // requests go on; reported only once
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(hb_.counters().peers_unreachable, 1u);
}

TEST_F(HeartbeatMonitorTest, MatchingResponseResetsMissedCounter) {
  hb_.add_peer(at(seconds(0)), kMag);
  tick(seconds(60));
  tick(seconds(120));
  std::uint32_t seq = tick(seconds(180));
  EXPECT_EQ(hb_.peer(kMag)->missed, 2u);
  hb_.handle_message(at(seconds(181)), kMag, kLma, reply(seq, 1));
  EXPECT_EQ(hb_.peer(kMag)->missed, 0u);
  EXPECT_FALSE(hb_.peer(kMag)->awaiting_response);
  tick(seconds(240));
  EXPECT_EQ(hb_.peer(kMag)->missed, 0u);  // the answered request is not counted
}

TEST_F(HeartbeatMonitorTest, PeerReachableAgainOnMatchingResponse) {
  hb_.add_peer(at(seconds(0)), kMag);
  std::uint32_t seq = 0;
  for (int i = 1; i <= 5; ++i) seq = tick(seconds(60 * i));
  ASSERT_FALSE(hb_.peer(kMag)->reachable);
  events();
  hb_.handle_message(at(seconds(301)), kMag, kLma, reply(seq, 1));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<hb_event::PeerReachable>(ev[0]).peer, kMag);
  EXPECT_TRUE(hb_.peer(kMag)->reachable);
  EXPECT_EQ(hb_.peer(kMag)->missed, 0u);
}

TEST_F(HeartbeatMonitorTest, ResponseToAnOlderRequestDoesNotCount) {
  hb_.add_peer(at(seconds(0)), kMag);
  std::uint32_t first = tick(seconds(60));
  tick(seconds(120));
  hb_.handle_message(at(seconds(121)), kMag, kLma, reply(first, 1));  // late answer to request 1
  EXPECT_EQ(hb_.peer(kMag)->missed, 1u);
  EXPECT_TRUE(hb_.peer(kMag)->awaiting_response);
  EXPECT_FALSE(hb_.peer(kMag)->restart_counter);  // nor is its counter learned
  hb_.handle_message(at(seconds(122)), kStranger, kLma, reply(2, 1));  // not a peer
  EXPECT_EQ(hb_.counters().responses_unmatched, 2u);
  EXPECT_TRUE(sent().empty());  // responses are never answered
}

TEST_F(HeartbeatMonitorTest, FirstRestartCounterIsLearnedNotAReset) {
  hb_.add_peer(at(seconds(0)), kMag);
  std::uint32_t seq = tick(seconds(60));
  hb_.handle_message(at(seconds(61)), kMag, kLma, reply(seq, 4));
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(hb_.peer(kMag)->restart_counter, 4u);
  seq = tick(seconds(120));
  hb_.handle_message(at(seconds(121)), kMag, kLma, reply(seq, 4));  // unchanged: nothing
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(hb_.counters().peer_restarts, 0u);
}

TEST_F(HeartbeatMonitorTest, ChangedRestartCounterReportsPeerRestart) {
  hb_.add_peer(at(seconds(0)), kMag);
  hb_.handle_message(at(seconds(61)), kMag, kLma, reply(tick(seconds(60)), 4));
  hb_.handle_message(at(seconds(121)), kMag, kLma, reply(tick(seconds(120)), 5));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  const auto* r = std::get_if<hb_event::PeerRestarted>(&ev[0]);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->peer, kMag);
  EXPECT_EQ(r->previous, 4u);
  EXPECT_EQ(r->current, 5u);
  EXPECT_EQ(hb_.peer(kMag)->restart_counter, 5u);
  EXPECT_EQ(describe(ev[0]), "peer 2001:db8:a::1 restarted: restart counter 4 -> 5");
}

TEST_F(HeartbeatMonitorTest, BindingErrorStatus2StopsHeartbeatsToThatPeerForGood) {
  hb_.add_peer(at(seconds(0)), kMag);
  tick(seconds(60));
  EXPECT_TRUE(hb_.handle_message(at(seconds(61)), kMag, kLma, binding_error_2()));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<hb_event::HeartbeatUnsupported>(ev[0]).peer, kMag);
  EXPECT_TRUE(hb_.unsupported(kMag));
  EXPECT_FALSE(hb_.poll_timeout());
  // Not even after its bindings come and go.
  hb_.remove_peer(kMag);
  hb_.add_peer(at(seconds(100)), kMag);
  EXPECT_FALSE(hb_.poll_timeout());
  hb_.handle_timeout(at(seconds(1000)));
  EXPECT_TRUE(sent().empty());
  // Its requests are still answered.
  hb_.handle_message(at(seconds(1001)), kMag, kLma, request(1));
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(HeartbeatMonitorTest, BindingErrorWithoutOutstandingRequestIsNotAboutHeartbeats) {
  hb_.add_peer(at(seconds(0)), kMag);
  EXPECT_FALSE(hb_.handle_message(at(seconds(1)), kMag, kLma, binding_error_2()));
  Message status1{wire::BindingError{wire::BindingErrorStatus::kUnknownBindingForHao, {}}, {}};
  tick(seconds(60));
  EXPECT_FALSE(hb_.handle_message(at(seconds(61)), kMag, kLma, status1));  // status 1: not ours
  EXPECT_FALSE(hb_.unsupported(kMag));
  EXPECT_EQ(hb_.poll_timeout(), at(seconds(120)).mono);
}

TEST_F(HeartbeatMonitorTest, UnsolicitedResponsesAfterRestartGoToEveryKnownPeer) {
  const wire::Ipv6Address peers[] = {kMag, kMag2};
  hb_.send_unsolicited_responses(at(seconds(0)), peers);
  auto tx = sent();
  ASSERT_EQ(tx.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(tx[i].src, kLma);
    EXPECT_EQ(tx[i].dst, peers[i]);
    const auto& h = std::get<Heartbeat>(tx[i].message.body);
    EXPECT_TRUE(h.response);
    EXPECT_TRUE(h.unsolicited);
    ASSERT_EQ(tx[i].message.options.size(), 1u);
    EXPECT_EQ(std::get<RestartCounterOption>(tx[i].message.options[0]).value, 3u);
  }
  EXPECT_FALSE(hb_.poll_timeout());  // no answer expected
  EXPECT_EQ(hb_.counters().unsolicited_sent, 2u);
}

TEST_F(HeartbeatMonitorTest, UnsolicitedResponseFromPeerReportsItsRestart) {
  hb_.add_peer(at(seconds(0)), kMag);
  hb_.handle_message(at(seconds(61)), kMag, kLma, reply(tick(seconds(60)), 4));
  Message announce{Heartbeat{true, true, 0}, {RestartCounterOption{5}}};
  EXPECT_TRUE(hb_.handle_message(at(seconds(70)), kMag, kLma, announce));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<hb_event::PeerRestarted>(ev[0]).current, 5u);
  EXPECT_TRUE(sent().empty());  // not answered
  EXPECT_EQ(hb_.counters().unsolicited_received, 1u);
}

TEST_F(HeartbeatMonitorTest, LastBindingGoneForgetsLearnedRestartCounter) {
  hb_.add_peer(at(seconds(0)), kMag);
  hb_.handle_message(at(seconds(61)), kMag, kLma, reply(tick(seconds(60)), 4));
  hb_.remove_peer(kMag);
  hb_.add_peer(at(seconds(100)), kMag);  // a fresh binding after the peer restarted
  hb_.handle_message(at(seconds(161)), kMag, kLma, reply(tick(seconds(160)), 5));
  EXPECT_TRUE(events().empty());  // the new binding was made with the restarted peer
  EXPECT_EQ(hb_.peer(kMag)->restart_counter, 5u);
}

TEST(HeartbeatConfig, IntervalOutsideThirtyTo3600SecondsIsRejected) {
  HeartbeatConfig c;
  EXPECT_EQ(validate(c), std::nullopt);  // 60 s default
  c.interval = seconds(10);
  EXPECT_EQ(validate(c), "heartbeat interval 10 s outside 30..3600 s");
  c.interval = seconds(3601);
  EXPECT_EQ(validate(c), "heartbeat interval 3601 s outside 30..3600 s");
  c.interval = seconds(30);
  EXPECT_EQ(validate(c), std::nullopt);
}

TEST(HeartbeatConfig, MonitorClampsIntervalIntoBounds) {
  HeartbeatConfig c;
  c.interval = seconds(5);
  HeartbeatMonitor low(c);
  EXPECT_EQ(low.config().interval, seconds(30));
  low.add_peer(at(seconds(0)), kMag);
  EXPECT_EQ(low.poll_timeout(), at(seconds(30)).mono);
  c.interval = seconds(7200);
  EXPECT_EQ(HeartbeatMonitor(c).config().interval, seconds(3600));
  EXPECT_EQ(c.missing_allowed, 3u);  // MISSING_HEARTBEATS_ALLOWED default
}

}  // namespace
}  // namespace pmipx::core
