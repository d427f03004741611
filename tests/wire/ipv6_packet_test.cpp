// IPv6 header, primary HoA destination option, type 2 routing header, MH location
// (PROTOCOL.md §2.3, §11; DESIGN.md corrections).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wire/checksum.hpp"
#include "wire/codepoints.hpp"
#include "wire/ipv6_packet.hpp"

namespace pmipx::wire {
namespace {
using namespace test;

// PROTOCOL.md §11.2 verified example: CN -> CoA with RH2 holding the HoA, ICMPv6 echo.
const char* kRh2Packet =
    "60 00 00 00 00 24 2b 40 20 01 0d b8 00 0c 00 00 00 00 00 00 00 00 00 01"
    "20 01 0d b8 00 0a 00 00 00 00 00 00 00 00 00 99"
    "3a 02 02 01 00 00 00 00 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 01"
    "80 00 33 31 12 34 00 01 70 69 6e 67";

TEST(Ipv6Packet, HeaderRoundTrips) {
  Ipv6Header h{0xb8, 0xabcde, 1234, kIpProtoMh, 255, v6("2001:db8::1"), v6("2001:db8::2")};
  Bytes b;
  encode_ipv6_header(h, b);
  ASSERT_EQ(b.size(), kIpv6HeaderLength);
  EXPECT_EQ(b[0], 0x6b);
  auto d = decode_ipv6_header(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, h);
}

TEST(Ipv6Packet, HeaderRejectsShortAndNonV6) {
  EXPECT_EQ(decode_ipv6_header(Bytes(39, 0x60)).error().code, WireErrc::kTruncated);
  Bytes v4(40, 0);
  v4[0] = 0x45;
  EXPECT_EQ(decode_ipv6_header(v4).error().code, WireErrc::kBadPacket);
}

TEST(Ipv6Packet, Type2RoutingHeaderMatchesVerifiedExample) {
  Bytes pkt = hex(kRh2Packet);
  auto rh = decode_type2_routing_header(ByteView(pkt).subspan(40));
  ASSERT_TRUE(rh.ok());
  EXPECT_EQ(*rh, (Type2RoutingHeader{58, 1, v6("2001:db8:1:1::1")}));
  Bytes again;
  encode_type2_routing_header(*rh, again);
  EXPECT_EQ(again, Bytes(pkt.begin() + 40, pkt.begin() + 64));
  // The ICMPv6 checksum in the example is computed over the home address (final destination).
  ByteView icmp = ByteView(pkt).subspan(64);
  EXPECT_EQ(upper_layer_checksum(v6("2001:db8:c::1"), v6("2001:db8:1:1::1"), 58, icmp, 2), 0x3331);
}

TEST(Ipv6Packet, Type2RoutingHeaderRejectsBadLengthTypeAndSegments) {
  Bytes rh;
  encode_type2_routing_header({58, 1, v6("2001:db8::1")}, rh);
  for (auto [index, value] : {std::pair{1, 4}, std::pair{2, 0}, std::pair{3, 2}}) {
    Bytes bad = rh;
    bad[static_cast<std::size_t>(index)] = static_cast<std::uint8_t>(value);
    auto r = decode_type2_routing_header(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().offset, static_cast<std::uint32_t>(index));
  }
  EXPECT_EQ(decode_type2_routing_header(Bytes(23, 0)).error().code, WireErrc::kTruncated);
}

TEST(Ipv6Packet, PrimaryHoaDestinationOptionLayout) {
  Bytes b;
  encode_primary_hoa_destopts({17, v6("2001:db8:1:1::1")}, b);
  ASSERT_EQ(b.size(), kPrimaryHoaDestOptsLength);
  // next header, hdr ext len 2, PadN(4), option type 0x1E at octet 6 (8n+6), length 16.
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 8), hex("11 02 01 02 00 00 1e 10"));
  auto d = decode_destopts(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->next_header, 17);
  EXPECT_EQ(d->length, 24u);
  EXPECT_EQ(d->primary_hoa, v6("2001:db8:1:1::1"));
  EXPECT_FALSE(d->home_address);
  EXPECT_FALSE(d->discard);
}

TEST(Ipv6Packet, PrimaryHoaOptionTypeIsConfigurable) {
  Bytes b;
  encode_primary_hoa_destopts({6, v6("2001:db8::9")}, b, 0x3e);
  EXPECT_FALSE(decode_destopts(b)->primary_hoa);
  EXPECT_EQ(decode_destopts(b, 0x3e)->primary_hoa, v6("2001:db8::9"));
}

TEST(Ipv6Packet, DestinationOptionsValidation) {
  Bytes b;
  encode_primary_hoa_destopts({17, v6("2001:db8::1")}, b);
  Bytes short_len = b;
  short_len[7] = 15;
  EXPECT_FALSE(decode_destopts(short_len).ok());
  Bytes past_end = b;
  past_end[1] = 3;
  EXPECT_EQ(decode_destopts(past_end).error().code, WireErrc::kTruncated);
  // An unknown option with top bits 01 means "discard the packet" (RFC 8200 §4.2).
  Bytes unknown = hex("11 00 41 02 00 00 01 00");
  auto d = decode_destopts(unknown);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->discard);
  Bytes skippable = hex("11 00 21 02 00 00 01 00");
  EXPECT_FALSE(decode_destopts(skippable)->discard);
}

Bytes packet_with(std::uint8_t first_nh, const Bytes& ext, const Bytes& mh, const Ipv6Address& src,
                  const Ipv6Address& dst) {
  Bytes p;
  encode_ipv6_header({0, 0, static_cast<std::uint16_t>(ext.size() + mh.size()), first_nh, 64, src, dst}, p);
  p.insert(p.end(), ext.begin(), ext.end());
  p.insert(p.end(), mh.begin(), mh.end());
  return p;
}

TEST(Ipv6Packet, LocateMhDirectlyAfterHeader) {
  Bytes mh = hex("3b 01 0d 00 5a d5 00 00 00 00 00 07 01 02 00 00");
  Bytes p = packet_with(kIpProtoMh, {}, mh, v6("2001:db8:a::1"), v6("2001:db8:b::1"));
  auto m = locate_mh(p);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->mh_offset, 40u);
  EXPECT_TRUE(mh_checksum_ok((*m)->checksum_src, (*m)->checksum_dst, (*m)->mh));
}

TEST(Ipv6Packet, LocateMhBehindRoutingHeaderUsesFinalDestinationForChecksum) {
  Bytes mh = hex("3b 01 0d 00 00 00 00 00 00 00 00 07 01 02 00 00");
  Ipv6Address src = v6("2001:db8:b::1"), coa = v6("2001:db8:a::99"), hoa = v6("2001:db8:1:1::1");
  set_mh_checksum(src, hoa, mh);
  Bytes rh;
  encode_type2_routing_header({kIpProtoMh, 1, hoa}, rh);
  Bytes p = packet_with(kIpProtoRouting, rh, mh, src, coa);
  auto m = locate_mh(p);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->checksum_dst, hoa);
  EXPECT_EQ((*m)->mh_offset, 64u);
  EXPECT_TRUE(mh_checksum_ok((*m)->checksum_src, (*m)->checksum_dst, (*m)->mh));
}

TEST(Ipv6Packet, LocateMhSkipsOtherUpperLayersAndLaterFragments) {
  Bytes p = hex(kRh2Packet);
  auto m = locate_mh(p);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());  // ICMPv6, not MH
  Bytes frag = hex("87 00 00 08 00 00 00 01");  // offset 1 (x8): not the first fragment
  Bytes q = packet_with(kIpProtoFragment, frag, Bytes(16, 0), v6("::1"), v6("::2"));
  auto f = locate_mh(q);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->has_value());
}

TEST(Ipv6Packet, LocateMhRejectsPayloadLengthBeyondCapture) {
  Bytes mh = hex("3b 01 0d 00 5a d5 00 00 00 00 00 07 01 02 00 00");
  Bytes p = packet_with(kIpProtoMh, {}, mh, v6("2001:db8:a::1"), v6("2001:db8:b::1"));
  p.pop_back();
  EXPECT_EQ(locate_mh(p).error().code, WireErrc::kTruncated);
}

TEST(Ipv6Packet, LocateMhStopsOnExtensionHeaderLoops) {
  // 17 Destination Options headers in a row: more than the walker accepts.
  Bytes ext;
  for (int i = 0; i < 17; ++i) {
    for (auto x : hex("3c 00 01 04 00 00 00 00")) ext.push_back(x);
  }
  Bytes p = packet_with(kIpProtoDstOpts, ext, {}, v6("::1"), v6("::2"));
  EXPECT_EQ(locate_mh(p).error().code, WireErrc::kBadPacket);
}

}  // namespace
}  // namespace pmipx::wire
