// `pmipx decode` over captures made here: clean messages, a bad checksum, a malformed option,
// a non-MH packet, text and JSON output, exit codes.
#include "app/decode_command.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "io/pcap_file.hpp"
#include "wire/checksum.hpp"
#include "wire/codec.hpp"
#include "wire/ipv6_packet.hpp"
#include "wire/print.hpp"

namespace pmipx::app {
namespace {
using namespace wire;

const Ipv6Address kMag = *Ipv6Address::parse("2001:db8:a::1");
const Ipv6Address kLma = *Ipv6Address::parse("2001:db8:b::1");

Bytes ip_packet(const Bytes& mh, std::uint8_t nh = kIpProtoMh) {
  Bytes p;
  encode_ipv6_header({0, 0, static_cast<std::uint16_t>(mh.size()), nh, 64, kMag, kLma}, p);
  p.insert(p.end(), mh.begin(), mh.end());
  return p;
}

const Bytes kHnpHead = {0x16, 0x12};

Bytes good_pbu() {
  Message m{BindingUpdate{1, bu_flag::kA | bu_flag::kP, Lifetime{900}},
            {MnIdOption{MnIdSubtype::kNai, "mn1@example.com"}, HnpOption{},
             HandoffIndicatorOption{HandoffIndicator::kNewInterface}, AccessTechTypeOption{AccessTech::kWlan}}};
  Bytes mh = *encode_message(m);
  set_mh_checksum(kMag, kLma, mh);
  return mh;
}

class DecodeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("pmipx-decode-test-" + std::to_string(::getpid()) + ".pcap");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void write(const std::vector<Bytes>& packets) {
    io::PcapWriter w(path_.string());
    std::uint64_t t = 1'700'000'000'000'000;
    for (const auto& p : packets) w.write(p, t++);
  }

  int run(bool json) {
    DecodeOptions o;
    o.pcap_path = path_.string();
    o.json = json;
    out_.str("");
    err_.str("");
    return run_decode(o, out_, err_);
  }

  std::filesystem::path path_;
  std::ostringstream out_, err_;
};

TEST_F(DecodeCommand, CleanCaptureExitsZeroAndPrintsEveryMessage) {
  write({ip_packet(good_pbu()), ip_packet(good_pbu())});
  EXPECT_EQ(run(false), 0);
  std::string text = out_.str();
  EXPECT_NE(text.find("frame 1 src=2001:db8:a::1 dst=2001:db8:b::1 checksum=ok"), std::string::npos) << text;
  EXPECT_NE(text.find("frame 2 "), std::string::npos);
  EXPECT_NE(text.find("PBU mh_type=5"), std::string::npos);
  EXPECT_NE(text.find("2 mobility header message(s), 0 error(s), 0 other packet(s)"), std::string::npos);
  EXPECT_TRUE(err_.str().empty());
}

TEST_F(DecodeCommand, BadInputNamesFrameAndOffsetAndExitsNonZero) {
  Bytes bad_csum = good_pbu();
  bad_csum[4] ^= 0xff;
  Bytes bad_option = good_pbu();
  auto hnp = std::search(bad_option.begin(), bad_option.end(), kHnpHead.begin(), kHnpHead.end());
  ASSERT_NE(hnp, bad_option.end());
  *(hnp + 1) = 17;  // HNP length must be 18
  set_mh_checksum(kMag, kLma, bad_option);
  Bytes udp(8, 0);
  write({ip_packet(good_pbu()), ip_packet(bad_csum), ip_packet(bad_option), ip_packet(udp, 17)});
  EXPECT_EQ(run(false), 1);
  std::string err = err_.str();
  EXPECT_NE(err.find("frame 2: bad checksum at offset 44"), std::string::npos) << err;
  auto hnp_offset = 40 + static_cast<std::size_t>(hnp - bad_option.begin()) + 1;
  EXPECT_NE(err.find(fmt::format("frame 3: bad option length at offset {}", hnp_offset)), std::string::npos) << err;
  EXPECT_NE(out_.str().find("1 mobility header message(s), 2 error(s), 1 other packet(s)"), std::string::npos)
      << out_.str();
}

TEST_F(DecodeCommand, JsonHasTheSameContent) {
  Bytes bad_csum = good_pbu();
  bad_csum[4] ^= 0xff;
  write({ip_packet(good_pbu()), ip_packet(bad_csum)});
  EXPECT_EQ(run(true), 1);
  auto doc = Json::parse(out_.str());
  ASSERT_EQ(doc["frames"].size(), 2u);
  EXPECT_EQ(doc["frames"][0]["frame"], 1);
  EXPECT_EQ(doc["frames"][0]["checksum"], "ok");
  EXPECT_EQ(doc["frames"][0]["message"]["message"], "PBU");
  EXPECT_EQ(doc["frames"][0]["message"]["options"][0]["identifier"], "mn1@example.com");
  EXPECT_EQ(doc["frames"][1]["error"]["error"], "bad checksum");
  EXPECT_EQ(doc["frames"][1]["error"]["offset"], 44);
  EXPECT_EQ(doc["summary"]["messages"], 1);
  EXPECT_EQ(doc["summary"]["errors"], 1);
}

TEST_F(DecodeCommand, MissingOrGarbageFileIsAClearError) {
  DecodeOptions o;
  o.pcap_path = "/nonexistent/capture.pcap";
  EXPECT_EQ(run_decode(o, out_, err_), 2);
  EXPECT_NE(err_.str().find("cannot read capture /nonexistent/capture.pcap"), std::string::npos);
}

TEST(DecodeHex, BareMhWithAddressesVerifiesChecksum) {
  std::ostringstream out, err;
  DecodeOptions o;
  o.hex = "3b 01 0d 00 5a d5 00 00 00 00 00 07 01 02 00 00";
  o.src = "2001:db8:a::1";
  o.dst = "2001:db8:b::1";
  EXPECT_EQ(run_decode(o, out, err), 0);
  EXPECT_NE(out.str().find("HB mh_type=13 (Heartbeat) response=false unsolicited=false sequence=7"), std::string::npos)
      << out.str();
  o.dst = "2001:db8:b::2";
  EXPECT_EQ(run_decode(o, out, err), 1);
}

TEST(DecodeHex, IpPacketAndBadHex) {
  std::ostringstream out, err;
  DecodeOptions o;
  Bytes p = ip_packet(good_pbu());
  for (auto b : p) o.hex += fmt::format("{:02x}", b);
  EXPECT_EQ(run_decode(o, out, err), 0);
  EXPECT_NE(out.str().find("checksum=ok"), std::string::npos);
  o.hex = "3b 0";
  EXPECT_EQ(run_decode(o, out, err), 2);
  o.hex = "zz";
  EXPECT_EQ(run_decode(o, out, err), 2);
}

}  // namespace
}  // namespace pmipx::app
