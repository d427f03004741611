// Mobility Header framing and the fixed part of every message (PROTOCOL.md §2–§3).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wire/codec.hpp"

namespace pmipx::wire {
namespace {
using namespace test;

const MnIdOption kMnId{MnIdSubtype::kNai, "mn1@example.com"};

TEST(MessageCodec, EveryMessageTypeRoundTrips) {
  const std::vector<Message> messages = {
      Message{BindingUpdate{0xffff, 0xfff0, Lifetime{0xffff}}, {kMnId}},
      Message{BindingUpdate{0, 0, Lifetime{0}}, {}},
      Message{BindingAck{BaStatus::kCannotSupportMultipathBinding, 0xfe, 0x1234, Lifetime{7}}, {kMnId}},
      Message{BindingError{BindingErrorStatus::kUnrecognizedMhType, Ipv6Address{}}, {}},
      Message{BindingError{BindingErrorStatus::kUnknownBindingForHao, v6("2001:db8::5")}, {}},
      Message{Heartbeat{false, false, 0xffffffff}, {}},
      Message{Heartbeat{true, true, 1}, {RestartCounterOption{9}}},
      Message{BindingRevocationIndication{RevocationTrigger::kPerPeerPolicy, 77, {true, true, true}}, {kMnId}},
      Message{BindingRevocationAck{RevocationStatus::kPartialSuccess, 77, {true, false, true}}, {}},
      Message{UpdateNotification{65535, NotificationReason::kFlowMobility, true, true}, {kMnId}},
      Message{UpdateNotification{1, static_cast<NotificationReason>(300), false, false}, {kMnId}},
      Message{UpdateNotificationAck{65535, NotificationAckStatus::kMnNotAttached}, {kMnId}},
  };
  for (const auto& m : messages) round_trip(m);
}

TEST(MessageCodec, EmptyMessagesArePaddedToSixteenOctets) {
  Bytes b = round_trip(Message{Heartbeat{false, false, 7}, {}});
  EXPECT_EQ(b, hex("3b 01 0d 00 00 00 00 00 00 00 00 07 01 02 00 00"));
  Bytes be = round_trip(Message{BindingError{}, {}});
  EXPECT_EQ(be.size(), 24u);
  EXPECT_EQ(be[1], 2);
}

TEST(MessageCodec, BindingUpdateFlagBitsAreWhereRfcSaysTheyAre) {
  Bytes b = encode_ok(Message{BindingUpdate{1, bu_flag::kP, Lifetime{}}, {}});
  EXPECT_EQ(load_be16(b.data() + 8), 0x0200);
  Bytes ba = encode_ok(Message{BindingAck{BaStatus::kAccepted, ba_flag::kP, 1, Lifetime{}}, {}});
  EXPECT_EQ(ba[7], 0x20);
}

TEST(MessageCodec, UpdateNotificationReasonIsSixteenBitsAndFlagsFollow) {
  Bytes b = encode_ok(Message{UpdateNotification{9, NotificationReason::kFlowMobility, true, true}, {}});
  EXPECT_EQ(load_be16(b.data() + 8), 8);
  EXPECT_EQ(load_be16(b.data() + 10), 0xc000);
}

TEST(MessageCodec, LifetimeFromSecondsRejectsOverflow) {
  EXPECT_EQ(Lifetime::from_seconds(0)->units, 0);
  EXPECT_EQ(Lifetime::from_seconds(3600)->units, 900);
  EXPECT_EQ(Lifetime::from_seconds(7)->units, 1);  // rounds down to whole 4 s units
  EXPECT_EQ(Lifetime::from_seconds(Lifetime::kMaxSeconds)->units, 0xffff);
  EXPECT_FALSE(Lifetime::from_seconds(Lifetime::kMaxSeconds + 1));
  EXPECT_FALSE(Lifetime::from_seconds(0xffffffff));
}

// RFC 6275 §9.2 checks, in its order.
TEST(MessageCodec, ShorterThanCommonHeaderIsTruncated) {
  auto e = decode_err(hex("3b 00 05 00 00"));
  EXPECT_EQ(e.code, WireErrc::kTruncated);
  EXPECT_EQ(decode_err(Bytes{}).code, WireErrc::kTruncated);
}

TEST(MessageCodec, UnknownTypeIsReportedWithItsValueForABindingError) {
  for (std::uint8_t type : std::initializer_list<std::uint8_t>{0, 1, 8, 11, 12, 17, 21, 200}) {
    Bytes b = hex("3b 01 00 00 00 00 00 00 00 00 00 00 01 02 00 00");
    b[2] = type;
    auto e = decode_err(b);
    EXPECT_EQ(e.code, WireErrc::kUnknownMhType);
    EXPECT_EQ(e.offset, 2u);
    EXPECT_EQ(e.value, type);
  }
}

TEST(MessageCodec, PayloadProtoOtherThan59IsRejectedAtOffset0) {
  Bytes b = encode_ok(Message{Heartbeat{}, {}});
  b[0] = 6;
  auto e = decode_err(b);
  EXPECT_EQ(e.code, WireErrc::kBadPayloadProto);
  EXPECT_EQ(e.offset, 0u);
}

TEST(MessageCodec, HeaderLenBelowMessageMinimumIsRejectedAtOffset1) {
  EXPECT_EQ(decode_err(hex("3b 00 05 00 00 00 00 00")).code, WireErrc::kHeaderLenTooSmall);
  EXPECT_EQ(decode_err(hex("3b 00 0d 00 00 00 00 00")).code, WireErrc::kHeaderLenTooSmall);
  // Binding Error needs Header Len 2 (24 octets)
  Bytes be = hex("3b 01 07 00 00 00 02 00 00 00 00 00 00 00 00 00");
  auto e = decode_err(be);
  EXPECT_EQ(e.code, WireErrc::kHeaderLenTooSmall);
  EXPECT_EQ(e.offset, 1u);
}

TEST(MessageCodec, HeaderLenBeyondReceivedOctetsIsRejected) {
  Bytes b = encode_ok(Message{Heartbeat{}, {}});
  b[1] = 2;
  EXPECT_EQ(decode_err(b).code, WireErrc::kHeaderLenBeyondData);
  b.resize(20);  // not a multiple of 8 either
  EXPECT_EQ(decode_err(b).code, WireErrc::kHeaderLenBeyondData);
}

TEST(MessageCodec, OctetsAfterTheMobilityHeaderAreIgnored) {
  Bytes b = encode_ok(Message{Heartbeat{false, false, 3}, {}});
  b.insert(b.end(), {0xde, 0xad, 0xbe, 0xef});
  auto d = decode_message(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->length, 16u);
}

TEST(MessageCodec, ReservedOctetIsANoteByDefaultAndAnErrorWhenStrict) {
  Bytes b = encode_ok(Message{Heartbeat{}, {}});
  b[3] = 1;
  auto d = decode_message(b);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->notes.size(), 1u);
  EXPECT_EQ(d->notes[0].code, WireErrc::kReservedNonZero);
  EXPECT_EQ(d->notes[0].offset, 3u);
  CodecConfig strict{18, true};
  EXPECT_EQ(decode_err(b, strict).code, WireErrc::kReservedNonZero);
}

TEST(MessageCodec, ReservedBitsInEveryFixedPartAreNoted) {
  struct Case { const char* hex; std::uint32_t offset; };
  const Case cases[] = {
      {"3b 01 05 00 00 00 00 01 82 01 00 00 01 02 00 00", 8},                    // BU low bits
      {"3b 01 06 00 00 00 00 21 00 01 00 00 01 02 00 00", 7},                    // BA flag 0x01
      {"3b 01 0d 00 00 00 00 04 00 00 00 07 01 02 00 00", 6},                    // HB reserved
      {"3b 01 10 00 00 00 01 01 00 05 90 00 01 02 00 00", 10},                   // BRI reserved
      {"3b 01 13 00 00 00 00 01 00 08 80 01 01 02 00 00", 10},                   // UPN reserved
      {"3b 01 14 00 00 00 00 01 00 00 01 00 01 02 00 00", 9},                    // UPA reserved
      {"3b 02 07 00 00 00 02 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 7},  // BE
  };
  for (const auto& c : cases) {
    auto d = decode_message(hex(c.hex));
    ASSERT_TRUE(d.ok()) << c.hex;
    ASSERT_EQ(d->notes.size(), 1u) << c.hex;
    EXPECT_EQ(d->notes[0].code, WireErrc::kReservedNonZero) << c.hex;
    EXPECT_EQ(d->notes[0].offset, c.offset) << c.hex;
  }
}

TEST(MessageCodec, InvalidFixedFieldValuesAreRejected) {
  // Heartbeat U without R, BE status 0 and 3, BR type 0 and 3, UPN reason 0.
  const char* cases[] = {
      "3b 01 0d 00 00 00 00 02 00 00 00 07 01 02 00 00",
      "3b 02 07 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      "3b 02 07 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      "3b 01 10 00 00 00 00 01 00 05 80 00 01 02 00 00",
      "3b 01 10 00 00 00 03 01 00 05 80 00 01 02 00 00",
      "3b 01 13 00 00 00 00 01 00 00 80 00 01 02 00 00",
  };
  for (const char* c : cases) EXPECT_EQ(decode_err(hex(c)).code, WireErrc::kBadValue) << c;
  EXPECT_FALSE(encode_message(Message{Heartbeat{true, false, 1}, {}}).ok());
  EXPECT_FALSE(encode_message(Message{UpdateNotification{1, static_cast<NotificationReason>(0), true, false}, {}}).ok());
  EXPECT_FALSE(encode_message(Message{BindingError{static_cast<BindingErrorStatus>(0), {}}, {}}).ok());
}

TEST(MessageCodec, EncodeAppendsAndLeavesBufferUnchangedOnError) {
  Bytes out = {0xaa};
  auto n = encode_message(Message{Heartbeat{}, {}}, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 16u);
  EXPECT_EQ(out.size(), 17u);
  auto bad = encode_message(pbu({HnpOption{false, Ipv6Prefix{Ipv6Address{}, 129}}}), out);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(out.size(), 17u);
}

TEST(MessageCodec, MessageLongerThan2048OctetsIsRefused) {
  // Each HNP takes 20 octets plus 4 of padding to stay at 8n+4.
  std::vector<MobilityOption> opts(86, HnpOption{false, pfx("2001:db8::/64")});
  auto r = encode_message(pbu(opts));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, WireErrc::kTooLong);
  std::vector<MobilityOption> fits(85, HnpOption{false, pfx("2001:db8::/64")});
  round_trip(pbu(fits));
}

}  // namespace
}  // namespace pmipx::wire
