// RFC 6088 binary traffic selectors (PROTOCOL.md §5).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::wire {
namespace {
using namespace test;

Result<TrafficSelector> decode_v6(const char* body) {
  Bytes b = hex(body);
  return decode_traffic_selector(kTsFormatIpv6, b, 100);
}

TEST(TrafficSelector, Protocol54ExampleEncodesToDocumentedOctets) {
  Ipv6TrafficSelector ts;
  ts.dst = Bound<Ipv6Address>{v6("2001:db8:1:2::100"), std::nullopt};
  ts.dst_port = Bound<std::uint16_t>{5000, 5010};
  ts.next_header = Bound<std::uint8_t>{17, std::nullopt};
  Bytes out;
  ASSERT_TRUE(encode_traffic_selector(ts, out).ok());
  EXPECT_EQ(out, hex("20 32 00 00 20 01 0d b8 00 01 00 02 00 00 00 00 00 00 01 00 13 88 13 92 11"));
  auto back = decode_traffic_selector(kTsFormatIpv6, out, 0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<Ipv6TrafficSelector>(*back), ts);
}

TEST(TrafficSelector, FieldsFollowFlagOrderForEachFlag) {
  // One field at a time, to pin every flag bit to its field and size (IPv6 letters A..P).
  struct Case { std::uint32_t flags; std::size_t size; };
  const Case v6cases[] = {{0x80000000, 16}, {0x20000000, 16}, {0x08000000, 4}, {0x02000000, 4},
                          {0x00800000, 2},  {0x00200000, 2},  {0x00080000, 1}, {0x00020000, 1}};
  for (const auto& c : v6cases) {
    Bytes b(4);
    store_be32(b.data(), c.flags);
    b.insert(b.end(), c.size, 0x01);
    auto ts = decode_traffic_selector(kTsFormatIpv6, b, 0);
    ASSERT_TRUE(ts.ok()) << std::hex << c.flags;
    Bytes again;
    ASSERT_TRUE(encode_traffic_selector(*ts, again).ok());
    EXPECT_EQ(again, b) << std::hex << c.flags;
    b.push_back(0);  // one octet too many
    EXPECT_EQ(decode_traffic_selector(kTsFormatIpv6, b, 0).error().code, WireErrc::kBadOptionLength);
  }
  const Case v4cases[] = {{0x80000000, 4}, {0x20000000, 4}, {0x08000000, 4}, {0x02000000, 2},
                          {0x00800000, 2}, {0x00200000, 1}, {0x00080000, 1}};
  for (const auto& c : v4cases) {
    Bytes b(4);
    store_be32(b.data(), c.flags);
    b.insert(b.end(), c.size, 0x01);
    auto ts = decode_traffic_selector(kTsFormatIpv4, b, 0);
    ASSERT_TRUE(ts.ok()) << std::hex << c.flags;
    Bytes again;
    ASSERT_TRUE(encode_traffic_selector(*ts, again).ok());
    EXPECT_EQ(again, b);
  }
}

TEST(TrafficSelector, Ipv6FlowLabelIsTheGPairAndPortsShiftDown) {
  auto ts = decode_v6("03 00 00 00 00 01 23 45 00 0f ff ff");
  ASSERT_TRUE(ts.ok());
  const auto& v = std::get<Ipv6TrafficSelector>(*ts);
  EXPECT_EQ(v.flow_label, (Bound<std::uint32_t>{0x12345, 0xfffff}));
  EXPECT_FALSE(v.src_port);
}

TEST(TrafficSelector, EndFlagWithoutStartIsMalformed) {
  auto e = decode_v6("40 00 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, WireErrc::kBadValue);
}

TEST(TrafficSelector, FieldsShorterThanFlagsSayAreTruncated) {
  auto e = decode_v6("00 20 00 00 13");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, WireErrc::kTruncated);
  EXPECT_EQ(e.error().offset, 104u);
  EXPECT_EQ(decode_v6("00 20").error().code, WireErrc::kTruncated);
}

TEST(TrafficSelector, EndBelowStartIsMalformed) {
  EXPECT_EQ(decode_v6("00 30 00 00 13 92 13 88").error().code, WireErrc::kBadValue);
  Ipv6TrafficSelector ts;
  ts.dst_port = Bound<std::uint16_t>{10, 9};
  Bytes out;
  EXPECT_FALSE(encode_traffic_selector(ts, out).ok());
}

TEST(TrafficSelector, ReservedFlagBitsAreRejected) {
  EXPECT_EQ(decode_v6("00 00 00 01").error().code, WireErrc::kBadValue);
  Bytes v4 = hex("00 02 00 00");
  EXPECT_EQ(decode_traffic_selector(kTsFormatIpv4, v4, 0).error().code, WireErrc::kBadValue);
}

TEST(TrafficSelector, WildcardSelectorIsJustTheFlagWord) {
  auto ts = decode_v6("00 00 00 00");
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(std::get<Ipv6TrafficSelector>(*ts), Ipv6TrafficSelector{});
}

TEST(TrafficSelector, UnknownFormatIsKeptRawAndFormatZeroIsInvalid) {
  Bytes body = hex("de ad");
  auto raw = decode_traffic_selector(251, body, 0);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(std::get<RawTrafficSelector>(*raw), (RawTrafficSelector{251, body}));
  EXPECT_EQ(ts_format(*raw), 251);
  EXPECT_FALSE(decode_traffic_selector(0, body, 0).ok());
}

TEST(TrafficSelector, AlignmentFollowsRfc6088) {
  Ipv6TrafficSelector v6;
  EXPECT_EQ(ts_alignment(v6), 1);
  v6.dst_port = Bound<std::uint16_t>{1, std::nullopt};
  EXPECT_EQ(ts_alignment(v6), 2);
  v6.flow_label = Bound<std::uint32_t>{1, std::nullopt};
  EXPECT_EQ(ts_alignment(v6), 4);
  v6.src = Bound<Ipv6Address>{};
  EXPECT_EQ(ts_alignment(v6), 8);
  Ipv4TrafficSelector v4;
  v4.spi = Bound<std::uint32_t>{1, std::nullopt};
  EXPECT_EQ(ts_alignment(v4), 4);
}

}  // namespace
}  // namespace pmipx::wire
