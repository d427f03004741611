// The seed 003 primary-HoA data plane run by BPF_PROG_TEST_RUN on crafted frames: LMA downlink
// (type 2 routing header, encap program), LMA uplink (primary HoA option, decap program), the
// MN's hoa_egress / hoa_ingress programs, and their loaders. Exact output bytes, verdicts and
// counters; every output's transport checksum is checked by an independent receiver view
// (RFC 8200 §8.1: the final destination from an RH2, the home address from the option), and
// the PROTOCOL.md §11.2 vector is reproduced bit for bit. Needs root and BPF: see
// bpf_test_env.cpp.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bpf_test_env.hpp"
#include "dataplane/bpf_forwarding.hpp"
#include "dataplane/mn_hoa_plane.hpp"
#include "wire/bytes.hpp"
#include "wire/hex.hpp"

namespace pmipx::dataplane {
namespace {

using namespace test;  // NOLINT: run(), kTcAct*, encapsulated()
using wire::Bytes;
using wire::Ipv6Address;
using wire::Ipv6Prefix;

constexpr std::uint8_t kHopByHop = 0, kTcp = 6, kUdp = 17, kRouting = 43, kIcmp6 = 58, kDstOpts = 60;
constexpr std::uint8_t kHoaType = 0x1e;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }
Ipv6Prefix pfx(const char* s) { return *Ipv6Prefix::parse(s); }

// Owner 7 has the primary prefix 2001:db8:1:1::/64 (IF1, behind MAG1) and 2001:db8:1:2::/64
// (IF2, behind MAG2, the highest IFP); owner 9 has its own primary prefix.
const Ipv6Address kCn = v6("2001:db8:c::1");
const Ipv6Address kLmaa = v6("2001:db8:f::1");
const Ipv6Address kMag1 = v6("2001:db8:b1::1");
const Ipv6Address kMag2 = v6("2001:db8:b2::1");
const Ipv6Address kPrimaryHoa = v6("2001:db8:1:1::1");
const Ipv6Address kIfaceHoa = v6("2001:db8:1:2::1");
const Ipv6Address kOtherMnHoa = v6("2001:db8:9:1::5");
constexpr std::uint32_t kOwner = 7, kOtherOwner = 9;
constexpr int kLo = 1;  // BPF_PROG_TEST_RUN runs on the loopback of the test's namespace

// ---- packets ---------------------------------------------------------------------------------

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes addr_bytes(const Ipv6Address& a) { return Bytes(a.octets.begin(), a.octets.end()); }

// Internet checksum of the IPv6 pseudo-header and `l4` (RFC 8200 §8.1), written here rather
// than taken from src/wire so that the programs' outputs are judged independently.
std::uint16_t pseudo_sum(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t nh, const Bytes& l4) {
  std::uint64_t sum = 0;
  auto add = [&](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 2) sum += static_cast<std::uint64_t>(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
  };
  add(src.octets.data(), 16);
  add(dst.octets.data(), 16);
  sum += l4.size() >> 16;
  sum += l4.size() & 0xffff;
  sum += nh;
  add(l4.data(), l4.size());
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// UDP (40000 -> 5000), TCP SYN or ICMPv6 echo request (id 0x1234, seq 1) carrying `data`, with
// the checksum computed over `src` and `dst` (the home address and the final destination).
Bytes transport(std::uint8_t proto, const Ipv6Address& src, const Ipv6Address& dst, const Bytes& data) {
  Bytes l4;
  wire::ByteWriter w(l4);
  std::size_t at = 0;
  if (proto == kUdp) {
    w.be16(40000), w.be16(5000), w.be16(static_cast<std::uint16_t>(8 + data.size())), w.be16(0);
    at = 6;
  } else if (proto == kTcp) {
    w.be16(40000), w.be16(443), w.be32(1), w.be32(0), w.u8(0x50), w.u8(0x02), w.be16(65535), w.be16(0), w.be16(0);
    at = 16;
  } else {
    w.u8(128), w.u8(0), w.be16(0), w.be16(0x1234), w.be16(1);
    at = 2;
  }
  w.bytes(data);
  auto c = static_cast<std::uint16_t>(~pseudo_sum(src, dst, proto, l4));
  if (proto == kUdp && c == 0) c = 0xffff;
  wire::store_be16(l4.data() + at, c);
  return l4;
}

Bytes some_data(std::size_t n) {
  Bytes d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::uint8_t>(i * 11 + 3);
  return d;
}

// Ethernet + IPv6 (traffic class 0, flow label 0, hop limit 64) + `payload`.
Bytes frame(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t nh, const Bytes& payload) {
  Bytes out = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x86, 0xdd};
  wire::ByteWriter w(out);
  w.be32(0x60000000);
  w.be16(static_cast<std::uint16_t>(payload.size()));
  w.u8(nh);
  w.u8(64);
  w.bytes(addr_bytes(src));
  w.bytes(addr_bytes(dst));
  w.bytes(payload);
  return out;
}

// RFC 6275 §6.4 layout; other lengths pad the header with zeros.
Bytes rh2(std::uint8_t nh, const Ipv6Address& home, std::uint8_t segments_left = 1, std::uint8_t hdr_ext_len = 2) {
  Bytes h = {nh, hdr_ext_len, 2, segments_left, 0, 0, 0, 0};
  h = cat(h, addr_bytes(home));
  h.resize((hdr_ext_len + 1u) * 8u, 0);
  return h;
}

// DESIGN.md: NH, HdrExtLen 2, PadN(01 02 00 00), type, 16, the primary HoA.
Bytes hoa_dstopts(std::uint8_t nh, const Ipv6Address& hoa, std::uint8_t type = kHoaType) {
  return cat({nh, 2, 1, 2, 0, 0, type, 16}, addr_bytes(hoa));
}

Bytes inner_of(const Bytes& encapsulated_frame) {  // the Ethernet header + what follows the outer one
  Bytes out(encapsulated_frame.begin(), encapsulated_frame.begin() + 14);
  out.insert(out.end(), encapsulated_frame.begin() + 54, encapsulated_frame.end());
  return out;
}

// The receiver's view of a frame's transport checksum: walk the extension headers, take the
// source from a primary HoA option and the destination from a type 2 routing header that has
// segments left, then sum pseudo-header and transport header: 0xffff means correct.
::testing::AssertionResult checksum_ok(const Bytes& f, std::uint8_t hoa_type = kHoaType) {
  if (f.size() < 54) return ::testing::AssertionFailure() << "no IPv6 header";
  Ipv6Address src, dst;
  std::memcpy(src.octets.data(), f.data() + 22, 16);
  std::memcpy(dst.octets.data(), f.data() + 38, 16);
  std::size_t end = 54 + (static_cast<std::size_t>(f[18]) << 8 | f[19]);
  if (end > f.size()) return ::testing::AssertionFailure() << "payload length beyond the frame";
  std::uint8_t nh = f[20];
  std::size_t pos = 54;
  while (nh == kHopByHop || nh == kRouting || nh == kDstOpts) {
    if (pos + 8 > end) return ::testing::AssertionFailure() << "extension header cut short";
    std::size_t len = (f[pos + 1] + 1u) * 8u;
    if (nh == kRouting && f[pos + 2] == 2 && f[pos + 3] > 0) std::memcpy(dst.octets.data(), f.data() + pos + 8, 16);
    if (nh == kDstOpts) {
      for (std::size_t i = pos + 2; i < pos + len;) {
        if (f[i] == 0) {
          ++i;
          continue;
        }
        if (f[i] == hoa_type && f[i + 1] == 16) std::memcpy(src.octets.data(), f.data() + i + 2, 16);
        i += 2u + f[i + 1];
      }
    }
    nh = f[pos];
    pos += len;
  }
  Bytes l4(f.begin() + static_cast<std::ptrdiff_t>(pos), f.begin() + static_cast<std::ptrdiff_t>(end));
  std::uint16_t s = pseudo_sum(src, dst, nh, l4);
  if (s == 0xffff) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << fmt::format("checksum sum {:#06x} over {} -> {} (next header {})", s,
                                                      src.to_string(), dst.to_string(), nh);
}

std::uint32_t verified_insns(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof info;
  EXPECT_EQ(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
  return info.verified_insns;
}

#define EXPECT_FRAME(got, want) EXPECT_EQ(got, want) << "got" << hexdump(got) << "\nwant" << hexdump(want)

// ---- LMA ------------------------------------------------------------------------------------

class PrimaryHoaLma : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_BPF();
    dp_.emplace(BpfForwarding::Options{});
    dp().set_mode(Mode::kLma);
    dp().add_tunnel({1, kLmaa, kMag1});
    dp().add_tunnel({2, kLmaa, kMag2});
    // Downlink for the primary HoA goes to IF2 (highest IFP), rewritten to IF2's prefix.
    dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(2), false, true});
    dp().add_prefix({pfx("2001:db8:1:2::/64"), kOwner, Target::tunnel(2)});
    dp().add_prefix({pfx("2001:db8:9:1::/64"), kOtherOwner, Target::tunnel(1), false, true});
    dp().set_hoa_rewrite(kOwner, 2, pfx("2001:db8:1:2::/64"));
    dp().add_local_endpoint(kLmaa);
    dp().add_peer(kMag1, 1);
    dp().add_peer(kMag2, 2);
  }
  BpfForwarding& dp() { return *dp_; }
  int encap_fd() { return dp_->program_fd(Program::kEncap); }
  int decap_fd() { return dp_->program_fd(Program::kDecap); }
  std::uint64_t stat(pmipx_dp_stat s) { return dp_->stats()[s]; }

  std::optional<BpfForwarding> dp_;
};

TEST_F(PrimaryHoaLma, ReproducesTheProtocolRh2VectorBitForBit) {
  // PROTOCOL.md §11.2: CN -> HoA 2001:db8:1:1::1 sent to 2001:db8:a::99 (a /128 rewrite
  // replaces the whole address), ICMPv6 echo "ping" with its checksum over the HoA.
  dp().set_hoa_rewrite(kOwner, 2, pfx("2001:db8:a::99/128"));
  Bytes ping = transport(kIcmp6, kCn, kPrimaryHoa, Bytes{'p', 'i', 'n', 'g'});
  ASSERT_EQ(wire::to_hex(ping), "800033311234000170696e67");  // the vector's own checksum
  Bytes plain = frame(kCn, kPrimaryHoa, kIcmp6, ping);
  Bytes vector = *wire::parse_hex(
      "60 00 00 00 00 24 2b 40 20 01 0d b8 00 0c 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 0a 00 00 00 00 00 00 00 00 00 99"
      "3a 02 02 01 00 00 00 00"
      "20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 01"
      "80 00 33 31 12 34 00 01 70 69 6e 67");
  Bytes want = encapsulated(cat(Bytes(plain.begin(), plain.begin() + 14), vector), kLmaa, kMag2);
  RunResult r = run(encap_fd(), plain);
  ASSERT_EQ(r.verdict, kTcActOk);
  EXPECT_FRAME(r.out, want);
  EXPECT_TRUE(checksum_ok(inner_of(r.out)));
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), 1u);
  EXPECT_EQ(dp().tunnel_counters(2).tx_bytes, want.size() - 14);
}

TEST_F(PrimaryHoaLma, DownlinkKeepsTheInterfaceIdentifierAndEveryChecksum) {
  const Ipv6Address dst = v6("2001:db8:1:1:aaaa:bbbb:cccc:dddd");
  const Ipv6Address rewritten = v6("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  for (std::uint8_t proto : {kUdp, kTcp, kIcmp6}) {
    SCOPED_TRACE(fmt::format("next header {}", proto));
    Bytes l4 = transport(proto, kCn, dst, some_data(37));
    Bytes plain = frame(kCn, dst, proto, l4);
    Bytes want = encapsulated(frame(kCn, rewritten, kRouting, cat(rh2(proto, dst), l4)), kLmaa, kMag2);
    RunResult r = run(encap_fd(), plain);
    ASSERT_EQ(r.verdict, kTcActOk);
    EXPECT_FRAME(r.out, want);
    EXPECT_TRUE(checksum_ok(inner_of(r.out)));
    // The same transport header judged against the rewritten destination would be wrong:
    // the check above is not vacuous.
    Bytes no_rh2 = frame(kCn, rewritten, proto, l4);
    EXPECT_FALSE(checksum_ok(no_rh2));
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), 3u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_DONE), 3u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REFUSED), 0u);
}

TEST_F(PrimaryHoaLma, OnlyAPrimaryPrefixLeavingThroughATunnelWithARewriteChanges) {
  Bytes l4 = transport(kUdp, kCn, kPrimaryHoa, some_data(8));
  Bytes plain = frame(kCn, kPrimaryHoa, kUdp, l4);
  // The primary interface's tunnel has no rewrite: basic PMIPv6.
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(1), false, true});
  EXPECT_FRAME(run(encap_fd(), plain).out, encapsulated(plain, kLmaa, kMag1));
  // Tunnel 2 again, but the prefix is not flagged primary.
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(2)});
  EXPECT_FRAME(run(encap_fd(), plain).out, encapsulated(plain, kLmaa, kMag2));
  // IF2's own prefix: not primary.
  Bytes to_if2 = frame(kCn, kIfaceHoa, kUdp, transport(kUdp, kCn, kIfaceHoa, some_data(8)));
  EXPECT_FRAME(run(encap_fd(), to_if2).out, encapsulated(to_if2, kLmaa, kMag2));
  // Another MN's primary prefix through tunnel 2: that owner has no rewrite for it.
  dp().add_prefix({pfx("2001:db8:9:1::/64"), kOtherOwner, Target::tunnel(2), false, true});
  Bytes to_other = frame(kCn, kOtherMnHoa, kUdp, transport(kUdp, kCn, kOtherMnHoa, some_data(8)));
  EXPECT_FRAME(run(encap_fd(), to_other).out, encapsulated(to_other, kLmaa, kMag2));
  // Flagged again, then the rewrite goes away.
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(2), false, true});
  EXPECT_EQ(run(encap_fd(), plain).out,
            encapsulated(frame(kCn, kIfaceHoa, kRouting, cat(rh2(kUdp, kPrimaryHoa), l4)), kLmaa, kMag2));
  dp().remove_hoa_rewrite(kOwner, 2);
  EXPECT_FRAME(run(encap_fd(), plain).out, encapsulated(plain, kLmaa, kMag2));
  // MAG mode never rewrites (the flag is an LMA downlink notion).
  dp().set_hoa_rewrite(kOwner, 2, pfx("2001:db8:1:2::/64"));
  dp().set_mode(Mode::kMag);
  Bytes up = frame(kPrimaryHoa, kCn, kUdp, transport(kUdp, kPrimaryHoa, kCn, some_data(8)));
  EXPECT_FRAME(run(encap_fd(), up).out, encapsulated(up, kLmaa, kMag2));
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), 1u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_DONE), 7u);
}

TEST_F(PrimaryHoaLma, TheTunnelAfterTheGroupPickDecidesAndTheFlowCacheKeepsTheFlag) {
  dp().set_group({5, Distribution::kPerPacket, {{1, 1}, {2, 1}}});
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::group(5), false, true});
  Bytes l4 = transport(kTcp, kCn, kPrimaryHoa, some_data(20));
  Bytes plain = frame(kCn, kPrimaryHoa, kTcp, l4);
  Bytes via1 = encapsulated(plain, kLmaa, kMag1);
  Bytes via2 = encapsulated(frame(kCn, kIfaceHoa, kRouting, cat(rh2(kTcp, kPrimaryHoa), l4)), kLmaa, kMag2);
  for (int i = 0; i < 100; ++i) {
    RunResult r = run(encap_fd(), plain);
    ASSERT_EQ(r.verdict, kTcActOk);
    ASSERT_TRUE(r.out == via1 || r.out == via2) << hexdump(r.out);
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_CACHE_MISS), 1u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_CACHE_HIT), 99u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), dp().tunnel_counters(2).tx_packets);
  EXPECT_GT(dp().tunnel_counters(1).tx_packets, 10u);  // binomial(100, 1/2)
  EXPECT_GT(dp().tunnel_counters(2).tx_packets, 10u);
}

TEST_F(PrimaryHoaLma, HopByHopAndRoutingHeadersAreRefusedNotRewritten) {
  Bytes l4 = transport(kUdp, kCn, kPrimaryHoa, some_data(8));
  Bytes hbh = frame(kCn, kPrimaryHoa, kHopByHop, cat({kUdp, 0, 1, 4, 0, 0, 0, 0}, l4));
  Bytes rt0 = frame(kCn, kPrimaryHoa, kDstOpts,
                    cat(cat({kRouting, 0, 1, 4, 0, 0, 0, 0}, {kUdp, 0, 0, 0, 0, 0, 0, 0}), l4));  // routing type 0, SL 0
  Bytes has_rh2 = frame(kCn, kPrimaryHoa, kRouting, cat(rh2(kUdp, kPrimaryHoa), l4));
  Bytes long_chain;  // 7 Destination Options headers: beyond what the parser walks
  for (int i = 0; i < 7; ++i) long_chain = cat(long_chain, {i == 6 ? kUdp : kDstOpts, 0, 1, 4, 0, 0, 0, 0});
  Bytes deep = frame(kCn, kPrimaryHoa, kDstOpts, cat(long_chain, l4));
  for (const Bytes* in : {&hbh, &rt0, &has_rh2, &deep}) EXPECT_EQ(run(encap_fd(), *in).verdict, kTcActShot);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REFUSED), 4u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), 0u);
  // Through the primary interface's tunnel (no rewrite) they are ordinary packets.
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(1), false, true});
  for (const Bytes* in : {&hbh, &rt0, &has_rh2, &deep}) EXPECT_FRAME(run(encap_fd(), *in).out, encapsulated(*in, kLmaa, kMag1));
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REFUSED), 4u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_DONE), 4u);
}

TEST_F(PrimaryHoaLma, TruncatedDownlinkPacketsAreNeverRewritten) {
  Bytes full = frame(kCn, kPrimaryHoa, kUdp, transport(kUdp, kCn, kPrimaryHoa, some_data(30)));
  std::uint64_t short_runs = 0;
  for (std::size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE(fmt::format("{} of {} octets", len, full.size()));
    Bytes in(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    RunResult r = run(encap_fd(), in);
    if (len < 54) {
      if (r.err == EINVAL) continue;  // this kernel refuses short IPv6 frames before the program runs
      ASSERT_EQ(r.err, 0);
      ++short_runs;
      EXPECT_EQ(r.verdict, kTcActOk);
      EXPECT_EQ(r.out, in);
    } else {
      ASSERT_EQ(r.err, 0);
      EXPECT_EQ(r.verdict, kTcActShot);  // payload length beyond the frame: malformed
    }
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_TRUNCATED), short_runs);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_MALFORMED), full.size() - 54);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), 0u);
}

// ---- LMA uplink: the primary HoA option ------------------------------------------------------

// What IF2 sends for the primary HoA (checksum over the HoA), tunneled by MAG2.
Bytes uplink(const Ipv6Address& src, const Bytes& dstopts, const Bytes& l4) {
  return encapsulated(frame(src, kCn, kDstOpts, cat(dstopts, l4)), kMag2, kLmaa);
}

TEST_F(PrimaryHoaLma, UplinkRestoresThePrimaryHoaAndRemovesTheOption) {
  for (std::uint8_t proto : {kUdp, kTcp, kIcmp6}) {
    SCOPED_TRACE(fmt::format("next header {}", proto));
    Bytes l4 = transport(proto, kPrimaryHoa, kCn, some_data(29));
    Bytes in = uplink(kIfaceHoa, hoa_dstopts(proto, kPrimaryHoa), l4);
    EXPECT_TRUE(checksum_ok(inner_of(in)));  // as sent: the home address view
    Bytes want = frame(kPrimaryHoa, kCn, proto, l4);
    RunResult r = run(decap_fd(), in);
    ASSERT_EQ(r.verdict, kTcActOk);
    EXPECT_FRAME(r.out, want);
    EXPECT_TRUE(checksum_ok(r.out));
  }
  // Pad1s and a zero-length PadN around the option: still only padding, the header goes.
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(5));
  Bytes padded = cat({kUdp, 2, 0, 0, 1, 0, kHoaType, 16}, addr_bytes(kPrimaryHoa));
  RunResult r = run(decap_fd(), uplink(kIfaceHoa, padded, l4));
  ASSERT_EQ(r.verdict, kTcActOk);
  EXPECT_FRAME(r.out, frame(kPrimaryHoa, kCn, kUdp, l4));
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), 4u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_REJECTED), 0u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_DONE), 4u);
  EXPECT_EQ(dp().tunnel_counters(2).rx_packets, 4u);
}

TEST_F(PrimaryHoaLma, UplinkKeepsOtherOptionsAndPadsTheHoaOption) {
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(16));
  const Bytes other = {0x11, 6, 1, 2, 3, 4, 5, 6};  // unknown, "skip" action bits 00
  Bytes opts = cat(hoa_dstopts(kUdp, kPrimaryHoa), other);
  opts[1] = 3;  // 32 octets
  Bytes want_opts = cat(cat({kUdp, 3, 1, 2, 0, 0, 1, 16}, Bytes(16, 0)), other);
  RunResult r = run(decap_fd(), uplink(kIfaceHoa, opts, l4));
  ASSERT_EQ(r.verdict, kTcActOk);
  EXPECT_FRAME(r.out, frame(kPrimaryHoa, kCn, kDstOpts, cat(want_opts, l4)));
  EXPECT_TRUE(checksum_ok(r.out));
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), 1u);
}

TEST_F(PrimaryHoaLma, AForeignHoaClaimNeverPasses) {
  struct Case {
    const char* what;
    Ipv6Address src, hoa;
  };
  const Case cases[] = {
      {"another MN's primary HoA", kIfaceHoa, kOtherMnHoa},
      {"the MN's own prefix that is not primary", kIfaceHoa, v6("2001:db8:1:2::77")},
      {"a HoA outside every prefix", kIfaceHoa, v6("2001:db8:77::1")},
      {"a source outside every prefix", v6("2001:db8:77::2"), kPrimaryHoa},
      {"another MN claiming this MN's primary HoA", v6("2001:db8:9:1::9"), kPrimaryHoa},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Bytes l4 = transport(kUdp, c.hoa, kCn, some_data(8));
    EXPECT_EQ(run(decap_fd(), uplink(c.src, hoa_dstopts(kUdp, c.hoa), l4)).verdict, kTcActShot);
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_REJECTED), std::size(cases));
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), 0u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_DONE), 0u);
  EXPECT_EQ(dp().tunnel_counters(2).rx_packets, 0u);
}

TEST_F(PrimaryHoaLma, MalformedOptionsAreDropped) {
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(8));
  Bytes hoa = addr_bytes(kPrimaryHoa);
  Bytes short_len = cat(cat({kUdp, 1, kHoaType, 8}, Bytes(hoa.begin(), hoa.begin() + 8)), {1, 2, 0, 0});
  Bytes overrun = cat({kUdp, 2, 1, 2, 0, 0, kHoaType, 20}, hoa);
  Bytes twice = cat(cat(cat(cat({kUdp, 5, 1, 2, 0, 0, kHoaType, 16}, hoa), {1, 2, 0, 0}), {kHoaType, 16}), hoa);
  twice.resize(48, 0);  // two Pad1s
  Bytes beyond = hoa_dstopts(kUdp, kPrimaryHoa);
  beyond[1] = 10;  // 88 octets, more than the payload
  Bytes pad1s(32, 0);  // 30 Pad1: more options than the walk looks at
  pad1s[0] = kUdp, pad1s[1] = 3;
  for (const Bytes* opts : {&short_len, &overrun, &twice, &beyond, &pad1s}) {
    SCOPED_TRACE(hexdump(*opts));
    EXPECT_EQ(run(decap_fd(), uplink(kIfaceHoa, *opts, l4)).verdict, kTcActShot);
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_REJECTED), 5u);
  // Padding alone, within the bound: no claim, forwarded as it is.
  Bytes pads = {kUdp, 0, 1, 4, 0, 0, 0, 0};
  Bytes in = uplink(kIfaceHoa, pads, l4);
  EXPECT_FRAME(run(decap_fd(), in).out, inner_of(in));
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), 0u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_DONE), 1u);
}

TEST_F(PrimaryHoaLma, TheOptionTypeIsConfigurable) {
  EXPECT_EQ(dp().hoa_option_type(), kHoaType);
  dp().set_hoa_option_type(0x3e);
  EXPECT_EQ(dp().hoa_option_type(), 0x3e);
  EXPECT_EQ(dp().mode(), Mode::kLma);  // the rest of the configuration stays
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(8));
  Bytes old_type = uplink(kIfaceHoa, hoa_dstopts(kUdp, kPrimaryHoa), l4);
  EXPECT_FRAME(run(decap_fd(), old_type).out, inner_of(old_type));  // now just an unknown option
  RunResult r = run(decap_fd(), uplink(kIfaceHoa, hoa_dstopts(kUdp, kPrimaryHoa, 0x3e), l4));
  EXPECT_FRAME(r.out, frame(kPrimaryHoa, kCn, kUdp, l4));
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), 1u);
  EXPECT_THROW(dp().set_hoa_option_type(1), std::invalid_argument);
  dp().set_hoa_option_type(0);
  EXPECT_EQ(dp().hoa_option_type(), kHoaType);
}

// Every length of the inner packet, with both payload lengths made consistent, so that the
// option parser itself meets the cut: a cut header is dropped, a whole one honored.
TEST_F(PrimaryHoaLma, UplinkHeadersCutAtEveryLength) {
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(12));
  Bytes inner = frame(kIfaceHoa, kCn, kDstOpts, cat(hoa_dstopts(kUdp, kPrimaryHoa), l4));
  std::uint64_t rejected = 0, restored = 0;
  for (std::size_t len = 54; len <= inner.size(); ++len) {
    SCOPED_TRACE(fmt::format("inner frame of {} octets", len));
    Bytes cut(inner.begin(), inner.begin() + static_cast<std::ptrdiff_t>(len));
    wire::store_be16(cut.data() + 18, static_cast<std::uint16_t>(len - 54));
    RunResult r = run(decap_fd(), encapsulated(cut, kMag2, kLmaa));
    ASSERT_EQ(r.err, 0);
    if (len < 54 + 24) {
      EXPECT_EQ(r.verdict, kTcActShot);
      ++rejected;
    } else {
      Bytes rest(l4.begin(), l4.begin() + static_cast<std::ptrdiff_t>(len - 78));
      EXPECT_FRAME(r.out, frame(kPrimaryHoa, kCn, kUdp, rest));
      ++restored;
    }
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_REJECTED), rejected);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), restored);
  // And the whole tunnel frame cut short without fixing any length: never honored.
  Bytes full = encapsulated(inner, kMag2, kLmaa);
  for (std::size_t len = 94; len < full.size(); ++len) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_EQ(run(decap_fd(), cut).verdict, kTcActShot);
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), restored);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_MALFORMED), full.size() - 94);
}

TEST_F(PrimaryHoaLma, MagModeDecapsulatesTheOptionUntouched) {
  dp().set_mode(Mode::kMag);
  Bytes in = uplink(kIfaceHoa, hoa_dstopts(kUdp, kOtherMnHoa), transport(kUdp, kOtherMnHoa, kCn, some_data(8)));
  EXPECT_FRAME(run(decap_fd(), in).out, inner_of(in));
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_HOA_REJECTED) + stat(PMIPX_DP_STAT_DEC_HOA_RESTORED), 0u);
}

TEST_F(PrimaryHoaLma, RejectsArgumentsTheMapsCannotHold) {
  EXPECT_THROW(dp().set_hoa_rewrite(kOwner, 0, pfx("2001:db8:1:2::/64")), std::invalid_argument);
  EXPECT_THROW(dp().set_hoa_rewrite(kOwner, PMIPX_DP_MAX_TUNNELS, pfx("2001:db8:1:2::/64")), std::invalid_argument);
  Ipv6Prefix too_long = pfx("2001:db8:1:2::/64");
  too_long.length = 129;
  EXPECT_THROW(dp().set_hoa_rewrite(kOwner, 2, too_long), std::invalid_argument);
  try {
    dp().remove_hoa_rewrite(kOwner, 3);
    FAIL() << "removed a rewrite that was never set";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("pmx_hoa_rewrites (owner 7 tunnel 3)"), std::string::npos) << e.what();
  }
}

// ---- MN --------------------------------------------------------------------------------------

class PrimaryHoaMn : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_BPF();
    mn_.emplace(MnHoaPlane::Options{});
  }
  MnHoaPlane& mn() { return *mn_; }
  int egress_fd() { return mn_->program_fd(MnProgram::kEgress); }
  int ingress_fd() { return mn_->program_fd(MnProgram::kIngress); }
  std::uint64_t stat(pmipx_mn_stat s) { return mn_->stats()[s]; }

  std::optional<MnHoaPlane> mn_;
};

TEST_F(PrimaryHoaMn, EgressCarriesThePrimaryHoaInADestinationOption) {
  mn().set_egress(kLo, kPrimaryHoa, kIfaceHoa);
  for (std::uint8_t proto : {kUdp, kTcp, kIcmp6}) {
    SCOPED_TRACE(fmt::format("next header {}", proto));
    Bytes l4 = transport(proto, kPrimaryHoa, kCn, some_data(21));
    Bytes want = frame(kIfaceHoa, kCn, kDstOpts, cat(hoa_dstopts(proto, kPrimaryHoa), l4));
    RunResult r = run(egress_fd(), frame(kPrimaryHoa, kCn, proto, l4));
    ASSERT_EQ(r.verdict, kTcActOk);
    EXPECT_FRAME(r.out, want);
    EXPECT_TRUE(checksum_ok(r.out));
  }
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_INSERTED), 3u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_PACKETS), 3u);
}

TEST_F(PrimaryHoaMn, EgressLeavesEveryOtherPacketAlone) {
  mn().set_egress(kLo, kPrimaryHoa, kIfaceHoa);
  Bytes own = frame(kIfaceHoa, kCn, kUdp, transport(kUdp, kIfaceHoa, kCn, some_data(8)));
  Bytes stranger = frame(v6("2001:db8:5::5"), kCn, kUdp, transport(kUdp, v6("2001:db8:5::5"), kCn, some_data(8)));
  Bytes link_local = frame(kPrimaryHoa, v6("fe80::1"), kUdp, transport(kUdp, kPrimaryHoa, v6("fe80::1"), some_data(8)));
  for (const Bytes* in : {&own, &stranger, &link_local}) EXPECT_FRAME(run(egress_fd(), *in).out, *in);
  Bytes primary = frame(kPrimaryHoa, kCn, kUdp, transport(kUdp, kPrimaryHoa, kCn, some_data(8)));
  mn().set_egress(kLo + 1, kPrimaryHoa, kIfaceHoa);  // another interface
  mn().remove_egress(kLo);
  EXPECT_FRAME(run(egress_fd(), primary).out, primary);
  EXPECT_NO_THROW(mn().remove_egress(kLo));  // absent: fine
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_INSERTED), 0u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_PACKETS), 3u);  // the last one went out of an unconfigured link
  EXPECT_THROW(mn().set_egress(0, kPrimaryHoa, kIfaceHoa), std::invalid_argument);
}

TEST_F(PrimaryHoaMn, EgressDropsHopByHopAndTruncatedPackets) {
  mn().set_egress(kLo, kPrimaryHoa, kIfaceHoa);
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(8));
  EXPECT_EQ(run(egress_fd(), frame(kPrimaryHoa, kCn, kHopByHop, cat({kUdp, 0, 1, 4, 0, 0, 0, 0}, l4))).verdict,
            kTcActShot);
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_HOP_BY_HOP), 1u);
  Bytes full = frame(kPrimaryHoa, kCn, kUdp, l4);
  for (std::size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE(fmt::format("{} of {} octets", len, full.size()));
    Bytes in(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    RunResult r = run(egress_fd(), in);
    if (len < 54) {
      if (r.err == EINVAL) continue;
      ASSERT_EQ(r.err, 0);
      EXPECT_EQ(r.out, in);
    } else {
      EXPECT_EQ(r.verdict, kTcActShot);
    }
  }
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_MALFORMED), full.size() - 54);
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_INSERTED), 0u);
}

TEST_F(PrimaryHoaMn, EgressOptionTypeIsConfigurable) {
  mn().set_egress(kLo, kPrimaryHoa, kIfaceHoa);
  mn().set_option_type(0x3e);
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(8));
  EXPECT_FRAME(run(egress_fd(), frame(kPrimaryHoa, kCn, kUdp, l4)).out,
               frame(kIfaceHoa, kCn, kDstOpts, cat(hoa_dstopts(kUdp, kPrimaryHoa, 0x3e), l4)));
  EXPECT_THROW(mn().set_option_type(1), std::invalid_argument);
  mn().set_option_type(0);
  EXPECT_FRAME(run(egress_fd(), frame(kPrimaryHoa, kCn, kUdp, l4)).out,
               frame(kIfaceHoa, kCn, kDstOpts, cat(hoa_dstopts(kUdp, kPrimaryHoa), l4)));
}

TEST_F(PrimaryHoaMn, IngressDeliversTheProtocolVectorToTheHomeAddress) {
  mn().set_rh2_policy(kPrimaryHoa, {v6("2001:db8:a::99")});
  Bytes vector = *wire::parse_hex(
      "02 00 00 00 00 01 02 00 00 00 00 02 86 dd"
      "60 00 00 00 00 24 2b 40 20 01 0d b8 00 0c 00 00 00 00 00 00 00 00 00 01"
      "20 01 0d b8 00 0a 00 00 00 00 00 00 00 00 00 99"
      "3a 02 02 01 00 00 00 00"
      "20 01 0d b8 00 01 00 01 00 00 00 00 00 00 00 01"
      "80 00 33 31 12 34 00 01 70 69 6e 67");
  RunResult r = run(ingress_fd(), vector);
  ASSERT_EQ(r.verdict, kTcActOk);
  EXPECT_FRAME(r.out, frame(kCn, kPrimaryHoa, kIcmp6, transport(kIcmp6, kCn, kPrimaryHoa, Bytes{'p', 'i', 'n', 'g'})));
  EXPECT_TRUE(checksum_ok(r.out));
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_HONORED), 1u);
}

TEST_F(PrimaryHoaMn, IngressHonorsOnlyThePolicysRh2) {
  mn().set_rh2_policy(kPrimaryHoa, {kIfaceHoa, kPrimaryHoa});
  for (std::uint8_t proto : {kUdp, kTcp, kIcmp6}) {
    SCOPED_TRACE(fmt::format("next header {}", proto));
    Bytes l4 = transport(proto, kCn, kPrimaryHoa, some_data(19));
    RunResult r = run(ingress_fd(), frame(kCn, kIfaceHoa, kRouting, cat(rh2(proto, kPrimaryHoa), l4)));
    ASSERT_EQ(r.verdict, kTcActOk);
    EXPECT_FRAME(r.out, frame(kCn, kPrimaryHoa, proto, l4));
    EXPECT_TRUE(checksum_ok(r.out));
  }
  Bytes l4 = transport(kUdp, kCn, kPrimaryHoa, some_data(8));
  struct Case {
    const char* what;
    Bytes in;
    pmipx_mn_stat counted;
  };
  std::vector<Case> cases = {
      {"Segments Left 0", frame(kCn, kIfaceHoa, kRouting, cat(rh2(kUdp, kPrimaryHoa, 0), l4)),
       PMIPX_MN_STAT_ING_RH2_MALFORMED},
      {"Hdr Ext Len 4", frame(kCn, kIfaceHoa, kRouting, cat(rh2(kUdp, kPrimaryHoa, 1, 4), l4)),
       PMIPX_MN_STAT_ING_RH2_MALFORMED},
      {"not the primary HoA", frame(kCn, kIfaceHoa, kRouting, cat(rh2(kUdp, kOtherMnHoa), l4)),
       PMIPX_MN_STAT_ING_RH2_REFUSED},
      {"to an address that is not ours", frame(kCn, v6("2001:db8:1:2::99"), kRouting, cat(rh2(kUdp, kPrimaryHoa), l4)),
       PMIPX_MN_STAT_ING_RH2_REFUSED},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto before = stat(c.counted);
    EXPECT_EQ(run(ingress_fd(), c.in).verdict, kTcActShot);
    EXPECT_EQ(stat(c.counted), before + 1);
  }
  // No primary HoA: every RH2 is refused, the good one too.
  Bytes good = frame(kCn, kIfaceHoa, kRouting, cat(rh2(kUdp, kPrimaryHoa), l4));
  mn().set_rh2_policy(std::nullopt, {kIfaceHoa});
  EXPECT_EQ(run(ingress_fd(), good).verdict, kTcActShot);
  // A new primary HoA, a destination set that no longer holds IF2's address.
  mn().set_rh2_policy(kPrimaryHoa, {v6("2001:db8:1:3::1")});
  EXPECT_EQ(run(ingress_fd(), good).verdict, kTcActShot);
  mn().set_rh2_policy(kPrimaryHoa, {kIfaceHoa});
  EXPECT_EQ(run(ingress_fd(), good).verdict, kTcActOk);
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_HONORED), 4u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_MALFORMED), 2u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_REFUSED), 4u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_PACKETS), 10u);
  std::vector<Ipv6Address> too_many(PMIPX_MN_MAX_DESTINATIONS + 1);
  for (std::size_t i = 0; i < too_many.size(); ++i) {
    too_many[i].octets[14] = static_cast<std::uint8_t>(i >> 8);
    too_many[i].octets[15] = static_cast<std::uint8_t>(i);
  }
  EXPECT_THROW(mn().set_rh2_policy(kPrimaryHoa, too_many), std::invalid_argument);
}

TEST_F(PrimaryHoaMn, IngressLeavesPacketsWithoutAnRh2Alone) {
  Bytes l4 = transport(kUdp, kCn, kIfaceHoa, some_data(8));
  Bytes plain = frame(kCn, kIfaceHoa, kUdp, l4);
  Bytes rt0 = frame(kCn, kIfaceHoa, kRouting, cat({kUdp, 0, 0, 0, 0, 0, 0, 0}, l4));  // type 0, SL 0
  Bytes dstopts = frame(kCn, kIfaceHoa, kDstOpts, cat({kRouting, 0, 1, 4, 0, 0, 0, 0}, cat(rh2(kUdp, kPrimaryHoa), l4)));
  for (const Bytes* in : {&plain, &rt0, &dstopts}) {
    RunResult r = run(ingress_fd(), *in);  // no policy at all: still untouched
    EXPECT_EQ(r.verdict, kTcActOk);
    EXPECT_FRAME(r.out, *in);
  }
  auto s = mn().stats();
  EXPECT_EQ(s[PMIPX_MN_STAT_ING_PACKETS], 3u);
  EXPECT_EQ(s[PMIPX_MN_STAT_ING_RH2_HONORED] + s[PMIPX_MN_STAT_ING_RH2_MALFORMED] + s[PMIPX_MN_STAT_ING_RH2_REFUSED], 0u);
}

TEST_F(PrimaryHoaMn, IngressRh2CutAtEveryLength) {
  mn().set_rh2_policy(kPrimaryHoa, {kIfaceHoa});
  Bytes full = frame(kCn, kIfaceHoa, kRouting, cat(rh2(kUdp, kPrimaryHoa), transport(kUdp, kCn, kPrimaryHoa, some_data(8))));
  std::uint64_t untouched = 0;
  for (std::size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE(fmt::format("{} of {} octets", len, full.size()));
    Bytes in(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    RunResult r = run(ingress_fd(), in);
    if (r.err == EINVAL && len < 54) continue;
    ASSERT_EQ(r.err, 0);
    if (len < 58) {  // the routing type is not even there: the kernel's business
      EXPECT_EQ(r.verdict, kTcActOk);
      EXPECT_EQ(r.out, in);
      ++untouched;
    } else {
      EXPECT_EQ(r.verdict, kTcActShot);
    }
  }
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_MALFORMED), full.size() - 58);
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_HONORED), 0u);
  EXPECT_GE(untouched, 4u);
}

// ---- end to end: LMA -> MAG -> MN and back ------------------------------------------------------

TEST_F(PrimaryHoaMn, TheCnsPacketsArriveAsSentInBothDirections) {
  BpfForwarding lma({});
  lma.set_mode(Mode::kLma);
  lma.add_tunnel({2, kLmaa, kMag2});
  lma.add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(2), false, true});
  lma.add_prefix({pfx("2001:db8:1:2::/64"), kOwner, Target::tunnel(2)});
  lma.set_hoa_rewrite(kOwner, 2, pfx("2001:db8:1:2::/64"));
  lma.add_local_endpoint(kLmaa);
  lma.add_peer(kMag2, 2);
  BpfForwarding mag({});
  mag.set_mode(Mode::kMag);
  mag.add_tunnel({1, kMag2, kLmaa});
  mag.add_prefix({pfx("2001:db8:1:2::/64"), kOwner, Target::tunnel(1)});
  mag.add_local_endpoint(kMag2);
  mag.add_peer(kLmaa, 1);
  mn().set_egress(kLo, kPrimaryHoa, kIfaceHoa);
  mn().set_rh2_policy(kPrimaryHoa, {kIfaceHoa});

  for (std::uint8_t proto : {kUdp, kTcp, kIcmp6}) {
    SCOPED_TRACE(fmt::format("next header {}", proto));
    Bytes down = frame(kCn, kPrimaryHoa, proto, transport(proto, kCn, kPrimaryHoa, some_data(40)));
    RunResult at_lma = run(lma.program_fd(Program::kEncap), down);
    RunResult at_mag = run(mag.program_fd(Program::kDecap), at_lma.out);
    RunResult at_mn = run(ingress_fd(), at_mag.out);
    EXPECT_FRAME(at_mn.out, down);

    Bytes up = frame(kPrimaryHoa, kCn, proto, transport(proto, kPrimaryHoa, kCn, some_data(40)));
    RunResult from_mn = run(egress_fd(), up);
    RunResult from_mag = run(mag.program_fd(Program::kEncap), from_mn.out);
    EXPECT_EQ(from_mag.out, encapsulated(from_mn.out, kMag2, kLmaa));
    RunResult from_lma = run(lma.program_fd(Program::kDecap), from_mag.out);
    EXPECT_FRAME(from_lma.out, up);
  }
  EXPECT_EQ(lma.stats()[PMIPX_DP_STAT_ENC_HOA_REWRITTEN], 3u);
  EXPECT_EQ(lma.stats()[PMIPX_DP_STAT_DEC_HOA_RESTORED], 3u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_ING_RH2_HONORED), 3u);
  EXPECT_EQ(stat(PMIPX_MN_STAT_EGR_INSERTED), 3u);
}

// ---- loaders ---------------------------------------------------------------------------------

TEST(PrimaryHoaLoader, AbiAndCounterNames) {
  EXPECT_EQ(MnHoaPlane::abi_mismatches(), std::vector<std::string>{});
  EXPECT_EQ(BpfForwarding::abi_mismatches(), std::vector<std::string>{});
  std::set<std::string> names;
  for (int i = 0; i < PMIPX_MN_STAT_MAX; ++i) names.insert(mn_stat_name(static_cast<pmipx_mn_stat>(i)));
  EXPECT_EQ(names.size(), static_cast<std::size_t>(PMIPX_MN_STAT_MAX));
  EXPECT_EQ(names.count("unknown"), 0u);
  names.clear();
  for (int i = 0; i < PMIPX_DP_STAT_MAX; ++i) names.insert(stat_name(static_cast<pmipx_dp_stat>(i)));
  EXPECT_EQ(names.size(), static_cast<std::size_t>(PMIPX_DP_STAT_MAX));
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_STREQ(stat_name(PMIPX_DP_STAT_ENC_HOA_REWRITTEN), "encap_hoa_rewritten");
  EXPECT_STREQ(stat_name(PMIPX_DP_STAT_DEC_HOA_REJECTED), "decap_hoa_rejected");
}

TEST(PrimaryHoaLoader, VerifierInstructionCounts) {
  SKIP_WITHOUT_BPF();
  BpfForwarding dp({});
  MnHoaPlane mn({});
  // Budgets with some headroom over what this kernel (6.18) processes today: encap was 29.5k
  // before the primary-HoA rewrite and is 32.2k with it (see pmx_rewrite_primary_hoa).
  struct Prog {
    const char* name;
    int fd;
    std::uint32_t budget;
  };
  const Prog progs[] = {
      {"encap", dp.program_fd(Program::kEncap), 45000},
      {"decap", dp.program_fd(Program::kDecap), 20000},
      {"hoa_egress", mn.program_fd(MnProgram::kEgress), 5000},
      {"hoa_ingress", mn.program_fd(MnProgram::kIngress), 5000},
  };
  for (const auto& p : progs) {
    std::uint32_t n = verified_insns(p.fd);
    std::cout << fmt::format("[ verifier ] {}: {} instructions processed\n", p.name, n);
    ::testing::Test::RecordProperty(std::string("verified_insns_") + p.name, static_cast<int>(n));
    EXPECT_GT(n, 0u);
    EXPECT_LT(n, p.budget) << p.name << ": the verifier's work grew; look at state pruning first";
  }
}

TEST(PrimaryHoaLoader, MnMapsArePinnedAndReused) {
  SKIP_WITHOUT_BPF();
  std::string dir = bpffs() + "/mn";
  Bytes l4 = transport(kUdp, kPrimaryHoa, kCn, some_data(8));
  Bytes in = frame(kPrimaryHoa, kCn, kUdp, l4);
  Bytes want = frame(kIfaceHoa, kCn, kDstOpts, cat(hoa_dstopts(kUdp, kPrimaryHoa), l4));
  {
    MnHoaPlane first({dir});
    EXPECT_FALSE(first.reused_pinned_maps());
    first.set_egress(kLo, kPrimaryHoa, kIfaceHoa);
    EXPECT_FRAME(run(first.program_fd(MnProgram::kEgress), in).out, want);
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/mnx_egress"));
  MnHoaPlane second({dir});
  EXPECT_TRUE(second.reused_pinned_maps());
  EXPECT_FRAME(run(second.program_fd(MnProgram::kEgress), in).out, want);
  EXPECT_EQ(second.stats()[PMIPX_MN_STAT_EGR_INSERTED], 2u);
  // The tunnel object can share the directory: its map names differ.
  BpfForwarding tunnels({dir});
  EXPECT_FALSE(tunnels.reused_pinned_maps());
}

TEST(PrimaryHoaLoader, MnProgramsAttachBesideTheTunnelPrograms) {
  SKIP_WITHOUT_BPF();
  BpfForwarding tunnels({});
  MnHoaPlane mn({});
  tunnels.attach_encap(kLo);
  mn.attach_egress(kLo);
  mn.attach_ingress(kLo);
  EXPECT_EQ(tc_program_id(kLo, true, 0x5050), program_id(tunnels.program_fd(Program::kEncap)));
  EXPECT_EQ(tc_program_id(kLo, true, 0x5051), program_id(mn.program_fd(MnProgram::kEgress)));
  EXPECT_EQ(tc_program_id(kLo, false, 0x5051), program_id(mn.program_fd(MnProgram::kIngress)));
  MnHoaPlane restarted({});
  restarted.attach_egress(kLo);
  EXPECT_EQ(tc_program_id(kLo, true, 0x5051), program_id(restarted.program_fd(MnProgram::kEgress)));
  restarted.detach_all();
  EXPECT_EQ(tc_program_id(kLo, true, 0x5051), 0u);
  EXPECT_EQ(tc_program_id(kLo, true, 0x5050), program_id(tunnels.program_fd(Program::kEncap)));
  EXPECT_NO_THROW(mn.detach_all());  // egress already gone: fine; ingress removed
  EXPECT_EQ(tc_program_id(kLo, false, 0x5051), 0u);
  tunnels.detach_all();
  EXPECT_THROW(mn.attach_egress(12345), std::system_error);
}

}  // namespace
}  // namespace pmipx::dataplane
