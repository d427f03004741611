// LMA engine rules, each named after the rule (PROTOCOL.md §7; RFC 5213 §5).
#include "core/lma/lma_engine.hpp"

#include <gtest/gtest.h>

#include "lma_fixture.hpp"

namespace pmipx::core {
namespace {
using namespace test;
using wire::BaStatus;
using wire::HandoffIndicator;

const wire::Bytes kMac1 = {2, 0, 0, 0, 0, 1};
const wire::Bytes kMac2 = {2, 0, 0, 0, 0, 2};

using LmaPbu = LmaFixture;

// ---- §7.2 rejections, in the order of the table -------------------------------------------

TEST_F(LmaPbu, MissingMnIdIsRejectedWith160AndAnEmptyIdentifier) {
  PbuSpec s;
  s.with_mn_id = false;
  auto m = pba(kMag1, s);
  EXPECT_EQ(status(m), BaStatus::kMissingMnIdOption);
  auto* id = wire::find_option<wire::MnIdOption>(m);
  ASSERT_NE(id, nullptr);
  EXPECT_TRUE(id->identifier.empty());
  EXPECT_EQ(cache().size(), 0u);
}

TEST_F(LmaPbu, UnauthorizedMagIsRejectedWith154) {
  EXPECT_EQ(status(pba(kRogue, {})), BaStatus::kMagNotAuthorizedForProxyReg);
}

TEST_F(LmaPbu, UnknownMnIsRejectedWith153) {
  PbuSpec s;
  s.mn = "stranger@example.com";
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kNotLmaForThisMn);
}

TEST_F(LmaPbu, MagNotAllowedForThisMnIsRejectedWith154) {
  PbuSpec s;
  s.mn = "pinned@example.com";
  EXPECT_EQ(status(pba(kMag2, s)), BaStatus::kMagNotAuthorizedForProxyReg);
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kAccepted);
}

TEST_F(LmaPbu, MnNotEnabledForProxyRegistrationIsRejectedWith152) {
  PbuSpec s;
  s.mn = "off@example.com";
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kProxyRegNotEnabled);
}

TEST_F(LmaPbu, MissingHnpIsRejectedWith158AndOneAllZeroHnp) {
  PbuSpec s;
  s.hnps = {};
  auto m = pba(kMag1, s);
  EXPECT_EQ(status(m), BaStatus::kMissingHnpOption);
  EXPECT_EQ(prefixes(m), std::vector<wire::Ipv6Prefix>{wire::Ipv6Prefix{}});
}

TEST_F(LmaPbu, MissingHandoffIndicatorIsRejectedWith161) {
  PbuSpec s;
  s.with_hi = false;
  auto m = pba(kMag1, s);
  EXPECT_EQ(status(m), BaStatus::kMissingHandoffIndicatorOption);
  EXPECT_EQ(wire::find_option<wire::HandoffIndicatorOption>(m)->value, HandoffIndicator::kReserved);
}

TEST_F(LmaPbu, MissingAccessTechnologyIsRejectedWith162) {
  PbuSpec s;
  s.with_att = false;
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kMissingAccessTechTypeOption);
}

TEST_F(LmaPbu, FirstFailingStepWins) {
  PbuSpec s;
  s.with_mn_id = false;
  s.with_hi = false;
  s.hnps = {};
  EXPECT_EQ(status(pba(kRogue, s)), BaStatus::kMissingMnIdOption);
  s.with_mn_id = true;
  EXPECT_EQ(status(pba(kRogue, s)), BaStatus::kMagNotAuthorizedForProxyReg);
  // Timestamp window (step 9) before the missing HNP (step 10).
  s.timestamp = to_timestamp(now().wall + seconds(5));
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kTimestampMismatch);
}

TEST_F(LmaPbu, RejectedPbaEchoesRequestHnpsAndHasZeroLifetime) {
  PbuSpec s;
  s.mn = "mn2@example.com";
  s.hnps = {p6("2001:db8:9:9::/64")};  // not mn2's
  auto m = pba(kMag1, s);
  EXPECT_EQ(status(m), BaStatus::kNotAuthorizedForHnp);
  EXPECT_EQ(prefixes(m), s.hnps);
  EXPECT_EQ(std::get<wire::BindingAck>(m.body).lifetime.units, 0);
}

// ---- §7.4 ordering ---------------------------------------------------------------------

TEST_F(LmaPbu, TimestampOutsideValidityWindowIsRejectedWith156CarryingLmaTime) {
  for (auto skew : {milliseconds(301), milliseconds(-301)}) {
    PbuSpec s;
    s.timestamp = to_timestamp(now().wall + skew);
    auto m = pba(kMag1, s);
    EXPECT_EQ(status(m), BaStatus::kTimestampMismatch);
    EXPECT_EQ(wire::find_option<wire::TimestampOption>(m)->value, to_timestamp(now().wall));
  }
  PbuSpec inside;
  inside.timestamp = to_timestamp(now().wall + milliseconds(299));
  EXPECT_EQ(status(pba(kMag1, inside)), BaStatus::kAccepted);
}

TEST_F(LmaPbu, TimestampLowerThanPreviousIsRejectedWith157) {
  auto first = pba(kMag1, {});
  PbuSpec refresh;
  refresh.hnps = prefixes(first);
  refresh.hi = HandoffIndicator::kNotChanged;
  refresh.timestamp = to_timestamp(now().wall - milliseconds(100));
  auto m = pba(kMag1, refresh);
  EXPECT_EQ(status(m), BaStatus::kTimestampLowerThanPrevAccepted);
  EXPECT_EQ(wire::find_option<wire::TimestampOption>(m)->value, to_timestamp(now().wall));
}

TEST_F(LmaPbu, TimestampEqualToPreviousIsRejectedWith156) {
  auto first = pba(kMag1, {});
  PbuSpec again;
  again.hnps = prefixes(first);
  again.hi = HandoffIndicator::kNotChanged;
  again.sequence = 2;  // a new PBU with the same timestamp, not a duplicate of the first
  EXPECT_EQ(status(pba(kMag1, again)), BaStatus::kTimestampMismatch);
}

TEST_F(LmaPbu, IdenticalPbuIsADuplicateAnsweredWithoutChange) {
  PbuSpec s;
  auto first = pba(kMag1, s);
  ops();
  auto again = pba(kMag1, s);
  EXPECT_EQ(status(again), BaStatus::kAccepted);
  EXPECT_EQ(prefixes(again), prefixes(first));
  EXPECT_EQ(cache().size(), 1u);
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(engine_->counters().duplicates, 1u);
  // The same PBU from another MAG is no duplicate: HI 1 there is a new session.
  EXPECT_EQ(status(pba(kMag2, s)), BaStatus::kAccepted);
  EXPECT_EQ(cache().size(), 2u);
}

TEST_F(LmaPbu, AcceptedPbaEchoesThePbuTimestamp) {
  PbuSpec s;
  s.timestamp = to_timestamp(now().wall - milliseconds(10));
  auto m = pba(kMag1, s);
  EXPECT_EQ(wire::find_option<wire::TimestampOption>(m)->value, *s.timestamp);
}

TEST_F(LmaPbu, MissingTimestampInTimestampDomainIsRejectedWith156) {
  PbuSpec s;
  s.with_timestamp = false;
  auto m = pba(kMag1, s);
  EXPECT_EQ(status(m), BaStatus::kTimestampMismatch);
  EXPECT_EQ(wire::find_option<wire::TimestampOption>(m), nullptr);
}

TEST_F(LmaPbu, SequenceNumberNotGreaterIsRejectedWith135CarryingLastAccepted) {
  auto c = config();
  c.timestamps = false;
  reset(c);
  PbuSpec s;
  s.with_timestamp = false;
  s.sequence = 15;
  auto first = pba(kMag1, s);
  ASSERT_EQ(status(first), BaStatus::kAccepted);
  EXPECT_EQ(wire::find_option<wire::TimestampOption>(first), nullptr);  // MUST NOT in this mode
  PbuSpec r = s;
  r.hnps = prefixes(first);
  r.hi = HandoffIndicator::kNotChanged;
  for (std::uint16_t bad : {std::uint16_t{14}, std::uint16_t{0}, std::uint16_t{32783}, std::uint16_t{65535}}) {
    r.sequence = bad;
    auto m = pba(kMag1, r);
    EXPECT_EQ(status(m), BaStatus::kSequenceOutOfWindow) << bad;
    EXPECT_EQ(std::get<wire::BindingAck>(m.body).sequence, 15) << bad;
  }
  r.sequence = 32782;  // the farthest value still "greater" than 15
  EXPECT_EQ(status(pba(kMag1, r)), BaStatus::kAccepted);
}

TEST_F(LmaPbu, SequenceNumberWrapsModulo65536) {
  auto c = config();
  c.timestamps = false;
  reset(c);
  PbuSpec s;
  s.with_timestamp = false;
  s.sequence = 65535;
  auto first = pba(kMag1, s);
  PbuSpec r = s;
  r.hnps = prefixes(first);
  r.hi = HandoffIndicator::kNotChanged;
  r.sequence = 0;
  EXPECT_EQ(status(pba(kMag1, r)), BaStatus::kAccepted);
}

// ---- §7.5 new session, §7.10 PBA --------------------------------------------------------

TEST_F(LmaPbu, NewSessionGetsAPoolPrefixAndAFullPba) {
  PbuSpec s;
  s.lli = kMac1;
  s.ifp = 3;
  s.primary = true;
  auto m = pba(kMag1, s);
  const auto& ba = std::get<wire::BindingAck>(m.body);
  EXPECT_EQ(ba.status, BaStatus::kAccepted);
  EXPECT_EQ(ba.flags, wire::ba_flag::kP);
  EXPECT_EQ(ba.sequence, 1);
  EXPECT_EQ(ba.lifetime.units, 900);
  EXPECT_EQ(wire::find_option<wire::MnIdOption>(m)->identifier, "mn1@example.com");
  EXPECT_EQ(prefixes(m), std::vector<wire::Ipv6Prefix>{p6("2001:db8:1::/64")});
  EXPECT_EQ(wire::find_option<wire::HandoffIndicatorOption>(m)->value, HandoffIndicator::kNewInterface);
  EXPECT_EQ(wire::find_option<wire::AccessTechTypeOption>(m)->value, wire::AccessTech::kWlan);
  EXPECT_EQ(wire::find_option<wire::MnLinkLayerIdOption>(m)->link_layer_id, kMac1);
  auto lla = wire::find_option<wire::LinkLocalAddressOption>(m)->address;
  EXPECT_TRUE(lla.is_link_local());
  // PBA option order is that of §7.10 and it encodes.
  EXPECT_TRUE(wire::encode_message(m).ok());

  ASSERT_EQ(cache().size(), 1u);
  const auto& e = cache().entries().begin()->second;
  EXPECT_EQ(e.proxy_coa, kMag1);
  EXPECT_EQ(e.bid, 1);
  EXPECT_EQ(e.ifp, 3);
  EXPECT_TRUE(e.primary);
  EXPECT_EQ(e.mag_link_local, lla);
  auto o = ops();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(std::get<lma_op::TunnelAdd>(o[0]).proxy_coa, kMag1);
  EXPECT_EQ(std::get<lma_op::RouteAdd>(o[1]).prefix, p6("2001:db8:1::/64"));
}

TEST_F(LmaPbu, FixedMagLinkLocalAddressIsReturnedWhenConfigured) {
  auto c = config();
  c.fixed_mag_link_local = a6("fe80::200:5eff:fe00:5213");
  reset(c);
  auto m = pba(kMag1, {});
  EXPECT_EQ(wire::find_option<wire::LinkLocalAddressOption>(m)->address, a6("fe80::200:5eff:fe00:5213"));
}

TEST_F(LmaPbu, GrantedLifetimeNeverExceedsRequestOrConfiguredMaximum) {
  PbuSpec s;
  s.lifetime_units = 0xffff;
  EXPECT_EQ(std::get<wire::BindingAck>(pba(kMag1, s).body).lifetime.units, 900);  // 3600 s max
  PbuSpec small;
  small.mn = "mn2@example.com";
  small.lifetime_units = 10;
  EXPECT_EQ(std::get<wire::BindingAck>(pba(kMag1, small).body).lifetime.units, 10);
}

TEST_F(LmaPbu, StaticPrefixesAreAssignedBeforePoolPrefixes) {
  PbuSpec s;
  s.mn = "mn2@example.com";
  EXPECT_EQ(prefixes(pba(kMag1, s)), std::vector<wire::Ipv6Prefix>{p6("2001:db8:2:1::/64")});
  s.lli = kMac2;
  s.att = wire::AccessTech::kEutran;
  EXPECT_EQ(prefixes(pba(kMag2, s)), std::vector<wire::Ipv6Prefix>{p6("2001:db8:2:2::/64")});
  s.lli = wire::Bytes{2, 0, 0, 0, 0, 3};
  EXPECT_EQ(prefixes(pba(kMag2, s)), std::vector<wire::Ipv6Prefix>{p6("2001:db8:1::/64")});
}

TEST_F(LmaPbu, RequestedPrefixMustBelongToTheMn) {
  PbuSpec s;
  s.mn = "mn2@example.com";
  s.hnps = {p6("2001:db8:2:2::/64")};
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kAccepted);
  PbuSpec foreign;
  foreign.mn = "mn2@example.com";
  foreign.hnps = {p6("2001:db8:77::/64")};
  foreign.lli = kMac2;
  EXPECT_EQ(status(pba(kMag1, foreign)), BaStatus::kNotAuthorizedForHnp);
}

TEST_F(LmaPbu, ExhaustedPoolIsRejectedWith130) {
  PolicyStore p(PrefixPool::create(p6("2001:db8:1::/63"), 64));  // two prefixes
  p.authorize_mag(kMag1);
  MnProfile mn;
  mn.id = MnId::nai("mn1@example.com");
  p.add_mn(mn);
  engine_ = std::make_unique<LmaEngine>(config(), std::move(p));
  PbuSpec s;
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kAccepted);
  s.lli = kMac1;
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kAccepted);
  s.lli = kMac2;
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kInsufficientResources);
}

TEST_F(LmaPbu, MixOfAllZeroAndRealHnpIsRejected) {
  PbuSpec s;
  s.hnps = {wire::Ipv6Prefix{}, p6("2001:db8:1::/64")};
  EXPECT_EQ(status(pba(kMag1, s)), BaStatus::kReasonUnspecified);
}

TEST_F(LmaPbu, SecondInterfaceWithHi1GetsItsOwnSessionAndPrefix) {
  PbuSpec if1;
  if1.lli = kMac1;
  auto a = pba(kMag1, if1);
  PbuSpec if2;
  if2.lli = kMac2;
  if2.att = wire::AccessTech::kEutran;
  auto b = pba(kMag2, if2);
  EXPECT_NE(prefixes(a), prefixes(b));
  auto es = entries_of("mn1@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_NE(es[0]->bid, es[1]->bid);
}

// ---- §7.3 case A ------------------------------------------------------------------------

TEST_F(LmaPbu, PrefixOwnedByAnotherMnIsRejectedWith155) {
  auto first = pba(kMag1, {});
  PbuSpec thief;
  thief.mn = "mn2@example.com";
  thief.hnps = prefixes(first);
  EXPECT_EQ(status(pba(kMag2, thief)), BaStatus::kNotAuthorizedForHnp);
}

TEST_F(LmaPbu, PrefixSetDifferentFromTheEntryIsRejectedWith159) {
  PbuSpec s;
  s.mn = "mn2@example.com";
  s.hnps = {p6("2001:db8:2:1::/64"), p6("2001:db8:2:2::/64")};
  ASSERT_EQ(status(pba(kMag1, s)), BaStatus::kAccepted);
  PbuSpec part = s;
  part.hnps = {p6("2001:db8:2:1::/64")};
  part.hi = HandoffIndicator::kNotChanged;
  EXPECT_EQ(status(pba(kMag1, part)), BaStatus::kBcePbuPrefixSetDoNotMatch);
}

TEST_F(LmaPbu, RefreshFromSameMagExtendsLifetimeWithoutTouchingRoutes) {
  auto first = pba(kMag1, {});
  ops();
  advance(seconds(100));
  PbuSpec r;
  r.hnps = prefixes(first);
  r.hi = HandoffIndicator::kNotChanged;
  auto m = pba(kMag1, r);
  EXPECT_EQ(status(m), BaStatus::kAccepted);
  EXPECT_TRUE(ops().empty());
  EXPECT_EQ(cache().entries().begin()->second.expires, now().mono + seconds(3600));
}

TEST_F(LmaPbu, HandoffToANewMagMovesRoutesAndTunnels) {
  PbuSpec s;
  s.lli = kMac1;
  auto first = pba(kMag1, s);
  ops();
  PbuSpec h = s;
  h.hnps = prefixes(first);
  h.hi = HandoffIndicator::kInterMagSameInterface;
  advance(milliseconds(10));
  auto m = pba(kMag2, h);
  EXPECT_EQ(status(m), BaStatus::kAccepted);
  EXPECT_EQ(prefixes(m), prefixes(first));
  auto o = ops();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<lma_op::RouteRemove>(o[0]));
  EXPECT_EQ(std::get<lma_op::TunnelAdd>(o[1]).proxy_coa, kMag2);
  EXPECT_EQ(std::get<lma_op::TunnelRemove>(o[2]).proxy_coa, kMag1);
  EXPECT_EQ(std::get<lma_op::RouteAdd>(o[3]).proxy_coa, kMag2);
  EXPECT_EQ(cache().size(), 1u);
  EXPECT_EQ(cache().by_proxy_coa(kMag2).size(), 1u);
  EXPECT_TRUE(cache().by_proxy_coa(kMag1).empty());
}

TEST_F(LmaPbu, Hi2WithoutLinkLayerIdMovesTheOnlySession) {
  auto first = pba(kMag1, {});
  PbuSpec h;
  h.hi = HandoffIndicator::kInterfaceHandoff;
  h.att = wire::AccessTech::kEutran;
  advance(milliseconds(10));
  auto m = pba(kMag2, h);
  EXPECT_EQ(prefixes(m), prefixes(first));
  EXPECT_EQ(cache().size(), 1u);
  EXPECT_EQ(cache().entries().begin()->second.att, wire::AccessTech::kEutran);
}

TEST_F(LmaPbu, Hi6CreatesASecondEntrySharingThePrefixes) {
  PbuSpec if1;
  if1.lli = kMac1;
  auto first = pba(kMag1, if1);
  PbuSpec if2;
  if2.lli = kMac2;
  if2.att = wire::AccessTech::kEutran;
  if2.hnps = prefixes(first);
  if2.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  advance(milliseconds(10));
  auto m = pba(kMag2, if2);
  EXPECT_EQ(status(m), BaStatus::kAccepted);
  EXPECT_EQ(prefixes(m), prefixes(first));
  auto es = entries_of("mn1@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(cache().by_prefix(prefixes(first)[0]).size(), 2u);
  EXPECT_TRUE(es[1]->shares_prefixes);
  EXPECT_EQ(es[1]->bid, 2);
}

TEST_F(LmaPbu, Hi6WithoutPrefixesSharesTheOldestSessionsPrefixes) {
  PbuSpec if1;
  if1.lli = kMac1;
  auto first = pba(kMag1, if1);
  PbuSpec if2;  // the MAG knows the MN, not its prefixes: ALL_ZERO
  if2.lli = kMac2;
  if2.att = wire::AccessTech::kEutran;
  if2.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  advance(milliseconds(10));
  auto m = pba(kMag2, if2);
  EXPECT_EQ(status(m), BaStatus::kAccepted);
  EXPECT_EQ(prefixes(m), prefixes(first));
  auto es = entries_of("mn1@example.com");
  ASSERT_EQ(es.size(), 2u);
  EXPECT_TRUE(es[1]->shares_prefixes);
  // Its retransmission (same interface) refreshes instead of making a third entry.
  advance(milliseconds(10));
  EXPECT_EQ(status(pba(kMag2, if2)), BaStatus::kAccepted);
  EXPECT_EQ(cache().size(), 2u);
}

TEST_F(LmaPbu, Hi6WithoutPrefixesAndNoSessionIsANewSession) {
  PbuSpec s;
  s.lli = kMac2;
  s.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  auto m = pba(kMag1, s);
  EXPECT_EQ(status(m), BaStatus::kAccepted);
  EXPECT_EQ(prefixes(m).size(), 1u);
  EXPECT_FALSE(entries_of("mn1@example.com")[0]->shares_prefixes);
}

TEST_F(LmaPbu, Hi6FromTheSameInterfaceUpdatesItsEntry) {
  PbuSpec if1;
  if1.lli = kMac1;
  auto first = pba(kMag1, if1);
  PbuSpec again = if1;
  again.hnps = prefixes(first);
  again.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  advance(milliseconds(10));
  EXPECT_EQ(status(pba(kMag1, again)), BaStatus::kAccepted);
  EXPECT_EQ(cache().size(), 1u);
}

TEST_F(LmaPbu, Hi6ForAnMnWithoutSharedPrefixesIsRejectedWith155) {
  PbuSpec s;
  s.mn = "mn2@example.com";
  auto first = pba(kMag1, s);
  PbuSpec h = s;
  h.hnps = prefixes(first);
  h.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  h.lli = kMac2;
  EXPECT_EQ(status(pba(kMag2, h)), BaStatus::kNotAuthorizedForHnp);
}

TEST_F(LmaPbu, SharedPrefixIsReleasedOnlyWhenTheLastEntryGoes) {
  PbuSpec if1;
  if1.lli = kMac1;
  auto first = pba(kMag1, if1);
  PbuSpec if2 = if1;
  if2.lli = kMac2;
  if2.hnps = prefixes(first);
  if2.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
  if2.lifetime_units = 10;
  advance(milliseconds(10));
  pba(kMag2, if2);
  advance(seconds(41));  // if2's 40 s lifetime runs out
  EXPECT_EQ(cache().size(), 1u);
  EXPECT_TRUE(engine_->policy().pool()->in_use(prefixes(first)[0]));
}

// ---- §7.8 de-registration ---------------------------------------------------------------

TEST_F(LmaPbu, DeregistrationKeepsTheEntryForMinDelayThenDeletesIt) {
  auto first = pba(kMag1, {});
  ops();
  PbuSpec d;
  d.hnps = prefixes(first);
  d.hi = HandoffIndicator::kUnknown;
  d.lifetime_units = 0;
  advance(milliseconds(10));
  auto m = pba(kMag1, d);
  EXPECT_EQ(status(m), BaStatus::kAccepted);
  EXPECT_EQ(cache().entries().begin()->second.state, BceState::kDeletePending);
  EXPECT_TRUE(std::holds_alternative<lma_op::EntryBlock>(ops().at(0)));
  advance(seconds(9));
  EXPECT_EQ(cache().size(), 1u);
  advance(seconds(1));
  EXPECT_EQ(cache().size(), 0u);
  auto o = ops();
  EXPECT_TRUE(std::holds_alternative<lma_op::RouteRemove>(o.at(0)));
  EXPECT_TRUE(std::holds_alternative<lma_op::TunnelRemove>(o.at(1)));
  EXPECT_FALSE(engine_->policy().pool()->in_use(prefixes(first)[0]));
}

TEST_F(LmaPbu, PbuDuringDeletePendingRevivesTheEntry) {
  PbuSpec s;
  s.lli = kMac1;
  auto first = pba(kMag1, s);
  PbuSpec d = s;
  d.hnps = prefixes(first);
  d.hi = HandoffIndicator::kUnknown;
  d.lifetime_units = 0;
  advance(milliseconds(10));
  pba(kMag1, d);
  advance(seconds(2));
  PbuSpec h = s;
  h.hnps = prefixes(first);
  h.hi = HandoffIndicator::kInterMagSameInterface;
  EXPECT_EQ(status(pba(kMag2, h)), BaStatus::kAccepted);
  advance(seconds(20));
  ASSERT_EQ(cache().size(), 1u);
  EXPECT_EQ(cache().entries().begin()->second.state, BceState::kActive);
  EXPECT_EQ(cache().entries().begin()->second.proxy_coa, kMag2);
}

TEST_F(LmaPbu, DeregistrationFromThePreviousMagIsIgnored) {
  PbuSpec s;
  s.lli = kMac1;
  auto first = pba(kMag1, s);
  PbuSpec h = s;
  h.hnps = prefixes(first);
  h.hi = HandoffIndicator::kInterMagSameInterface;
  advance(milliseconds(10));
  pba(kMag2, h);
  PbuSpec late = s;
  late.hnps = prefixes(first);
  late.hi = HandoffIndicator::kUnknown;
  late.lifetime_units = 0;
  advance(milliseconds(10));
  EXPECT_TRUE(send(kMag1, late).empty());
  EXPECT_EQ(cache().entries().begin()->second.state, BceState::kActive);
  EXPECT_EQ(engine_->counters().pbu_ignored, 1u);
}

TEST_F(LmaPbu, DeregistrationForNoBindingIsSilentlyIgnored) {
  PbuSpec d;
  d.hnps = {p6("2001:db8:1:5::/64")};
  d.lifetime_units = 0;
  EXPECT_TRUE(send(kMag1, d).empty());
  PbuSpec z;
  z.lifetime_units = 0;
  z.hi = HandoffIndicator::kUnknown;
  EXPECT_TRUE(send(kMag1, z).empty());
  EXPECT_EQ(cache().size(), 0u);
}

TEST_F(LmaPbu, LifetimeExpiryDeletesTheEntryAndReleasesItsPrefix) {
  PbuSpec s;
  s.lifetime_units = 5;  // 20 s
  auto first = pba(kMag1, s);
  advance(seconds(19));
  EXPECT_EQ(cache().size(), 1u);
  advance(seconds(1));
  EXPECT_EQ(cache().size(), 0u);
  EXPECT_EQ(engine_->counters().expired, 1u);
  EXPECT_FALSE(engine_->policy().pool()->in_use(prefixes(first)[0]));
  EXPECT_FALSE(engine_->poll_timeout());
}

// ---- §7.3 cases B and C -------------------------------------------------------------------

TEST_F(LmaPbu, MatchingLinkLayerIdUpdatesItsEntry) {
  PbuSpec s;
  s.lli = kMac1;
  auto first = pba(kMag1, s);
  PbuSpec again = s;
  again.hi = HandoffIndicator::kUnknown;
  advance(milliseconds(10));
  auto m = pba(kMag2, again);
  EXPECT_EQ(prefixes(m), prefixes(first));
  EXPECT_EQ(cache().size(), 1u);
}

TEST_F(LmaPbu, Hi3WithoutLinkLayerIdUpdatesTheOnlySession) {
  auto first = pba(kMag1, {});
  PbuSpec h;
  h.hi = HandoffIndicator::kInterMagSameInterface;
  advance(milliseconds(10));
  EXPECT_EQ(prefixes(pba(kMag2, h)), prefixes(first));
  EXPECT_EQ(cache().size(), 1u);
}

TEST_F(LmaPbu, Hi4WaitsForTheOldMagsDeregistrationThenHandsOver) {
  auto first = pba(kMag1, {});
  PbuSpec h;
  h.hi = HandoffIndicator::kUnknown;
  advance(milliseconds(10));
  EXPECT_TRUE(send(kMag2, h).empty());  // waiting, no PBA yet
  PbuSpec d;
  d.hnps = prefixes(first);
  d.hi = HandoffIndicator::kUnknown;
  d.lifetime_units = 0;
  advance(milliseconds(200));
  auto t = send(kMag1, d);
  ASSERT_EQ(t.size(), 2u);  // PBA to the old MAG, then the waiting PBU's PBA
  EXPECT_EQ(t[0].dst, kMag1);
  EXPECT_EQ(t[1].dst, kMag2);
  EXPECT_EQ(prefixes(t[1].message), prefixes(first));
  ASSERT_EQ(cache().size(), 1u);
  EXPECT_EQ(cache().entries().begin()->second.proxy_coa, kMag2);
  EXPECT_EQ(cache().entries().begin()->second.state, BceState::kActive);
}

TEST_F(LmaPbu, Hi4WithoutDeregistrationBecomesANewSessionAfterMaxDelay) {
  auto first = pba(kMag1, {});
  PbuSpec h;
  h.hi = HandoffIndicator::kUnknown;
  advance(milliseconds(10));
  EXPECT_TRUE(send(kMag2, h).empty());
  advance(milliseconds(1499));
  EXPECT_TRUE(drain().empty());
  // The window check uses the time the PBA is built, so run the expiry at the deadline.
  advance(milliseconds(1));
  auto t = drain();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].dst, kMag2);
  EXPECT_NE(prefixes(t[0].message), prefixes(first));
  EXPECT_EQ(cache().size(), 2u);
}

TEST_F(LmaPbu, Hi4WithoutWaitPolicyCreatesTheNewSessionAtOnce) {
  auto c = config();
  c.wait_on_unknown_handoff = false;
  reset(c);
  pba(kMag1, {});
  PbuSpec h;
  h.hi = HandoffIndicator::kUnknown;
  advance(milliseconds(10));
  EXPECT_EQ(status(pba(kMag2, h)), BaStatus::kAccepted);
  EXPECT_EQ(cache().size(), 2u);
}

// ---- other messages ----------------------------------------------------------------------

TEST_F(LmaPbu, UnknownMhTypeIsAnsweredWithBindingErrorStatus2) {
  wire::Bytes mh = {0x3b, 0x01, 0x0b, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0, 0};  // type 11
  engine_->handle_datagram(now(), kMag1, kLmaa, mh);
  auto t = drain();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].dst, kMag1);
  EXPECT_EQ(t[0].src, kLmaa);
  EXPECT_EQ(std::get<wire::BindingError>(t[0].message.body).status,
            wire::BindingErrorStatus::kUnrecognizedMhType);
}

TEST_F(LmaPbu, MalformedPbuIsCountedAndChangesNothing) {
  auto bytes = *wire::encode_message(pbu({}));
  bytes[13] = 0x11;  // first HNP option length 17
  engine_->handle_datagram(now(), kMag1, kLmaa, bytes);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(cache().size(), 0u);
  EXPECT_EQ(engine_->counters().malformed, 1u);
  auto ev = engine_->poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->kind, EventKind::kMessageDropped);
}

TEST_F(LmaPbu, HeartbeatRequestIsAnsweredWithTheRestartCounter) {
  auto c = config();
  c.restart_counter = 7;
  reset(c);
  engine_->handle_message(now(), kMag1, kLmaa, wire::Message{wire::Heartbeat{false, false, 42}, {}});
  auto t = drain();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(std::get<wire::Heartbeat>(t[0].message.body), (wire::Heartbeat{false, true, 42}));
  EXPECT_EQ(wire::find_option<wire::RestartCounterOption>(t[0].message)->value, 7u);
}

TEST_F(LmaPbu, BindingUpdateWithoutProxyFlagIsDropped) {
  auto m = pbu({});
  std::get<wire::BindingUpdate>(m.body).flags = wire::bu_flag::kA;
  engine_->handle_message(now(), kMag1, kLmaa, m);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(engine_->counters().unexpected, 1u);
}

TEST_F(LmaPbu, AlternateCareOfAddressNamesTheProxyCoa) {
  auto m = pbu({});
  m.options.push_back(wire::AlternateCoaOption{kMag2});
  engine_->handle_message(now(), a6("2001:db8:a::99"), kLmaa, m);
  auto t = drain();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].dst, a6("2001:db8:a::99"));  // the reply goes to the packet's source
  EXPECT_EQ(cache().entries().begin()->second.proxy_coa, kMag2);
}

}  // namespace
}  // namespace pmipx::core
