#include "wire/nd_message.hpp"

#include <gtest/gtest.h>

namespace pmipx::wire {
namespace {

TEST(NdMessage, RouterAdvertisementEncodesRfc4861Layout) {
  RouterAdvertisement ra;
  ra.router_lifetime_s = 1800;
  ra.mtu = 1460;
  ra.prefixes.push_back({*Ipv6Prefix::parse("2001:db8:8000:1::/64"), true, true, 86400, 14400});
  Bytes b = encode_router_advertisement(ra);
  ASSERT_EQ(b.size(), 16u + 8 + 32);
  EXPECT_EQ(b[0], 134);
  EXPECT_EQ(b[4], 64);
  EXPECT_EQ(load_be16(&b[6]), 1800);
  EXPECT_EQ(b[16], 5);  // MTU option
  EXPECT_EQ(load_be32(&b[20]), 1460u);
  EXPECT_EQ(b[24], 3);  // PIO, length 4
  EXPECT_EQ(b[25], 4);
  EXPECT_EQ(b[26], 64);
  EXPECT_EQ(b[27], 0xc0);  // L and A
  EXPECT_EQ(load_be32(&b[28]), 86400u);
  EXPECT_EQ(load_be32(&b[32]), 14400u);
  EXPECT_EQ(b[40], 0x20);
  EXPECT_EQ(decode_router_advertisement(b), ra);
}

TEST(NdMessage, RouterSolicitationCarriesInterfacePreference) {
  RouterSolicitation rs{parse_mac("02:00:00:00:01:01"), InterfacePreference{10, true, true}};
  Bytes b = encode_router_solicitation(rs);
  ASSERT_EQ(b.size(), 24u);
  EXPECT_EQ(b[16], kNdOptInterfacePreference);
  EXPECT_EQ(b[17], 1);
  EXPECT_EQ(b[18], 10);
  EXPECT_EQ(b[19], 0xc0);
  EXPECT_EQ(decode_router_solicitation(b), rs);
}

TEST(NdMessage, ZeroLengthOptionIsRejected) {
  Bytes b{133, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  std::string why;
  EXPECT_FALSE(decode_router_solicitation(b, &why));
  EXPECT_NE(why.find("length 0"), std::string::npos);
}

TEST(NdMessage, OptionOverrunningTheMessageIsRejected) {
  Bytes b{133, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(decode_router_solicitation(b));
}

TEST(NdMessage, NonZeroCodeIsRejected) {
  Bytes b{133, 1, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(decode_router_solicitation(b));
}

TEST(NdMessage, UnknownOptionsAreSkipped) {
  Bytes b{133, 0, 0, 0, 0, 0, 0, 0, 99, 1, 0, 0, 0, 0, 0, 0};
  auto rs = decode_router_solicitation(b);
  ASSERT_TRUE(rs);
  EXPECT_FALSE(rs->preference);
}

TEST(NdMessage, BadPrefixLengthIsRejected) {
  RouterAdvertisement ra;
  ra.prefixes.push_back({*Ipv6Prefix::parse("2001:db8::/64"), true, true, 1, 1});
  Bytes b = encode_router_advertisement(ra);
  b[18] = 129;
  EXPECT_FALSE(decode_router_advertisement(b));
}

TEST(NdMessage, MacAddressesParseAndPrint) {
  auto m = parse_mac("02:AA:00:00:01:ff");
  ASSERT_TRUE(m);
  EXPECT_EQ(to_string(*m), "02:aa:00:00:01:ff");
  EXPECT_FALSE(parse_mac("02:aa:00:00:01"));
  EXPECT_FALSE(parse_mac("02-aa-00-00-01-ff"));
}

}  // namespace
}  // namespace pmipx::wire
