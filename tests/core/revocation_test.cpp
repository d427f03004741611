// RFC 5846 binding revocation rules (PROTOCOL.md §3.5, §6.4, §9.2): the initiator's BRIs,
// retransmission and BRA matching, and the MAG's responder decision.
#include "core/revocation.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "../wire/test_util.hpp"
#include "wire/checksum.hpp"

namespace pmipx::core {
namespace {

namespace wt = wire::test;
using wire::BindingRevocationAck;
using wire::BindingRevocationIndication;
using wire::Message;
using wire::RevocationFlags;
using wire::RevocationStatus;
using wire::RevocationTrigger;

const wire::Ipv6Address kLma = wt::v6("2001:db8:b::1");
const wire::Ipv6Address kLma2 = wt::v6("2001:db8:b::2");
const wire::Ipv6Address kMag = wt::v6("2001:db8:a::1");
const wire::Ipv6Address kMag2 = wt::v6("2001:db8:a::2");

Now at(Duration d) { return Now{Instant{} + d, WallTime{}}; }

bri::Session mn1_session() {
  return bri::Session{MnId::nai("mn1@example.com"), {wt::pfx("2001:db8:1:1::/64")},
                      RevocationTrigger::kAdministrative, std::nullopt};
}

Message bra(std::uint16_t sequence, RevocationStatus status) {
  return Message{BindingRevocationAck{status, sequence, {true, false, false}}, {}};
}

Message bri_msg(RevocationTrigger trigger, std::uint16_t sequence, RevocationFlags flags,
                std::vector<wire::MobilityOption> options = {}) {
  return Message{BindingRevocationIndication{trigger, sequence, flags}, std::move(options)};
}

const RevocationFlags kP{true, false, false};
const RevocationFlags kPG{true, false, true};

class RevocationTest : public ::testing::Test {
 protected:
  RevocationConfig config() {
    RevocationConfig c;
    c.address = kLma;
    c.initial_sequence = 5;
    return c;
  }
  std::vector<Transmit> sent() {
    std::vector<Transmit> out;
    while (auto t = rm_.poll_transmit()) out.push_back(std::move(*t));
    return out;
  }
  std::vector<RevocationResult> results() {
    std::vector<RevocationResult> out;
    while (auto e = rm_.poll_event()) out.push_back(std::move(*e));
    return out;
  }

  RevocationManager rm_{config()};
};

// ---- BRI contents --------------------------------------------------------------------------

TEST(RevocationBri, SingleSessionCarriesMnIdAndHnpWithProxyFlag) {
  Message m = build_bri(mn1_session(), 5);
  EXPECT_EQ(std::get<BindingRevocationIndication>(m.body),
            (BindingRevocationIndication{RevocationTrigger::kAdministrative, 5, {true, false, false}}));
  ASSERT_EQ(m.options.size(), 2u);
  EXPECT_EQ(std::get<wire::MnIdOption>(m.options[0]),
            (wire::MnIdOption{wire::MnIdSubtype::kNai, "mn1@example.com"}));
  EXPECT_EQ(std::get<wire::HnpOption>(m.options[1]).prefix, wt::pfx("2001:db8:1:1::/64"));
}

TEST(RevocationBri, SingleSessionBriEncodesToProtocolVector14_5) {
  Message m = build_bri(mn1_session(), 5);
  wire::Bytes b = wt::encode_ok(m);
  wire::set_mh_checksum(kLma, kMag, b);
  EXPECT_EQ(b, wt::hex("3b 06 10 00 ea 7d 01 01 00 05 80 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63"
                       "6f 6d 01 04 00 00 00 00 16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 00"));
}

TEST(RevocationBri, Ipv4OnlySessionSetsVAndCarriesIpv4HomeAddressRequest) {
  bri::Session s = mn1_session();
  s.ipv4_home_address = wire::Ipv4HomeAddressRequestOption{32, wt::v4("10.1.2.3")};
  Message m = build_bri(s, 1);
  EXPECT_EQ(std::get<BindingRevocationIndication>(m.body).flags, (RevocationFlags{true, true, false}));
  ASSERT_EQ(m.options.size(), 3u);
  EXPECT_EQ(std::get<wire::Ipv4HomeAddressRequestOption>(m.options[2]).address, wt::v4("10.1.2.3"));
}

TEST(RevocationBri, GlobalRevocationCarriesNoOptions) {
  Message m = build_bri(bri::AllSessions{}, 0x0102);
  EXPECT_EQ(std::get<BindingRevocationIndication>(m.body),
            (BindingRevocationIndication{RevocationTrigger::kPerPeerPolicy, 0x0102, {true, false, true}}));
  EXPECT_TRUE(m.options.empty());
  // Trigger 128, P|G = 0xa000, then only PadN(4): Header Len 1.
  EXPECT_EQ(wt::encode_ok(m), wt::hex("3b 01 10 00 00 00 01 80 01 02 a0 00 01 02 00 00"));
}

TEST(RevocationBri, RealmRevocationCarriesAtRealmNaiAndOptionalAlternateCoa) {
  Message m = build_bri(bri::Realm{"example.com", std::nullopt}, 9);
  const auto& b = std::get<BindingRevocationIndication>(m.body);
  EXPECT_EQ(b.trigger, RevocationTrigger::kMobilityNodeLocalPolicy);
  EXPECT_EQ(b.flags, (RevocationFlags{true, false, true}));
  ASSERT_EQ(m.options.size(), 1u);
  EXPECT_EQ(std::get<wire::MnIdOption>(m.options[0]), (wire::MnIdOption{wire::MnIdSubtype::kNai, "@example.com"}));

  Message one_coa = build_bri(bri::Realm{"@example.com", kMag2}, 9);  // '@' given: not doubled
  ASSERT_EQ(one_coa.options.size(), 2u);
  EXPECT_EQ(std::get<wire::MnIdOption>(one_coa.options[0]).identifier, "@example.com");
  EXPECT_EQ(std::get<wire::AlternateCoaOption>(one_coa.options[1]).address, kMag2);
}

TEST(RevocationBri, MagBulkRevocationCarriesMagIdentityWithGlobalFlag) {
  Message m = build_bri(bri::MagBulk{MnId::nai("mag1@example.net"), RevocationTrigger::kPerPeerPolicy}, 3);
  EXPECT_EQ(std::get<BindingRevocationIndication>(m.body),
            (BindingRevocationIndication{RevocationTrigger::kPerPeerPolicy, 3, {true, false, true}}));
  ASSERT_EQ(m.options.size(), 1u);
  EXPECT_EQ(std::get<wire::MnIdOption>(m.options[0]).identifier, "mag1@example.net");
}

TEST(RevocationBri, TriggerMustMatchScope) {
  bri::Session s = mn1_session();
  s.trigger = RevocationTrigger::kPerPeerPolicy;
  EXPECT_EQ(validate(BriSpec{s}), "trigger 128 is global; a single session needs one below 128");
  EXPECT_EQ(validate(BriSpec{bri::MagBulk{MnId::nai("mag1"), RevocationTrigger::kAdministrative}}),
            "trigger 1 is per-MN; a bulk revocation needs 128 or 129");
  s = mn1_session();
  s.hnps.clear();
  EXPECT_EQ(validate(BriSpec{s}), "session revocation without a home network prefix");
  EXPECT_EQ(validate(BriSpec{bri::Realm{"@", std::nullopt}}), "bad realm '@'");
  EXPECT_EQ(validate(BriSpec{mn1_session()}), std::nullopt);
}

// ---- Initiator -----------------------------------------------------------------------------

TEST_F(RevocationTest, InvalidSpecIsRefusedAndNothingIsSent) {
  bri::Session s = mn1_session();
  s.hnps.clear();
  auto r = rm_.revoke(at(seconds(0)), kMag, s);
  EXPECT_FALSE(r);
  EXPECT_EQ(r.refused, "session revocation without a home network prefix");
  EXPECT_TRUE(sent().empty());
  EXPECT_FALSE(rm_.poll_timeout());
  EXPECT_EQ(rm_.counters().refused, 1u);
}

TEST_F(RevocationTest, BriGoesToPeerWithConfiguredFirstSequence) {
  auto r = rm_.revoke(at(seconds(0)), kMag, mn1_session(), 42);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.sequence, 5u);
  auto tx = sent();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].src, kLma);
  EXPECT_EQ(tx[0].dst, kMag);
  EXPECT_EQ(tx[0].message, build_bri(mn1_session(), 5));
  EXPECT_EQ(rm_.revoke(at(seconds(0)), kMag, bri::AllSessions{}).sequence, 6u);
  EXPECT_EQ(rm_.outstanding_count(), 2u);
}

TEST_F(RevocationTest, BriRetransmittedOnceThenGivenUp) {
  ASSERT_TRUE(rm_.revoke(at(seconds(0)), kMag, mn1_session(), 42));
  Message first = sent().at(0).message;
  EXPECT_EQ(rm_.poll_timeout(), at(seconds(1)).mono);  // InitMINDelayBRIs
  rm_.handle_timeout(at(milliseconds(999)));
  EXPECT_TRUE(sent().empty());
  rm_.handle_timeout(at(seconds(1)));
  auto tx = sent();
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(tx[0].message, first);  // identical, same sequence number
  EXPECT_EQ(tx[0].dst, kMag);
  EXPECT_EQ(rm_.poll_timeout(), at(seconds(3)).mono);  // doubled to MAX_BRACK_TIMEOUT
  rm_.handle_timeout(at(seconds(3)));
  EXPECT_TRUE(sent().empty());  // BRIMaxRetriesNumber = 1: no third transmission
  auto res = results();
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].outcome, RevocationResult::Outcome::kTimedOut);
  EXPECT_FALSE(res[0].status);
  EXPECT_FALSE(res[0].succeeded());
  EXPECT_EQ(res[0].transmissions, 2u);
  EXPECT_EQ(res[0].tag, 42u);
  EXPECT_EQ(res[0].sequence, 5u);
  EXPECT_EQ(describe(res[0]),
            "revoke(session mn=mn1@example.com peer=2001:db8:a::1 seq=5) -> timed-out no BRA after 2 transmission(s)");
  EXPECT_FALSE(rm_.poll_timeout());
  EXPECT_FALSE(rm_.outstanding(5));
  EXPECT_EQ(rm_.counters().timed_out, 1u);
  EXPECT_EQ(rm_.counters().bri_retransmitted, 1u);
}

TEST_F(RevocationTest, RetransmissionTimeoutDoublesUpToMaxBrackTimeout) {
  RevocationConfig c = config();
  c.max_retries = 3;
  RevocationManager rm(c);
  rm.revoke(at(seconds(0)), kMag, bri::AllSessions{});
  std::vector<Instant> when;
  while (auto t = rm.poll_timeout()) {
    when.push_back(*t);
    rm.handle_timeout(Now{*t, WallTime{}});
  }
  // 1 s, then 2 s, then capped at 2 s; the last wait ends in the give-up.
  EXPECT_EQ(when, (std::vector<Instant>{at(seconds(1)).mono, at(seconds(3)).mono, at(seconds(5)).mono,
                                        at(seconds(7)).mono}));
  EXPECT_EQ(rm.counters().bri_retransmitted, 3u);
  EXPECT_EQ(rm.counters().timed_out, 1u);
}

TEST_F(RevocationTest, BraMatchedBySequenceAndSource) {
  rm_.revoke(at(seconds(0)), kMag, mn1_session(), 42);
  sent();
  EXPECT_TRUE(rm_.handle_message(at(milliseconds(10)), kMag2, kLma, bra(5, RevocationStatus::kSuccess)));
  EXPECT_TRUE(rm_.handle_message(at(milliseconds(10)), kMag, kLma, bra(6, RevocationStatus::kSuccess)));
  EXPECT_TRUE(results().empty());  // wrong source, unknown sequence: ignored
  EXPECT_EQ(rm_.counters().bra_unmatched, 2u);
  EXPECT_TRUE(rm_.outstanding(5));

  EXPECT_TRUE(rm_.handle_message(at(milliseconds(20)), kMag, kLma, bra(5, RevocationStatus::kSuccess)));
  auto res = results();
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].outcome, RevocationResult::Outcome::kAcknowledged);
  EXPECT_EQ(res[0].status, RevocationStatus::kSuccess);
  EXPECT_TRUE(res[0].succeeded());
  EXPECT_EQ(res[0].tag, 42u);
  EXPECT_EQ(res[0].peer, kMag);
  EXPECT_EQ(res[0].transmissions, 1u);
  EXPECT_TRUE(std::holds_alternative<bri::Session>(res[0].spec));
  EXPECT_FALSE(rm_.poll_timeout());  // no retransmission after the BRA
  rm_.handle_timeout(at(seconds(10)));
  EXPECT_TRUE(sent().empty());
  // A duplicate BRA finds nothing outstanding.
  rm_.handle_message(at(seconds(11)), kMag, kLma, bra(5, RevocationStatus::kSuccess));
  EXPECT_TRUE(results().empty());
  EXPECT_FALSE(rm_.handle_message(at(seconds(11)), kMag, kLma, bri_msg(RevocationTrigger::kAdministrative, 5, kP)));
}

TEST_F(RevocationTest, BraResultCarriesFailureStatus) {
  rm_.revoke(at(seconds(0)), kMag, mn1_session());
  rm_.handle_message(at(seconds(1)), kMag, kLma, bra(5, RevocationStatus::kBindingDoesNotExist));
  auto res = results();
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].status, RevocationStatus::kBindingDoesNotExist);
  EXPECT_FALSE(res[0].succeeded());
  EXPECT_EQ(rm_.counters().failed, 1u);
  EXPECT_EQ(rm_.counters().succeeded, 0u);
}

TEST_F(RevocationTest, PartialSuccessCountsAsSucceeded) {
  rm_.revoke(at(seconds(0)), kMag, bri::AllSessions{});
  rm_.handle_message(at(seconds(1)), kMag, kLma, bra(5, RevocationStatus::kPartialSuccess));
  auto res = results();
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].status, RevocationStatus::kPartialSuccess);
  EXPECT_TRUE(res[0].succeeded());
  EXPECT_EQ(rm_.counters().succeeded, 1u);
}

TEST_F(RevocationTest, SequenceNumberNeverCollidesWithOutstandingBri) {
  RevocationConfig c = config();
  c.initial_sequence = 0;
  RevocationManager rm(c);
  for (std::uint32_t i = 0; i <= 0xffff; ++i) {
    auto r = rm.revoke(at(seconds(0)), kMag, bri::AllSessions{});
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r.sequence, i);
  }
  auto full = rm.revoke(at(seconds(0)), kMag, bri::AllSessions{});
  EXPECT_FALSE(full);
  EXPECT_EQ(full.refused, "every BRI sequence number is outstanding");
  // After the wrap only the freed number is available.
  rm.handle_message(at(seconds(0)), kMag, kLma, bra(7, RevocationStatus::kSuccess));
  EXPECT_EQ(rm.revoke(at(seconds(0)), kMag, bri::AllSessions{}).sequence, 7u);
}

TEST(RevocationConfigCheck, InitialDelayBelowHalfSecondIsRejectedAndClamped) {
  RevocationConfig c;
  EXPECT_EQ(validate(c), std::nullopt);  // 1 s / 2 s / 1 retry
  EXPECT_EQ(c.max_retries, 1u);
  c.initial_timeout = milliseconds(100);
  EXPECT_EQ(validate(c), "BRI initial timeout 100 ms below 500 ms");
  EXPECT_EQ(RevocationManager(c).config().initial_timeout, milliseconds(500));
  c.initial_timeout = seconds(3);
  EXPECT_EQ(validate(c), "BRI max timeout 2000 ms below the initial timeout 3000 ms");
  EXPECT_EQ(RevocationManager(c).config().max_timeout, seconds(3));
}

// ---- Responder (MAG) -----------------------------------------------------------------------

std::vector<RevocableBinding> mag_bindings() {
  return {
      {1, MnId::nai("mn1@example.com"), {wt::pfx("2001:db8:1:1::/64")}, kLma, kMag, false},
      {2, MnId::nai("mn2@Example.COM"), {wt::pfx("2001:db8:1:2::/64")}, kLma, kMag, false},
      {3, MnId::nai("mn3@other.org"), {wt::pfx("2001:db8:1:3::/64")}, kLma, kMag2, false},
      {4, MnId::nai("mn4@example.com"), {wt::pfx("2001:db8:2:4::/64")}, kLma2, kMag, false},
  };
}

std::vector<wire::MobilityOption> mn1_options() {
  return {wire::MnIdOption{wire::MnIdSubtype::kNai, "mn1@example.com"},
          wire::HnpOption{false, wt::pfx("2001:db8:1:1::/64")}};
}

RevocationResponse respond(const Message& m, const std::vector<RevocableBinding>& b,
                           RevocationResponderPolicy policy = {}, const wire::Ipv6Address& from = kLma) {
  auto r = respond_to_bri(from, kMag, m, b, policy);
  EXPECT_TRUE(r.has_value());
  return r.value_or(RevocationResponse{});
}

TEST(RevocationResponder, BraCopiesSequenceAndFlags) {
  std::vector<wire::MobilityOption> opts = mn1_options();
  opts.emplace_back(wire::Ipv4HomeAddressRequestOption{32, wt::v4("10.0.0.1")});
  RevocationFlags pv{true, true, false};
  auto r = respond(bri_msg(RevocationTrigger::kUserInitiated, 0xbeef, pv, opts), mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kSuccess);
  EXPECT_EQ(r.bra.src, kMag);  // from the BRI's destination
  EXPECT_EQ(r.bra.dst, kLma);  // to its source
  EXPECT_EQ(r.bra.message, (Message{BindingRevocationAck{RevocationStatus::kSuccess, 0xbeef, pv}, {}}));
  EXPECT_TRUE(r.ipv4_only);
  // A failure copies them too.
  auto f = respond(bri_msg(RevocationTrigger::kPerPeerPolicy, 0x0102, kP), mag_bindings());
  EXPECT_EQ(std::get<BindingRevocationAck>(f.bra.message.body),
            (BindingRevocationAck{RevocationStatus::kFunctionNotSupported, 0x0102, kP}));
}

TEST(RevocationResponder, BraEncodesToProtocolVector14_5) {
  Message in = wt::decode_ok(wt::hex(
      "3b 06 10 00 ea 7d 01 01 00 05 80 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63"
      "6f 6d 01 04 00 00 00 00 16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 00"));
  auto r = respond(in, mag_bindings());
  wire::Bytes b = wt::encode_ok(r.bra.message);
  wire::set_mh_checksum(r.bra.src, r.bra.dst, b);
  EXPECT_EQ(b, wt::hex("3b 01 10 00 d5 d6 02 00 00 05 80 00 01 02 00 00"));
}

TEST(RevocationResponder, SingleSessionRemovesOnlyThatMn) {
  auto r = respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP, mn1_options()), mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kSuccess);
  EXPECT_EQ(r.scope, RevocationScope::kSessions);
  EXPECT_EQ(r.remove, std::vector<std::uint64_t>{1});
  EXPECT_FALSE(r.ipv4_only);
}

TEST(RevocationResponder, UnsupportedTriggerAnswered133) {
  auto r = respond(bri_msg(static_cast<RevocationTrigger>(9), 1, kP, mn1_options()), mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kTriggerNotSupported);
  auto t = respond(bri_msg(static_cast<RevocationTrigger>(250), 1, kPG), mag_bindings());
  EXPECT_EQ(t.status, RevocationStatus::kTriggerNotSupported);
  EXPECT_EQ(t.scope, RevocationScope::kNone);
  EXPECT_TRUE(t.remove.empty());
}

TEST(RevocationResponder, GlobalTriggerWithoutGOrPerMnTriggerWithGAnswered134) {
  auto a = respond(bri_msg(RevocationTrigger::kPerPeerPolicy, 1, kP), mag_bindings());
  EXPECT_EQ(a.status, RevocationStatus::kFunctionNotSupported);
  auto b = respond(bri_msg(RevocationTrigger::kAdministrative, 1, kPG, mn1_options()), mag_bindings());
  EXPECT_EQ(b.status, RevocationStatus::kFunctionNotSupported);
  EXPECT_TRUE(b.remove.empty());
}

TEST(RevocationResponder, ProxyRevocationUnsupportedAnswered135) {
  RevocationResponderPolicy policy;
  policy.proxy_revocation = false;
  auto r = respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP, mn1_options()), mag_bindings(), policy);
  EXPECT_EQ(r.status, RevocationStatus::kProxyRevocationNotSupported);
  EXPECT_TRUE(r.remove.empty());
}

TEST(RevocationResponder, UnknownBindingAnswered128) {
  std::vector<wire::MobilityOption> opts = {wire::MnIdOption{wire::MnIdSubtype::kNai, "ghost@example.com"},
                                            wire::HnpOption{false, wt::pfx("2001:db8:9::/64")}};
  auto r = respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP, opts), mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kBindingDoesNotExist);
  EXPECT_EQ(r.scope, RevocationScope::kNone);
  // The right MN with a prefix it does not hold is no match either.
  opts[0] = wire::MnIdOption{wire::MnIdSubtype::kNai, "mn1@example.com"};
  EXPECT_EQ(respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP, opts), mag_bindings()).status,
            RevocationStatus::kBindingDoesNotExist);
  // Nor is a non-proxy BRI: a MAG holds proxy bindings only.
  EXPECT_EQ(respond(bri_msg(RevocationTrigger::kAdministrative, 1, {}, mn1_options()), mag_bindings()).status,
            RevocationStatus::kBindingDoesNotExist);
}

TEST(RevocationResponder, OnlyTheAnchoringLmaMayRevoke) {
  auto r = respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP, mn1_options()), mag_bindings(), {}, kLma2);
  EXPECT_EQ(r.status, RevocationStatus::kBindingDoesNotExist);
  EXPECT_EQ(r.bra.dst, kLma2);
}

TEST(RevocationResponder, PerPeerPolicyRemovesEverySessionOfThatLma) {
  auto r = respond(bri_msg(RevocationTrigger::kPerPeerPolicy, 1, kPG), mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kSuccess);
  EXPECT_EQ(r.scope, RevocationScope::kAllWithPeer);
  EXPECT_EQ(r.remove, (std::vector<std::uint64_t>{1, 2, 3}));  // not 4: anchored at another LMA
}

TEST(RevocationResponder, RealmRevocationRemovesOnlyThatRealm) {
  std::vector<wire::MobilityOption> realm = {wire::MnIdOption{wire::MnIdSubtype::kNai, "@EXAMPLE.com"}};
  auto r = respond(bri_msg(RevocationTrigger::kMobilityNodeLocalPolicy, 1, kPG, realm), mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kSuccess);
  EXPECT_EQ(r.scope, RevocationScope::kRealm);
  EXPECT_EQ(r.remove, (std::vector<std::uint64_t>{1, 2}));  // realms compare case-insensitively
  // With an Alternate CoA only that proxy-CoA's sessions.
  realm.emplace_back(wire::AlternateCoaOption{kMag2});
  auto one = respond(bri_msg(RevocationTrigger::kMobilityNodeLocalPolicy, 1, kPG, realm), mag_bindings());
  EXPECT_EQ(one.status, RevocationStatus::kBindingDoesNotExist);  // kMag2 holds only other.org
}

TEST(RevocationResponder, RealmRevocationWithoutAtRealmNaiAnswered131) {
  std::vector<wire::MobilityOption> bad = {wire::MnIdOption{wire::MnIdSubtype::kNai, "example.com"}};
  EXPECT_EQ(respond(bri_msg(RevocationTrigger::kMobilityNodeLocalPolicy, 1, kPG, bad), mag_bindings()).status,
            RevocationStatus::kMnIdentityRequired);
  EXPECT_EQ(respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP), mag_bindings()).status,
            RevocationStatus::kMnIdentityRequired);  // single session without MN-ID
}

TEST(RevocationResponder, Ipv4OnlyWithoutIpv4HomeAddressOptionAnswered129) {
  auto r = respond(bri_msg(RevocationTrigger::kAdministrative, 1, {true, true, false}, mn1_options()),
                   mag_bindings());
  EXPECT_EQ(r.status, RevocationStatus::kIpv4HomeAddressRequired);
}

TEST(RevocationResponder, AttachedMnKeptWhenPolicyRefuses) {
  RevocationResponderPolicy policy;
  policy.keep_attached = true;
  auto b = mag_bindings();
  b[0].attached = true;
  auto one = respond(bri_msg(RevocationTrigger::kAdministrative, 1, kP, mn1_options()), b, policy);
  EXPECT_EQ(one.status, RevocationStatus::kRevocationFailedMnAttached);  // 132
  EXPECT_TRUE(one.remove.empty());
  auto all = respond(bri_msg(RevocationTrigger::kPerPeerPolicy, 2, kPG), b, policy);
  EXPECT_EQ(all.status, RevocationStatus::kPartialSuccess);  // 1: the others went
  EXPECT_EQ(all.remove, (std::vector<std::uint64_t>{2, 3}));
}

TEST(RevocationResponder, NonBriGetsNoAnswer) {
  EXPECT_FALSE(respond_to_bri(kLma, kMag, bra(1, RevocationStatus::kSuccess), mag_bindings()));
}

TEST(RevocationResponder, LmaAndMagAgreeEndToEnd) {
  RevocationConfig c;
  c.address = kLma;
  RevocationManager lma(c);
  lma.revoke(at(seconds(0)), kMag, bri::AllSessions{}, 7);
  auto bri_tx = lma.poll_transmit();
  ASSERT_TRUE(bri_tx);
  auto answer = respond_to_bri(bri_tx->src, bri_tx->dst, bri_tx->message, mag_bindings());
  ASSERT_TRUE(answer);
  lma.handle_message(at(milliseconds(5)), answer->bra.src, answer->bra.dst, answer->bra.message);
  auto res = lma.poll_event();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, RevocationStatus::kSuccess);
  EXPECT_EQ(res->tag, 7u);
  EXPECT_EQ(answer->remove, (std::vector<std::uint64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace pmipx::core
