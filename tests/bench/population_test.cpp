#include "bench/population.hpp"

#include <gtest/gtest.h>

#include "wire/codec.hpp"

namespace pmipx::bench {
namespace {

wire::Ipv6Address v6(const char* s) { return *wire::Ipv6Address::parse(s); }
wire::Ipv6Prefix p6(const char* s) { return *wire::Ipv6Prefix::parse(s); }

PopulationConfig config(std::uint32_t mags, std::uint32_t mns) {
  PopulationConfig c;
  c.lmaa = v6("2001:db8:ffff::1");
  c.mag_base = v6("2001:db8:1::fffe");
  c.mags = mags;
  c.mns = mns;
  c.domain = "b";
  return c;
}

wire::Message pba(std::uint16_t seq, wire::BaStatus status, const char* mn, std::optional<wire::Ipv6Prefix> prefix) {
  wire::Message m{wire::BindingAck{status, wire::ba_flag::kP, seq, wire::Lifetime{900}}, {}};
  if (prefix) m.options.push_back(wire::HnpOption{false, *prefix});
  m.options.push_back(wire::MnIdOption{wire::MnIdSubtype::kNai, mn});
  return m;
}

TEST(Population, MagsAreConsecutiveAddressesAcrossOctets) {
  Population p(config(4, 10));
  EXPECT_EQ(p.mag_address(0), v6("2001:db8:1::fffe"));
  EXPECT_EQ(p.mag_address(3), v6("2001:db8:1::1:1"));
  EXPECT_EQ(p.mag_index(v6("2001:db8:1::1:1")), 3u);
  EXPECT_FALSE(p.mag_index(v6("2001:db8:1::1:2")));   // past the last MAG
  EXPECT_FALSE(p.mag_index(v6("2001:db8:1::fffd")));  // below the base
  EXPECT_FALSE(p.mag_index(v6("2001:db8:2::fffe")));  // another /96
  EXPECT_EQ(p.mag_of(9), 1u);
}

TEST(Population, RegistrationPbuHasTheRfc5213Options) {
  Population p(config(2, 3));
  auto r = p.pbu(1, PbuKind::kRegister, wire::Timestamp{1000});
  EXPECT_EQ(r.key, (RequestKey{1, 1}));
  EXPECT_EQ(r.src, p.mag_address(1));
  const auto& bu = std::get<wire::BindingUpdate>(r.pbu.body);
  EXPECT_TRUE(bu.has(wire::bu_flag::kP) && bu.has(wire::bu_flag::kA));
  EXPECT_EQ(bu.lifetime.seconds(), 3600u);
  EXPECT_EQ(wire::find_option<wire::HnpOption>(r.pbu)->prefix, wire::Ipv6Prefix{});
  EXPECT_EQ(wire::find_option<wire::MnIdOption>(r.pbu)->identifier, "mn1@b");
  EXPECT_EQ(wire::find_option<wire::HandoffIndicatorOption>(r.pbu)->value, wire::HandoffIndicator::kNewInterface);
  EXPECT_EQ(wire::find_option<wire::TimestampOption>(r.pbu)->value.raw, 1000u);
  EXPECT_TRUE(wire::find_option<wire::AccessTechTypeOption>(r.pbu));
  EXPECT_TRUE(wire::encode_message(r.pbu));  // the codec accepts what we build
}

TEST(Population, SequenceNumbersArePerMag) {
  Population p(config(2, 4));
  EXPECT_EQ(p.pbu(0, PbuKind::kRegister, {}).key, (RequestKey{0, 1}));
  EXPECT_EQ(p.pbu(1, PbuKind::kRegister, {}).key, (RequestKey{1, 1}));
  EXPECT_EQ(p.pbu(2, PbuKind::kRegister, {}).key, (RequestKey{0, 2}));
}

TEST(Population, TimestampsOfOneMnAlwaysIncrease) {
  Population p(config(1, 2));
  auto ts = [](const Request& r) { return wire::find_option<wire::TimestampOption>(r.pbu)->value.raw; };
  EXPECT_EQ(ts(p.pbu(0, PbuKind::kRegister, wire::Timestamp{500})), 500u);
  EXPECT_EQ(ts(p.pbu(0, PbuKind::kRefresh, wire::Timestamp{500})), 501u);  // clock did not move
  EXPECT_EQ(ts(p.pbu(0, PbuKind::kRefresh, wire::Timestamp{400})), 502u);  // nor backwards
  EXPECT_EQ(ts(p.pbu(1, PbuKind::kRegister, wire::Timestamp{500})), 500u);  // another MN
}

TEST(Population, AcceptedRegistrationKeepsPrefixForRefreshAndDeregistration) {
  Population p(config(1, 1));
  p.pbu(0, PbuKind::kRegister, {});
  ASSERT_EQ(p.on_pba(0, PbuKind::kRegister, pba(1, wire::BaStatus::kAccepted, "mn0@b", p6("2001:db8:8000:5::/64"))),
            PbaOutcome::kAccepted);
  EXPECT_TRUE(p.registered(0));
  auto refresh = p.pbu(0, PbuKind::kRefresh, {});
  EXPECT_EQ(wire::find_option<wire::HnpOption>(refresh.pbu)->prefix, p6("2001:db8:8000:5::/64"));
  EXPECT_EQ(wire::find_option<wire::HandoffIndicatorOption>(refresh.pbu)->value, wire::HandoffIndicator::kNotChanged);
  auto dereg = p.pbu(0, PbuKind::kDeregister, {});
  EXPECT_EQ(std::get<wire::BindingUpdate>(dereg.pbu.body).lifetime.units, 0u);
  EXPECT_EQ(wire::find_option<wire::HnpOption>(dereg.pbu)->prefix, p6("2001:db8:8000:5::/64"));
  EXPECT_EQ(p.on_pba(0, PbuKind::kDeregister, pba(3, wire::BaStatus::kAccepted, "mn0@b", std::nullopt)),
            PbaOutcome::kAccepted);
  EXPECT_FALSE(p.registered(0));
}

TEST(Population, RejectionsAndMismatchesAreNotAccepted) {
  Population p(config(1, 2));
  EXPECT_EQ(p.on_pba(0, PbuKind::kRegister, pba(1, wire::BaStatus::kNotLmaForThisMn, "mn0@b", std::nullopt)),
            PbaOutcome::kRejected);
  EXPECT_FALSE(p.registered(0));
  // A PBA naming another MN: the matching went wrong, never count it.
  EXPECT_EQ(p.on_pba(0, PbuKind::kRegister, pba(1, wire::BaStatus::kAccepted, "mn1@b", p6("2001:db8:8000:5::/64"))),
            PbaOutcome::kMalformed);
  // Accepted without a prefix.
  EXPECT_EQ(p.on_pba(0, PbuKind::kRegister, pba(1, wire::BaStatus::kAccepted, "mn0@b", std::nullopt)),
            PbaOutcome::kMalformed);
  // Not a PBA.
  EXPECT_EQ(p.on_pba(0, PbuKind::kRegister, wire::Message{wire::BindingUpdate{}, {}}), PbaOutcome::kMalformed);
}

TEST(Population, WithoutTimestampsNoTimestampOption) {
  auto c = config(1, 1);
  c.timestamps = false;
  Population p(c);
  EXPECT_FALSE(wire::find_option<wire::TimestampOption>(p.pbu(0, PbuKind::kRegister, {}).pbu));
}

}  // namespace
}  // namespace pmipx::bench

namespace pmipx::bench {
namespace {

TEST(Population, SecondInterfaceGoesThroughTheNextMagWithItsOwnPrefix) {
  Population p(config(3, 3));
  p.pbu(2, PbuKind::kRegister, {});
  p.on_pba(2, PbuKind::kRegister, pba(1, wire::BaStatus::kAccepted, "mn2@b", p6("2001:db8:8000:1::/64")));
  auto r = p.pbu(2, PbuKind::kAttachSecond, {});
  EXPECT_EQ(r.key.mag, 0u);  // (2 + 1) % 3
  EXPECT_EQ(r.src, p.mag_address(0));
  EXPECT_EQ(wire::find_option<wire::HnpOption>(r.pbu)->prefix, wire::Ipv6Prefix{});  // a prefix of its own
  EXPECT_EQ(wire::find_option<wire::HandoffIndicatorOption>(r.pbu)->value, wire::HandoffIndicator::kNewInterface);
  EXPECT_EQ(wire::find_option<wire::AccessTechTypeOption>(r.pbu)->value, wire::AccessTech::kWlan);
  EXPECT_FALSE(p.second_registered(2));
  ASSERT_EQ(p.on_pba(2, PbuKind::kAttachSecond, pba(1, wire::BaStatus::kAccepted, "mn2@b", p6("2001:db8:8000:2::/64"))),
            PbaOutcome::kAccepted);
  EXPECT_TRUE(p.second_registered(2));
  EXPECT_EQ(p.prefix(2), p6("2001:db8:8000:1::/64"));  // the first binding is untouched
  auto d = p.pbu(2, PbuKind::kDeregisterSecond, {});
  EXPECT_EQ(d.key.mag, 0u);
  EXPECT_EQ(std::get<wire::BindingUpdate>(d.pbu.body).lifetime.units, 0u);
  EXPECT_EQ(wire::find_option<wire::HnpOption>(d.pbu)->prefix, p6("2001:db8:8000:2::/64"));
  p.on_pba(2, PbuKind::kDeregisterSecond, pba(2, wire::BaStatus::kAccepted, "mn2@b", std::nullopt));
  EXPECT_FALSE(p.second_registered(2));
  EXPECT_TRUE(p.registered(2));
}

}  // namespace
}  // namespace pmipx::bench
