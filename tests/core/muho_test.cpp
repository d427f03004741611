// Multihoming at the LMA (seed 002 §5.2): MuHo request in the PBU, MuHo prefixes in the PBA,
// updates to the MN's other MuHo MAGs.
#include <gtest/gtest.h>

#include "lma_fixture.hpp"

namespace pmipx::core {
namespace {
using namespace test;

std::vector<wire::Ipv6Prefix> muho_of(const wire::Message& m) {
  std::vector<wire::Ipv6Prefix> out;
  for (const auto* o : wire::find_options<wire::MuhoOption>(m)) out.push_back(o->prefix);
  return out;
}

class Muho : public LmaFixture {
 protected:
  PbuSpec iface(std::uint8_t mac) {
    PbuSpec s;
    s.mn = "muho@example.com";
    s.lli = wire::Bytes{2, 0, 0, 0, 0, mac};
    s.muho = true;
    return s;
  }
};

TEST_F(Muho, FirstInterfaceGetsOneEmptyMuhoOption) {
  auto m = pba(kMag1, iface(1));
  EXPECT_EQ(muho_of(m), std::vector<wire::Ipv6Prefix>{wire::Ipv6Prefix{}});
  EXPECT_TRUE(wire::encode_message(m).ok());
}

TEST_F(Muho, SecondInterfaceLearnsTheFirstsPrefixAndTheFirstMagIsUpdated) {
  auto a = pba(kMag1, iface(1));
  advance(milliseconds(10));
  auto t = send(kMag2, iface(2));
  ASSERT_EQ(t.size(), 2u);
  const auto& pba2 = t[0].message;
  EXPECT_EQ(t[0].dst, kMag2);
  EXPECT_EQ(muho_of(pba2), prefixes(a));
  // The previous MAG hears of the new prefix: UPN with MN-ID and the complete MuHo list.
  EXPECT_EQ(t[1].dst, kMag1);
  const auto& upn = std::get<wire::UpdateNotification>(t[1].message.body);
  EXPECT_EQ(upn.reason, wire::NotificationReason::kUpdateSessionParameters);
  EXPECT_TRUE(upn.ack_requested);
  EXPECT_EQ(std::get<wire::MnIdOption>(t[1].message.options[0]).identifier, "muho@example.com");
  EXPECT_EQ(muho_of(t[1].message), prefixes(pba2));
  EXPECT_EQ(engine_->counters().muho_updates_sent, 1u);
}

TEST_F(Muho, MnWithoutMultihomingGetsNoMuhoOptions) {
  PbuSpec s;
  s.muho = true;  // mn1 is not authorized for MuHo: the option is ignored, like by a legacy LMA
  auto m = pba(kMag1, s);
  EXPECT_EQ(wire::find_option<wire::MuhoOption>(m), nullptr);
  EXPECT_EQ(status(m), wire::BaStatus::kAccepted);
}

TEST_F(Muho, DeletedInterfaceIsWithdrawnFromTheOthers) {
  pba(kMag1, iface(1));
  PbuSpec two = iface(2);
  two.lifetime_units = 5;
  advance(milliseconds(10));
  send(kMag2, two);
  advance(seconds(21));  // if2 expires
  auto t = drain();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].dst, kMag1);
  EXPECT_EQ(muho_of(t[0].message), std::vector<wire::Ipv6Prefix>{wire::Ipv6Prefix{}});
}

}  // namespace
}  // namespace pmipx::core
