// Every mobility option: round trip, alignment, boundaries and malformed input
// (PROTOCOL.md §2.6, §2.7, §4).
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wire/codec.hpp"

namespace pmipx::wire {
namespace {
using namespace test;

Ipv6TrafficSelector full_v6_selector() {
  Ipv6TrafficSelector ts;
  ts.src = Bound<Ipv6Address>{v6("2001:db8:c::1"), v6("2001:db8:c::ff")};
  ts.dst = Bound<Ipv6Address>{v6("2001:db8:1:2::100"), std::nullopt};
  ts.spi = Bound<std::uint32_t>{1, 9};
  ts.flow_label = Bound<std::uint32_t>{0x12345, std::nullopt};
  ts.src_port = Bound<std::uint16_t>{1024, 65535};
  ts.dst_port = Bound<std::uint16_t>{443, std::nullopt};
  ts.traffic_class = Bound<std::uint8_t>{0x20, 0x28};
  ts.next_header = Bound<std::uint8_t>{6, 17};
  return ts;
}

Ipv4TrafficSelector full_v4_selector() {
  Ipv4TrafficSelector ts;
  ts.src = Bound<Ipv4Address>{v4("10.0.0.1"), v4("10.0.0.9")};
  ts.dst = Bound<Ipv4Address>{v4("10.1.0.1"), std::nullopt};
  ts.spi = Bound<std::uint32_t>{5, std::nullopt};
  ts.src_port = Bound<std::uint16_t>{1, 2};
  ts.dst_port = Bound<std::uint16_t>{80, 80};
  ts.ds = Bound<std::uint8_t>{0xb8, std::nullopt};
  ts.protocol = Bound<std::uint8_t>{6, std::nullopt};
  return ts;
}

std::vector<MobilityOption> every_option() {
  FlowIdOption fid6{7, 3, 0, TrafficSelector{full_v6_selector()}, {1, 2}, FlowBindingAction::kMove,
                    TargetCareOf{v6("2001:db8:a::9")}, {RawSubOption{251, hex("01 02 03")}}};
  FlowIdOption fid4{8, 4, 129, TrafficSelector{full_v4_selector()}, {}, std::nullopt,
                    TargetCareOf{v4("192.0.2.1")}, {}};
  FlowIdOption bare{9, 5, 0, std::nullopt, {3}, FlowBindingAction::kAdd, std::nullopt, {}};
  FlowIdOption raw_ts{10, 6, 0, TrafficSelector{RawTrafficSelector{251, hex("aa bb")}}, {}, {}, {}, {}};
  return {
      MnIdOption{MnIdSubtype::kNai, "mn1@example.com"},
      HnpOption{false, pfx("2001:db8:1:1::/64")},
      HnpOption{true, pfx("2001:db8:1:2::/64")},
      MuhoOption{pfx("2001:db8:1:3::/64")},
      HandoffIndicatorOption{HandoffIndicator::kNewInterfaceSharingPrefixes},
      AccessTechTypeOption{AccessTech::kEutran},
      MnLinkLayerIdOption{200, true, hex("02 00 00 00 00 01")},
      LinkLocalAddressOption{v6("fe80::200:5eff:fe00:5213")},
      TimestampOption{Timestamp::from_parts(1700000000, 0x8000)},
      GreKeyOption{0xdeadbeef},
      BindingIdOption{1, 0, false, 10, {}},
      BindingIdOption{2, 128, true, 127, v4("192.0.2.7")},
      BindingIdOption{3, 0, false, 1, v6("2001:db8:a::2")},
      Ipv4HomeAddressRequestOption{24, v4("10.1.2.3")},
      Ipv4HomeAddressReplyOption{130, 32, v4("10.1.2.4")},
      Ipv4DefaultRouterOption{v4("10.1.2.1")},
      Ipv4DhcpSupportModeOption{true},
      FlowSummaryOption{{1, 2, 65535}},
      fid6,
      fid4,
      bare,
      raw_ts,
      MnGroupIdOption{1, 1},
      DmnpOption{pfx("2001:db8:100::/56")},
      DmnpOption{Ipv4Prefix{v4("10.9.0.0"), 16}},
      VendorSpecificOption{10415, 6, hex("00 03 00")},
      VendorSpecificOption{32473, 1, {}},
      ReplayProtectionOption{0x0123456789abcdef},
      AlternateCoaOption{v6("2001:db8:a::3")},
      MagMultipathBindingOption{AccessTech::kWlan, 11, 254, true, false},
      MagIdentifierOption{MnIdSubtype::kNai, "mag1@example.net"},
      UnknownOption{200, hex("01 02 03 04 05")},
      UnknownOption{71, {}},
      AuthOption{1, 256, Bytes(12, 0xab)},
  };
}

TEST(Options, EveryOptionRoundTripsInOneMessage) { round_trip(pbu(every_option())); }

TEST(Options, EveryOptionRoundTripsAloneAtEveryStartingOffset) {
  // A leading unknown option of growing size shifts the start offset through 0..7 mod 8, so
  // each option's padding is exercised in every position.
  for (const auto& o : every_option()) {
    for (std::size_t shift = 0; shift < 8; ++shift) {
      std::vector<MobilityOption> opts;
      if (shift >= 2) opts.push_back(UnknownOption{200, Bytes(shift - 2, 0x11)});
      opts.push_back(o);
      Message m = pbu(opts);
      if (shift == 1) m.options.insert(m.options.begin(), UnknownOption{200, Bytes(7, 0x11)});
      round_trip(m);
    }
  }
}

TEST(Options, EachOptionLandsOnItsAlignment) {
  CodecConfig config;
  for (const auto& o : every_option()) {
    for (std::size_t filler = 0; filler < 8; ++filler) {
      Message m = pbu({UnknownOption{200, Bytes(filler, 0)}, o});
      Bytes b = encode_ok(m, config);
      // Walk to the second option.
      std::size_t pos = 12 + 2 + filler;
      while (b[pos] == 0 || b[pos] == 1) pos += b[pos] == 0 ? 1u : 2u + b[pos + 1];
      auto d = decode_message(b);
      ASSERT_TRUE(d.ok());
      EXPECT_TRUE(d->notes.empty()) << "misaligned type " << int(b[pos]) << " at " << pos;
    }
  }
}

TEST(Options, HnpAlignmentIs8nPlus4AndTimestamp8nPlus2AndLla8nPlus6) {
  Bytes b = encode_ok(pbu({HandoffIndicatorOption{HandoffIndicator::kNewInterface},
                           HnpOption{false, pfx("2001:db8::/64")}, TimestampOption{},
                           LinkLocalAddressOption{}}));
  // HI at 12..15, HNP needs 8n+4: 20. TS after HNP at 40 needs 8n+2: 42. LLA 8n+6: 54.
  EXPECT_EQ(b[16], 1);  // PadN(4)
  EXPECT_EQ(b[20], 22);
  EXPECT_EQ(b[40], 1);  // PadN(2)
  EXPECT_EQ(b[42], 27);
  EXPECT_EQ(b[52], 1);  // PadN(2)
  EXPECT_EQ(b[54], 26);
}

TEST(Options, AuthOptionIsLastAndEndsOnEightOctetBoundary) {
  Bytes b = encode_ok(pbu({HandoffIndicatorOption{}, AuthOption{1, 300, Bytes(12, 0x5a)}}));
  ASSERT_EQ(b.size() % 8, 0u);
  EXPECT_EQ(b[b.size() - 19], 9);  // 19-octet AUTH ends the message, no trailing padding
  EXPECT_EQ((b.size() - 19) % 4, 1u);
  // 32-octet HMAC-SHA256: 39 octets, starts at 8n+1.
  Bytes b2 = encode_ok(pbu({AuthOption{1, 300, Bytes(32, 0x5a)}}));
  EXPECT_EQ(b2[b2.size() - 39], 9);
}

TEST(Options, AuthLengthThatCannotMeetBothRulesIsRefused) {
  auto r = encode_message(pbu({AuthOption{1, 300, Bytes(13, 0)}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, WireErrc::kBadValue);
}

TEST(Options, OptionAfterAuthIsRefusedOnEncodeAndRejectedOnDecode) {
  auto r = encode_message(pbu({AuthOption{1, 300, Bytes(12, 0)}, HandoffIndicatorOption{}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, WireErrc::kOptionAfterAuth);
  // AUTH (19 octets) then HI.
  Bytes opts = hex("09 11 01 00 00 01 2c") ;
  opts.insert(opts.end(), 12, 0);
  for (auto x : hex("17 02 00 01")) opts.push_back(x);
  EXPECT_EQ(decode_err(pbu_with_raw_options(opts)).code, WireErrc::kOptionAfterAuth);
}

TEST(Options, PaddingAfterTheFinalAuthOptionIsRejected) {
  // Pad1, AUTH at 13 (4n+1) with a 4-octet authenticator ending at 24, then PadN(6).
  Bytes mh = hex("3b 03 05 00 00 00 00 01 82 00 03 84 00 09 09 01 00 00 01 00 aa bb cc dd 01 06 00 00 00 00 00 00");
  auto e = decode_err(mh);
  EXPECT_EQ(e.code, WireErrc::kOptionAfterAuth);
  EXPECT_EQ(e.offset, 24u);
}

TEST(Options, AuthenticatorLengthMustBeAMultipleOfFour) {
  Bytes mh = hex("3b 02 05 00 00 00 00 01 80 00 00 0a 00 09 06 01 00 00 00 01 aa 01 01 00");
  EXPECT_EQ(decode_err(mh).code, WireErrc::kBadOptionLength);
}

TEST(Options, ReservedFlagBitsAreNotedButNeitherKeptNorSent) {
  auto d = decode_message(hex("3b 01 05 00 00 00 00 01 82 01 03 84 01 02 00 00"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<BindingUpdate>(d->message.body).flags, bu_flag::kA | bu_flag::kP);
  EXPECT_EQ(d->notes.size(), 1u);
  Message m{BindingUpdate{1, 0xffff, {}}, {}};
  EXPECT_EQ(load_be16(encode_ok(m).data() + 8), 0xfff0);
  Message ba{BindingAck{BaStatus::kAccepted, 0xff, 1, {}}, {}};
  EXPECT_EQ(encode_ok(ba)[7], 0xfe);
}

TEST(Options, MnHaThenMnAaaAuthAreBothAllowed) {
  round_trip(pbu({AuthOption{1, 300, Bytes(12, 1)}, AuthOption{2, 3, Bytes(12, 2)}}));
}

TEST(Options, DuplicateSingletonsAreRejected) {
  const char* singletons[] = {
      "08 02 01 61",              // MN-ID
      "17 02 00 01",              // HI
      "18 02 00 04",              // ATT
      "19 04 00 00 aa bb",        // MN-LL-ID
      "1c 04 00 00 00 01",        // Restart Counter
      "21 02 00 00",              // GRE
      "27 02 00 01",              // DHCP mode
      "2c 02 00 01",              // Flow Summary
      "32 06 01 00 00 00 00 01",  // MN Group
      "3f 06 04 01 01 00 00 00",  // MAG multipath
      "40 03 01 00 61",           // MAG identifier
      "1b 08 00 00 00 00 00 00 00 01",                            // Timestamp
      "1a 10 fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01",    // LLA
  };
  for (const char* s : singletons) {
    Bytes one = hex(s);
    Bytes two = one;
    two.insert(two.end(), one.begin(), one.end());
    EXPECT_TRUE(decode_message(pbu_with_raw_options(one)).ok()) << s;
    auto e = decode_err(pbu_with_raw_options(two));
    EXPECT_EQ(e.code, WireErrc::kDuplicateOption) << s;
    EXPECT_EQ(e.offset, 12 + one.size()) << s;
  }
}

TEST(Options, RepeatableOptionsMayRepeat) {
  round_trip(pbu({HnpOption{false, pfx("2001:db8:1::/64")}, HnpOption{false, pfx("2001:db8:2::/64")},
                  MuhoOption{pfx("2001:db8:3::/64")}, MuhoOption{pfx("2001:db8:4::/64")},
                  VendorSpecificOption{1, 1, {}}, VendorSpecificOption{1, 2, {}},
                  BindingIdOption{1, 0, false, 1, {}}, BindingIdOption{2, 0, false, 2, {}},
                  DmnpOption{Ipv6Prefix{}}, DmnpOption{Ipv4Prefix{}}}));
}

TEST(Options, DmnpOncePerAddressFamily) {
  Bytes v6opt = hex("37 12 00 30 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 00");
  Bytes two = v6opt;
  two.insert(two.end(), v6opt.begin(), v6opt.end());
  EXPECT_EQ(decode_err(pbu_with_raw_options(two)).code, WireErrc::kDuplicateOption);
}

struct BadOption {
  const char* name;
  const char* hex;
  WireErrc code;
};

const BadOption kBadOptions[] = {
    {"option header cut", "16", WireErrc::kOptionTruncated},
    {"option body past end", "16 12 00 40 20 01", WireErrc::kOptionTruncated},
    {"HNP length 17", "16 11 00 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"HNP length 19", "16 13 00 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"HNP prefix length 129", "16 12 00 81 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadValue},
    {"MuHo length 2", "12 02 00 00", WireErrc::kBadOptionLength},
    {"MN-ID empty", "08 00", WireErrc::kBadOptionLength},
    {"MN-ID subtype 0", "08 02 00 61", WireErrc::kBadValue},
    {"MN-ID IPv6 subtype with 4 octets", "08 05 02 01 02 03 04", WireErrc::kBadOptionLength},
    {"MN-ID EUI-48 with 5 octets", "08 06 05 01 02 03 04 05", WireErrc::kBadOptionLength},
    {"HI length 1", "17 01 01", WireErrc::kBadOptionLength},
    {"HI length 3", "17 03 00 01 00", WireErrc::kBadOptionLength},
    {"ATT length 0", "18 00", WireErrc::kBadOptionLength},
    {"MN-LL-ID without identifier", "19 02 00 00", WireErrc::kBadOptionLength},
    {"LLA length 15", "1a 0f 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"Timestamp length 6", "1b 06 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"Restart Counter length 2", "1c 02 00 00", WireErrc::kBadOptionLength},
    {"GRE length 4", "21 04 00 00 00 00", WireErrc::kBadOptionLength},
    {"BID length 6", "23 06 00 01 00 00 00 00", WireErrc::kBadOptionLength},
    {"BID 0", "23 04 00 00 00 01", WireErrc::kBadValue},
    {"IPv4 HoA request length 4", "24 04 00 00 00 00", WireErrc::kBadOptionLength},
    {"IPv4 HoA request prefix 33", "24 06 84 00 0a 00 00 01", WireErrc::kBadValue},
    {"IPv4 HoA reply prefix 33", "25 06 00 84 0a 00 00 01", WireErrc::kBadValue},
    {"IPv4 default router length 5", "26 05 00 00 0a 00 00", WireErrc::kBadOptionLength},
    {"DHCP mode length 1", "27 01 01", WireErrc::kBadOptionLength},
    {"Flow Summary odd", "2c 03 00 01 00", WireErrc::kBadOptionLength},
    {"Flow Summary empty", "2c 00", WireErrc::kBadOptionLength},
    {"Flow Summary FID 0", "2c 02 00 00", WireErrc::kBadValue},
    {"FID shorter than 6", "2d 04 00 01 00 01", WireErrc::kBadOptionLength},
    {"FID 0", "2d 06 00 00 00 01 00 00", WireErrc::kBadValue},
    {"FID sub-option header cut", "2d 07 00 01 00 01 00 00 02", WireErrc::kOptionTruncated},
    {"FID sub-option past option", "2d 09 00 01 00 01 00 00 02 04 00 01 00", WireErrc::kOptionTruncated},
    {"FID BID ref odd", "2d 09 00 01 00 01 00 00 02 01 00", WireErrc::kBadOptionLength},
    {"FID BID ref 0", "2d 0a 00 01 00 01 00 00 02 02 00 00", WireErrc::kBadValue},
    {"FID two BID refs", "2d 0e 00 01 00 01 00 00 02 02 00 01 02 02 00 02", WireErrc::kDuplicateOption},
    {"FID action length 1", "2d 09 00 01 00 01 00 00 04 01 0b", WireErrc::kBadOptionLength},
    {"FID action 10", "2d 0a 00 01 00 01 00 00 04 02 00 0a", WireErrc::kBadValue},
    {"FID action 17", "2d 0a 00 01 00 01 00 00 04 02 00 11", WireErrc::kBadValue},
    {"FID target CoA length 10", "2d 12 00 01 00 01 00 00 05 0a 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"FID TS length 1", "2d 09 00 01 00 01 00 00 03 01 02", WireErrc::kBadOptionLength},
    {"FID TS format 0", "2d 0e 00 01 00 01 00 00 03 06 00 00 00 00 00 00", WireErrc::kBadValue},
    {"DMNP length 10", "37 0a 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"DMNP V=1 with IPv6 length", "37 12 80 20 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadOptionLength},
    {"DMNP IPv4 prefix 33", "37 06 80 21 0a 00 00 00", WireErrc::kBadValue},
    {"DMNP IPv6 prefix 129", "37 12 00 81 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", WireErrc::kBadValue},
    {"VSM shorter than 5", "13 04 00 00 28 af", WireErrc::kBadOptionLength},
    {"AUTH shorter than 5", "09 04 01 00 00 01", WireErrc::kBadOptionLength},
    {"AUTH subtype 3", "09 05 03 00 00 01 00", WireErrc::kBadValue},
    {"MESG-ID length 4", "0a 04 00 00 00 00", WireErrc::kBadOptionLength},
    {"Alternate CoA length 4", "03 04 00 00 00 00", WireErrc::kBadOptionLength},
    {"MN Group length 4", "32 04 01 00 00 01", WireErrc::kBadOptionLength},
    {"MAG multipath length 4", "3f 04 04 01 01 00", WireErrc::kBadOptionLength},
    {"MAG multipath BID 0", "3f 06 04 01 00 00 00 00", WireErrc::kBadValue},
    {"MAG multipath BID 255", "3f 06 04 01 ff 00 00 00", WireErrc::kBadValue},
    {"MAG multipath B and O", "3f 06 04 01 01 c0 00 00", WireErrc::kBadValue},
    {"MAG identifier length 1", "40 01 01", WireErrc::kBadOptionLength},
    {"MAG identifier subtype 0", "40 03 00 00 61", WireErrc::kBadValue},
};

class BadOptionTest : public ::testing::TestWithParam<BadOption> {};

// Truncation cases put the option last so it runs into the end of the message; the others
// go first and padding follows.
Bytes frame_with_option_last(const Bytes& opt) {
  Bytes mh = hex("3b 00 05 00 00 00 00 01 82 00 03 84");
  std::size_t pad = (8 - (mh.size() + opt.size()) % 8) % 8;
  if (pad == 1) mh.push_back(0);
  if (pad >= 2) {
    mh.push_back(1);
    mh.push_back(static_cast<std::uint8_t>(pad - 2));
    mh.insert(mh.end(), pad - 2, 0);
  }
  mh.insert(mh.end(), opt.begin(), opt.end());
  mh[1] = static_cast<std::uint8_t>(mh.size() / 8 - 1);
  return mh;
}

TEST_P(BadOptionTest, IsRejectedWithItsCodeAndAnOffsetInsideTheOption) {
  const auto& c = GetParam();
  Bytes opt = hex(c.hex);
  Bytes mh = c.code == WireErrc::kOptionTruncated ? frame_with_option_last(opt)
                                                   : pbu_with_raw_options(opt);
  auto r = decode_message(mh);
  ASSERT_FALSE(r.ok()) << c.name;
  EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().describe();
  EXPECT_GE(r.error().offset, 12u) << c.name;
  EXPECT_LT(r.error().offset, mh.size()) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Malformed, BadOptionTest, ::testing::ValuesIn(kBadOptions),
                         [](const ::testing::TestParamInfo<BadOption>& p) {
                           std::string n;
                           for (char ch : std::string(p.param.name)) n += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           return n;
                         });

TEST(Options, UnknownOptionIsSkippedAndKeptRaw) {
  Bytes mh = pbu_with_raw_options(hex("c8 03 01 02 03 17 02 00 05"));
  Message m = decode_ok(mh);
  ASSERT_EQ(m.options.size(), 2u);
  EXPECT_EQ(std::get<UnknownOption>(m.options[0]), (UnknownOption{200, hex("01 02 03")}));
  EXPECT_EQ(std::get<HandoffIndicatorOption>(m.options[1]).value, HandoffIndicator::kNotChanged);
}

TEST(Options, RawOptionWithAKnownTypeIsRefusedOnEncode) {
  EXPECT_FALSE(encode_message(pbu({UnknownOption{22, Bytes(18, 0)}})).ok());
  EXPECT_FALSE(encode_message(pbu({UnknownOption{1, {}}})).ok());
}

TEST(Options, MuhoTypeIsConfigurable) {
  CodecConfig c;
  c.muho_option_type = 200;
  Bytes b = round_trip(pbu({MuhoOption{pfx("2001:db8:5::/64")}, ExperimentalOption{hex("ab cd")}}), c);
  // Under the default config type 18 is MuHo, so a 2-octet type 18 option is malformed.
  EXPECT_EQ(decode_err(b).code, WireErrc::kBadOptionLength);
  // ...and type 200 is just an unknown option, kept raw.
  Bytes only_muho = round_trip(pbu({MuhoOption{pfx("2001:db8:5::/64")}}), c);
  Message d = decode_ok(only_muho);
  ASSERT_EQ(d.options.size(), 1u);
  EXPECT_EQ(std::get<UnknownOption>(d.options[0]).type, 200);
}

TEST(Options, GenericExperimentalOptionCannotBeSentWhileType18IsMuho) {
  EXPECT_FALSE(encode_message(pbu({ExperimentalOption{hex("01")}})).ok());
}

TEST(Options, HnpOffLinkFlagIsTheTopBit) {
  Bytes b = encode_ok(pbu({HnpOption{true, pfx("2001:db8:1:2::/64")}}));
  EXPECT_EQ(b[12], 22);  // offset 12 is already 8n+4
  EXPECT_EQ(b[14], 0x80);
  EXPECT_EQ(b[15], 64);
}

TEST(Options, MnLinkLayerIdCarriesIfpAndPrimaryFlag) {
  Bytes b = encode_ok(pbu({MnLinkLayerIdOption{7, true, hex("02 00 00 00 00 01")}}));
  EXPECT_EQ(b[12], 25);
  EXPECT_EQ(b[13], 8);
  EXPECT_EQ(b[14], 7);
  EXPECT_EQ(b[15], 0x80);
  EXPECT_FALSE(encode_message(pbu({MnLinkLayerIdOption{1, false, {}}})).ok());
}

TEST(Options, PrefixHostBitsAreANote) {
  // 2001:db8:1:1::1/64 has host bits set.
  Bytes opt = hex("16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 01");
  Bytes mh = pbu_with_raw_options(opt);  // at offset 12: aligned
  auto d = decode_message(mh);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->notes.size(), 1u);
  EXPECT_EQ(d->notes[0].code, WireErrc::kBadValue);
}

TEST(Options, MisalignedOptionIsANoteAndAnErrorWhenStrict) {
  // HNP at offset 12 (8n+4 wants 16... 12 mod 8 = 4, so put it at 13 after a Pad1).
  Bytes opt = hex("00 16 12 00 40 20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 00");
  Bytes mh = pbu_with_raw_options(opt);
  auto d = decode_message(mh);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->notes.size(), 1u);
  EXPECT_EQ(d->notes[0].code, WireErrc::kMisaligned);
  EXPECT_EQ(d->notes[0].offset, 13u);
  EXPECT_EQ(decode_err(mh, CodecConfig{18, true}).code, WireErrc::kMisaligned);
}

TEST(Options, NonZeroPaddingIsANote) {
  Bytes mh = pbu_with_raw_options(hex("01 02 00 07"));
  auto d = decode_message(mh);
  ASSERT_TRUE(d.ok());
  ASSERT_FALSE(d->notes.empty());
  EXPECT_EQ(d->notes[0].offset, 15u);
}

TEST(Options, NotesAreBounded) {
  // 100 PadN options with non-zero content: at most kMaxNotes notes are kept.
  Bytes opts;
  for (int i = 0; i < 100; ++i) {
    for (auto x : hex("01 02 ff ff")) opts.push_back(x);
  }
  auto d = decode_message(pbu_with_raw_options(opts));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->notes.size(), DecodedMessage::kMaxNotes);
}

TEST(Options, EncodeRejectsOutOfRangeValues) {
  const std::vector<MobilityOption> bad = {
      HnpOption{false, Ipv6Prefix{Ipv6Address{}, 129}},
      BindingIdOption{0, 0, false, 1, {}},
      BindingIdOption{1, 0, false, 128, {}},
      Ipv4HomeAddressRequestOption{33, {}},
      Ipv4HomeAddressReplyOption{0, 33, {}},
      FlowSummaryOption{{}},
      FlowSummaryOption{{0}},
      FlowIdOption{0, 1, 0, {}, {}, {}, {}, {}},
      FlowIdOption{1, 1, 0, {}, {0}, {}, {}, {}},
      FlowIdOption{1, 1, 0, {}, {}, {}, {}, {RawSubOption{3, {}}}},
      DmnpOption{Ipv4Prefix{{}, 33}},
      MagMultipathBindingOption{AccessTech::kWlan, 1, 0, false, false},
      MagMultipathBindingOption{AccessTech::kWlan, 1, 1, true, true},
      MnIdOption{static_cast<MnIdSubtype>(0), "x"},
      MnIdOption{MnIdSubtype::kEui48, "12345"},
      MnIdOption{MnIdSubtype::kNai, std::string(255, 'a')},
      AuthOption{3, 1, Bytes(12, 0)},
      VendorSpecificOption{1, 1, Bytes(251, 0)},
  };
  for (const auto& o : bad) {
    EXPECT_FALSE(encode_message(pbu({o})).ok()) << "option index " << o.index();
  }
}

TEST(Options, LongestValuesFitTheirLengthOctet) {
  round_trip(pbu({MnIdOption{MnIdSubtype::kNai, std::string(254, 'a')}}));
  round_trip(pbu({VendorSpecificOption{1, 1, Bytes(250, 7)}}));
  round_trip(pbu({UnknownOption{200, Bytes(255, 1)}}));
}

TEST(Options, EmptyMnIdentifierRoundTripsForRejectingPba) {
  round_trip(Message{BindingAck{BaStatus::kMissingMnIdOption, ba_flag::kP, 1, Lifetime{}},
                     {MnIdOption{MnIdSubtype::kNai, ""}}});
}

}  // namespace
}  // namespace pmipx::wire
