// PROTOCOL.md §14: each vector decodes to the documented fields, its checksum verifies with
// the documented addresses, and re-encoding the decoded value gives the same octets.
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wire/checksum.hpp"
#include "wire/codec.hpp"

namespace pmipx::wire {
namespace {
using namespace test;

const Ipv6Address kMag = v6("2001:db8:a::1");
const Ipv6Address kLma = v6("2001:db8:b::1");

struct Vector {
  const char* name;
  const char* hex;
  Ipv6Address src, dst;
  std::uint16_t checksum;
};

const Vector kVectors[] = {
    {"14.1 initial PBU",
     "3b 0a 05 00 e4 63 00 01 82 00 03 84 16 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
     "08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 17 02 00 01 18 02 00 04 1b 08 00 00 65 53"
     "f1 00 80 00 01 00 1a 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
     kMag, kLma, 0xe463},
    {"14.2 PBA",
     "3b 0a 06 00 87 b4 00 20 00 01 03 84 16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 00"
     "08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 17 02 00 01 18 02 00 04 1b 08 00 00 65 53"
     "f1 00 80 00 01 00 1a 10 fe 80 00 00 00 00 00 00 02 00 5e ff fe 00 52 13",
     kLma, kMag, 0x87b4},
    {"14.3 heartbeat request", "3b 01 0d 00 5a d5 00 00 00 00 00 07 01 02 00 00", kMag, kLma, 0x5ad5},
    {"14.4 heartbeat response",
     "3b 02 0d 00 3d c4 00 01 00 00 00 07 01 00 1c 04 00 00 00 03 01 02 00 00", kLma, kMag, 0x3dc4},
    {"14.5 BRI",
     "3b 06 10 00 ea 7d 01 01 00 05 80 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 04"
     "00 00 00 00 16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 00",
     kLma, kMag, 0xea7d},
    {"14.5 BRA", "3b 01 10 00 d5 d6 02 00 00 05 80 00 01 02 00 00", kMag, kLma, 0xd5d6},
    {"14.6 FMI",
     "3b 06 13 00 68 71 00 09 00 08 80 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 04"
     "00 00 00 00 16 12 80 40 20 01 0d b8 00 01 00 02 00 00 00 00 00 00 00 00",
     kLma, kMag, 0x6871},
    {"14.6 FMA",
     "3b 06 14 00 e7 79 00 09 00 00 00 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 04"
     "00 00 00 00 16 12 80 40 20 01 0d b8 00 01 00 02 00 00 00 00 00 00 00 00",
     kMag, kLma, 0xe779},
    {"14.7 FMI with flow identification",
     "3b 0c 13 00 a6 e1 00 0a 00 08 80 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 04"
     "00 00 00 00 16 12 80 40 20 01 0d b8 00 01 00 02 00 00 00 00 00 00 00 00 2d 27 00 01 00 0a 00 00"
     "03 1b 02 00 20 32 00 00 20 01 0d b8 00 01 00 02 00 00 00 00 00 00 01 00 13 88 13 92 11 02 02 00"
     "01 01 05 00 00 00 00 00",
     kLma, kMag, 0xa6e1},
    {"14.8 PBU with IPv4, GRE, VSM, DMNP, BID, multipath",
     "3b 12 05 00 41 05 00 02 82 00 03 84 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 04"
     "00 00 00 00 16 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 17 02 00 01 18 02 00 08"
     "24 06 00 00 00 00 00 00 21 06 00 00 11 22 33 44 01 00 13 08 00 00 28 af 06 00 03 00 01 04 00 00"
     "00 00 37 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 23 04 00 01 00 00 3f 06 08 0b"
     "01 00 00 00 40 12 01 00 6d 61 67 31 40 65 78 61 6d 70 6c 65 2e 6e 65 74",
     kMag, kLma, 0x4105},
    {"14.9 PBA with IPv4 reply, default router, DHCP mode, GRE",
     "3b 0b 06 00 c9 37 00 20 00 02 03 84 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 01 04"
     "00 00 00 00 16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 00 17 02 00 01 18 02 00 08"
     "25 06 00 60 0a 01 02 03 26 06 00 00 0a 01 02 01 27 02 00 01 21 06 00 00 55 66 77 88 01 02 00 00",
     kLma, kMag, 0xc937},
};

class VectorTest : public ::testing::TestWithParam<Vector> {};

TEST_P(VectorTest, ChecksumVerifiesWithDocumentedAddresses) {
  const auto& v = GetParam();
  Bytes b = hex(v.hex);
  EXPECT_EQ(load_be16(b.data() + 4), v.checksum);
  EXPECT_TRUE(mh_checksum_ok(v.src, v.dst, b));
  EXPECT_EQ(mh_checksum(v.src, v.dst, b), v.checksum);
  // Another destination, or one flipped bit, must fail (src/dst swapped would not: the
  // ones'-complement sum is commutative).
  EXPECT_FALSE(mh_checksum_ok(v.src, v6("2001:db8:ffff::1"), b));
  b[b.size() - 1] ^= 0x01;
  EXPECT_FALSE(mh_checksum_ok(v.src, v.dst, b));
}

TEST_P(VectorTest, DecodesCleanlyAndReencodesByteForByte) {
  const auto& v = GetParam();
  Bytes b = hex(v.hex);
  auto d = decode_message(b);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_TRUE(d->notes.empty()) << d->notes.front().describe();
  EXPECT_EQ(d->length, b.size());
  Bytes again = encode_ok(d->message);
  set_mh_checksum(v.src, v.dst, again);
  EXPECT_EQ(again, b);
}

TEST_P(VectorTest, StrictModeAcceptsVector) {
  CodecConfig strict;
  strict.strict = true;
  EXPECT_TRUE(decode_message(hex(GetParam().hex), strict).ok());
}

INSTANTIATE_TEST_SUITE_P(Protocol14, VectorTest, ::testing::ValuesIn(kVectors),
                         [](const ::testing::TestParamInfo<Vector>& p) { return "v" + std::to_string(p.index); });

Message vector(int i) { return decode_ok(hex(kVectors[i].hex)); }

TEST(Vectors, InitialPbuFields) {
  Message m = vector(0);
  const auto& bu = std::get<BindingUpdate>(m.body);
  EXPECT_EQ(bu.sequence, 1);
  EXPECT_EQ(bu.flags, bu_flag::kA | bu_flag::kP);
  EXPECT_EQ(bu.lifetime.units, 900);
  EXPECT_EQ(bu.lifetime.seconds(), 3600u);
  ASSERT_EQ(m.options.size(), 6u);
  EXPECT_EQ(std::get<HnpOption>(m.options[0]), (HnpOption{false, Ipv6Prefix{}}));
  EXPECT_EQ(std::get<MnIdOption>(m.options[1]), (MnIdOption{MnIdSubtype::kNai, "mn1@example.com"}));
  EXPECT_EQ(std::get<HandoffIndicatorOption>(m.options[2]).value, HandoffIndicator::kNewInterface);
  EXPECT_EQ(std::get<AccessTechTypeOption>(m.options[3]).value, AccessTech::kWlan);
  auto ts = std::get<TimestampOption>(m.options[4]).value;
  EXPECT_EQ(ts.seconds(), 1700000000u);
  EXPECT_EQ(ts.fraction(), 0x8000);
  EXPECT_TRUE(std::get<LinkLocalAddressOption>(m.options[5]).address.is_zero());
}

TEST(Vectors, PbaFields) {
  Message m = vector(1);
  const auto& ba = std::get<BindingAck>(m.body);
  EXPECT_EQ(ba.status, BaStatus::kAccepted);
  EXPECT_EQ(ba.flags, ba_flag::kP);
  EXPECT_EQ(ba.sequence, 1);
  EXPECT_EQ(ba.lifetime.units, 900);
  EXPECT_EQ(std::get<HnpOption>(m.options[0]).prefix, pfx("2001:db8:1:1::/64"));
  EXPECT_EQ(std::get<LinkLocalAddressOption>(m.options[5]).address, v6("fe80::200:5eff:fe00:5213"));
}

TEST(Vectors, HeartbeatFields) {
  EXPECT_EQ(std::get<Heartbeat>(vector(2).body), (Heartbeat{false, false, 7}));
  Message resp = vector(3);
  EXPECT_EQ(std::get<Heartbeat>(resp.body), (Heartbeat{false, true, 7}));
  ASSERT_EQ(resp.options.size(), 1u);
  EXPECT_EQ(std::get<RestartCounterOption>(resp.options[0]).value, 3u);
}

TEST(Vectors, RevocationFields) {
  Message bri = vector(4);
  EXPECT_EQ(std::get<BindingRevocationIndication>(bri.body),
            (BindingRevocationIndication{RevocationTrigger::kAdministrative, 5, {true, false, false}}));
  EXPECT_EQ(std::get<HnpOption>(bri.options[1]).prefix, pfx("2001:db8:1:1::/64"));
  Message bra = vector(5);
  EXPECT_EQ(std::get<BindingRevocationAck>(bra.body),
            (BindingRevocationAck{RevocationStatus::kSuccess, 5, {true, false, false}}));
  EXPECT_TRUE(bra.options.empty());
}

TEST(Vectors, FmiAndFmaFields) {
  Message fmi = vector(6);
  EXPECT_EQ(std::get<UpdateNotification>(fmi.body),
            (UpdateNotification{9, NotificationReason::kFlowMobility, true, false}));
  EXPECT_EQ(std::get<HnpOption>(fmi.options[1]), (HnpOption{true, pfx("2001:db8:1:2::/64")}));
  Message fma = vector(7);
  EXPECT_EQ(std::get<UpdateNotificationAck>(fma.body),
            (UpdateNotificationAck{9, NotificationAckStatus::kSuccess}));
  EXPECT_EQ(std::get<MnIdOption>(fma.options[0]).identifier, "mn1@example.com");
}

TEST(Vectors, FmiFlowIdentificationFields) {
  Message m = vector(8);
  ASSERT_EQ(m.options.size(), 3u);
  const auto& fid = std::get<FlowIdOption>(m.options[2]);
  EXPECT_EQ(fid.fid, 1);
  EXPECT_EQ(fid.priority, 10);
  EXPECT_EQ(fid.bid_refs, std::vector<std::uint16_t>{1});
  ASSERT_TRUE(fid.selector);
  const auto& ts = std::get<Ipv6TrafficSelector>(*fid.selector);
  EXPECT_EQ(ts.dst, (Bound<Ipv6Address>{v6("2001:db8:1:2::100"), std::nullopt}));
  EXPECT_EQ(ts.dst_port, (Bound<std::uint16_t>{5000, 5010}));
  EXPECT_EQ(ts.next_header, (Bound<std::uint8_t>{17, std::nullopt}));
  EXPECT_FALSE(ts.src || ts.spi || ts.flow_label || ts.src_port || ts.traffic_class);
}

TEST(Vectors, ExtendedPbuFields) {
  Message m = vector(9);
  EXPECT_EQ(std::get<BindingUpdate>(m.body).sequence, 2);
  EXPECT_EQ(std::get<AccessTechTypeOption>(m.options[3]).value, AccessTech::kEutran);
  EXPECT_EQ(std::get<Ipv4HomeAddressRequestOption>(m.options[4]),
            (Ipv4HomeAddressRequestOption{0, Ipv4Address{}}));
  EXPECT_EQ(std::get<GreKeyOption>(m.options[5]).key, 0x11223344u);
  const auto& vsm = std::get<VendorSpecificOption>(m.options[6]);
  EXPECT_EQ(vsm.vendor_id, 10415u);
  EXPECT_EQ(vsm.subtype, 6);
  EXPECT_EQ(vsm.data, hex("00 03 00"));
  EXPECT_EQ(std::get<DmnpOption>(m.options[7]).prefix, (std::variant<Ipv6Prefix, Ipv4Prefix>{Ipv6Prefix{}}));
  EXPECT_EQ(std::get<BindingIdOption>(m.options[8]).bid, 1);
  EXPECT_EQ(std::get<MagMultipathBindingOption>(m.options[9]),
            (MagMultipathBindingOption{AccessTech::kEutran, 11, 1, false, false}));
  EXPECT_EQ(std::get<MagIdentifierOption>(m.options[10]),
            (MagIdentifierOption{MnIdSubtype::kNai, "mag1@example.net"}));
}

TEST(Vectors, ExtendedPbaFields) {
  Message m = vector(10);
  EXPECT_EQ(std::get<Ipv4HomeAddressReplyOption>(m.options[4]),
            (Ipv4HomeAddressReplyOption{0, 24, v4("10.1.2.3")}));
  EXPECT_EQ(std::get<Ipv4DefaultRouterOption>(m.options[5]).address, v4("10.1.2.1"));
  EXPECT_TRUE(std::get<Ipv4DhcpSupportModeOption>(m.options[6]).server);
  EXPECT_EQ(std::get<GreKeyOption>(m.options[7]).key, 0x55667788u);
}

}  // namespace
}  // namespace pmipx::wire
