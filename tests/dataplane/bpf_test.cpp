// The tc programs of src/dataplane/bpf run by BPF_PROG_TEST_RUN on crafted Ethernet + IPv6
// frames, configured through BpfForwarding: exact output bytes, verdicts and counters
// (STYLE.md 14: fixture tables {description, input, TC_ACT_*, output}). Also the loader:
// ABI agreement, pinned maps reused across a "restart", tc attach/replace/detach.
// Needs root and BPF: see bpf_test_env.cpp.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cstdlib>
#include <functional>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>

#include <fmt/format.h>

#include "bpf_test_env.hpp"
#include "dataplane/bpf_forwarding.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv6_packet.hpp"

namespace pmipx::dataplane {
namespace {

using wire::Bytes;
using wire::Ipv6Address;
using wire::Ipv6Prefix;
using wire::Ipv6TrafficSelector;

using namespace test;  // NOLINT: run(), kTcAct*, encapsulated()
constexpr std::uint8_t kTcp = 6, kUdp = 17, kIcmp6 = 58, kDstOpts = 60;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }
Ipv6Prefix pfx(const char* s) { return *Ipv6Prefix::parse(s); }

// ---- crafted packets ----------------------------------------------------------------------

struct Flow {
  Ipv6Address src = v6("2001:db8:c::1"), dst = v6("2001:db8:1:1::10");
  std::uint8_t proto = kUdp;
  std::uint16_t sport = 40000, dport = 5000;
  std::uint8_t tclass = 0;
  std::uint32_t flow_label = 0;
  std::size_t payload = 16;
  bool dstopts = false;  // a Destination Options header (PadN) before the transport
};

// Ethernet + IPv6 [+ DstOpts] + UDP/TCP/ICMPv6 echo, with a valid transport checksum.
Bytes frame(const Flow& f) {
  Bytes l4;
  wire::ByteWriter w(l4);
  std::size_t csum_at = 0;
  if (f.proto == kUdp) {
    w.be16(f.sport), w.be16(f.dport), w.be16(static_cast<std::uint16_t>(8 + f.payload)), w.be16(0);
    csum_at = 6;
  } else if (f.proto == kTcp) {
    w.be16(f.sport), w.be16(f.dport), w.be32(1), w.be32(0), w.u8(0x50), w.u8(0x02), w.be16(65535), w.be16(0), w.be16(0);
    csum_at = 16;
  } else {
    w.u8(128), w.u8(0), w.be16(0), w.be16(0x1234), w.be16(1);  // echo request
    csum_at = 2;
  }
  for (std::size_t i = 0; i < f.payload; ++i) l4.push_back(static_cast<std::uint8_t>(i * 7 + 1));
  std::uint16_t c = wire::upper_layer_checksum(f.src, f.dst, f.proto, l4, csum_at);
  wire::store_be16(l4.data() + csum_at, c);

  Bytes ext;
  if (f.dstopts) ext = {f.proto, 0, 1, 4, 0, 0, 0, 0};  // NH, len 0, PadN(4)
  Bytes out = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x86, 0xdd};
  wire::Ipv6Header h;
  h.traffic_class = f.tclass;
  h.flow_label = f.flow_label;
  h.payload_length = static_cast<std::uint16_t>(ext.size() + l4.size());
  h.next_header = f.dstopts ? kDstOpts : f.proto;
  h.hop_limit = 63;
  h.src = f.src;
  h.dst = f.dst;
  wire::encode_ipv6_header(h, out);
  out.insert(out.end(), ext.begin(), ext.end());
  out.insert(out.end(), l4.begin(), l4.end());
  return out;
}

// The C view of a flow (CN -> MN orientation), for computing the expected flow hash.
pmipx_dp_packet c_packet(const Flow& f) {
  pmipx_dp_packet p{};
  std::memcpy(p.src, f.src.octets.data(), 16);
  std::memcpy(p.dst, f.dst.octets.data(), 16);
  p.src_port = f.sport;
  p.dst_port = f.dport;
  p.next_header = f.proto;
  p.flow_label = f.flow_label;
  p.traffic_class = f.tclass;
  p.flags = PMIPX_DP_PKT_PORTS;
  return p;
}

// ---- fixtures -------------------------------------------------------------------------------

const Ipv6Address kLmaa = v6("2001:db8:a::1");
const Ipv6Address kMag1 = v6("2001:db8:b1::1");
const Ipv6Address kMag2 = v6("2001:db8:b2::1");
const Ipv6Address kCn = v6("2001:db8:c::1");
const Ipv6Address kMn = v6("2001:db8:1:1::10");  // in the MN prefix 2001:db8:1:1::/64, owner 7
constexpr std::uint32_t kOwner = 7;
constexpr std::uint32_t kRedirectIfindex = 99;

Ipv6TrafficSelector udp_dst_port(std::uint16_t port) {
  Ipv6TrafficSelector ts;
  ts.dst_port = wire::Bound<std::uint16_t>{port, std::nullopt};
  ts.next_header = wire::Bound<std::uint8_t>{kUdp, std::nullopt};
  return ts;
}

class DataPlane : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_BPF();
    dp_.emplace(BpfForwarding::Options{});
  }
  BpfForwarding& dp() { return *dp_; }
  int encap_fd() { return dp_->program_fd(Program::kEncap); }
  int decap_fd() { return dp_->program_fd(Program::kDecap); }
  std::uint64_t stat(pmipx_dp_stat s) { return dp_->stats()[s]; }

  // LMA: tunnels to MAG1 (1), MAG2 (2), MAG2 on another link (3, redirect); the MN prefix
  // defaults to tunnel 1; rules: UDP to 5001 -> tunnel 2, UDP to 6000 dropped, CN port 7000
  // -> tunnel 3.
  void lma_setup() {
    dp().set_mode(Mode::kLma);
    dp().add_tunnel({1, kLmaa, kMag1});
    dp().add_tunnel({2, kLmaa, kMag2});
    dp().add_tunnel({3, kLmaa, kMag2, kRedirectIfindex});
    dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(1)});
    dp().set_flow_rule(kOwner, {10, 10, udp_dst_port(5001), RuleAction::kForward, Target::tunnel(2)});
    dp().set_flow_rule(kOwner, {20, 20, udp_dst_port(6000), RuleAction::kDrop, {}});
    Ipv6TrafficSelector cn7000;
    cn7000.src_port = wire::Bound<std::uint16_t>{7000, std::nullopt};
    dp().set_flow_rule(kOwner, {30, 30, cn7000, RuleAction::kForward, Target::tunnel(3)});
  }

  std::optional<BpfForwarding> dp_;
};


// ---- loader -----------------------------------------------------------------------------

TEST(BpfAbi, ObjectAndCppAgreeOnEveryStruct) {
  // Reads the BTF of the embedded object: no privilege needed.
  EXPECT_EQ(BpfForwarding::abi_mismatches(), std::vector<std::string>{});
}

TEST_F(DataPlane, VerifierAcceptsBothPrograms) {
  EXPECT_GE(encap_fd(), 0);
  EXPECT_GE(decap_fd(), 0);
}

TEST_F(DataPlane, RejectsArgumentsTheMapsCannotHold) {
  EXPECT_THROW(dp().add_tunnel({0, kLmaa, kMag1}), std::invalid_argument);
  EXPECT_THROW(dp().add_tunnel({PMIPX_DP_MAX_TUNNELS, kLmaa, kMag1}), std::invalid_argument);
  EXPECT_THROW(dp().set_group({5, Distribution::kPerFlow, {}}), std::invalid_argument);
  dp().set_flow_rule(kOwner, {1, 10, {}, RuleAction::kForward, Target::tunnel(1)});
  try {
    dp().set_flow_rule(kOwner, {2, 10, {}, RuleAction::kForward, Target::tunnel(1)});
    FAIL() << "duplicate priority accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("priority 10 is used by rule 1"), std::string::npos) << e.what();
  }
  for (std::uint32_t i = 2; i <= PMIPX_DP_MAX_RULES_PER_OWNER; ++i)
    dp().set_flow_rule(kOwner, {i, static_cast<std::uint16_t>(100 + i), {}, RuleAction::kForward, {}});
  EXPECT_THROW(dp().set_flow_rule(kOwner, {99, 999, {}, RuleAction::kForward, {}}), std::invalid_argument);
  try {
    dp().remove_flow_rule(kOwner, 4242);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("flow rule 4242"), std::string::npos);
  }
  try {
    dp().remove_tunnel(77);
    FAIL();
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("pmx_tunnels"), std::string::npos) << e.what();
  }
}

TEST_F(DataPlane, FlowRulesAreKeptInPriorityOrderAcrossBankFlips) {
  dp().set_flow_rule(kOwner, {3, 30, {}, RuleAction::kForward, {}});
  dp().set_flow_rule(kOwner, {1, 10, {}, RuleAction::kForward, {}});
  dp().set_flow_rule(kOwner, {2, 20, {}, RuleAction::kDrop, {}});
  dp().set_flow_rule(kOwner, {3, 5, {}, RuleAction::kForward, {}});  // replaced, moves first
  auto ids = [&] {
    std::vector<std::uint32_t> v;
    for (const auto& r : dp().flow_rules(kOwner)) v.push_back(r.rule_id);
    return v;
  };
  EXPECT_EQ(ids(), (std::vector<std::uint32_t>{3, 1, 2}));
  dp().remove_flow_rule(kOwner, 1);
  EXPECT_EQ(ids(), (std::vector<std::uint32_t>{3, 2}));
  dp().clear_flow_rules(kOwner);
  EXPECT_EQ(ids(), std::vector<std::uint32_t>{});
}

// ---- encap, LMA mode (table) --------------------------------------------------------------

struct EncapCase {
  const char* description;
  Flow flow;
  int verdict;
  std::optional<std::pair<Ipv6Address, Ipv6Address>> tunnel;  // expected outer src/dst; none: untouched
};

Flow with(std::function<void(Flow&)> f) {
  Flow x;
  f(x);
  return x;
}

TEST_F(DataPlane, EncapLmaModeTable) {
  lma_setup();
  dp().add_prefix({pfx("fe80::/10"), 8, Target::tunnel(1)});  // even a matching prefix: stays local
  dp().add_prefix({pfx("ff00::/8"), 8, Target::tunnel(1)});
  const EncapCase cases[] = {
      {"UDP to the MN: prefix default, tunnel 1", Flow{}, kTcActOk, {{kLmaa, kMag1}}},
      {"TCP to the MN: prefix default", with([](Flow& f) { f.proto = kTcp; }), kTcActOk, {{kLmaa, kMag1}}},
      {"ICMPv6 echo to the MN: prefix default", with([](Flow& f) { f.proto = kIcmp6; }), kTcActOk, {{kLmaa, kMag1}}},
      {"UDP to port 5001: rule 10, tunnel 2", with([](Flow& f) { f.dport = 5001; }), kTcActOk, {{kLmaa, kMag2}}},
      {"TCP to port 5001: rule 10 is UDP only", with([](Flow& f) { f.proto = kTcp; f.dport = 5001; }), kTcActOk, {{kLmaa, kMag1}}},
      {"UDP to 5001 behind a Destination Options header: rule 10",
       with([](Flow& f) { f.dport = 5001; f.dstopts = true; }), kTcActOk, {{kLmaa, kMag2}}},
      {"UDP to port 6000: rule 20 drops", with([](Flow& f) { f.dport = 6000; }), kTcActShot, std::nullopt},
      {"from CN port 7000: rule 30, tunnel 3 on another link", with([](Flow& f) { f.sport = 7000; }), kTcActRedirect,
       {{kLmaa, kMag2}}},
      {"traffic class and flow label are copied to the outer header",
       with([](Flow& f) { f.tclass = 0xb9; f.flow_label = 0xabcde; }), kTcActOk, {{kLmaa, kMag1}}},
      {"a 1400-octet payload", with([](Flow& f) { f.payload = 1400; }), kTcActOk, {{kLmaa, kMag1}}},
      {"to another MN's prefix: no match, untouched", with([](Flow& f) { f.dst = v6("2001:db8:1:2::10"); }), kTcActOk,
       std::nullopt},
      {"link-local destination: untouched", with([](Flow& f) { f.dst = v6("fe80::10"); }), kTcActOk, std::nullopt},
      {"multicast destination (MLD/ND): untouched", with([](Flow& f) { f.dst = v6("ff02::1:ff00:10"); f.proto = kIcmp6; }),
       kTcActOk, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.description);
    Bytes in = frame(c.flow);
    RunResult r = run(encap_fd(), in);
    ASSERT_EQ(r.err, 0);
    EXPECT_EQ(r.verdict, c.verdict);
    if (c.verdict == kTcActShot) continue;
    Bytes want = c.tunnel ? encapsulated(in, c.tunnel->first, c.tunnel->second) : in;
    EXPECT_EQ(r.out, want) << "got" << hexdump(r.out) << "\nwant" << hexdump(want);
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_LOCAL_SCOPE), 2u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_NO_PREFIX), 1u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_RULE_DROP), 1u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_REDIRECTED), 1u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_DONE), 9u);
}

TEST_F(DataPlane, NonIpv6FramesAreNotTouched) {
  lma_setup();
  Bytes arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2, 0x08, 0x06};
  arp.resize(60, 0);
  RunResult r = run(encap_fd(), arp);
  EXPECT_EQ(r.verdict, kTcActOk);
  EXPECT_EQ(r.out, arp);
  r = run(decap_fd(), arp);
  EXPECT_EQ(r.verdict, kTcActOk);
  EXPECT_EQ(r.out, arp);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_PACKETS), 0u);
}

TEST_F(DataPlane, CountersCountPacketsAndBytesPerTunnelAndRule) {
  lma_setup();
  Bytes def = frame(Flow{});
  Bytes moved = frame(with([](Flow& f) { f.dport = 5001; }));
  Bytes dropped = frame(with([](Flow& f) { f.dport = 6000; }));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(run(encap_fd(), def).verdict, kTcActOk);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(run(encap_fd(), moved).verdict, kTcActOk);
  ASSERT_EQ(run(encap_fd(), dropped).verdict, kTcActShot);

  auto t1 = dp().tunnel_counters(1);
  EXPECT_EQ(t1.tx_packets, 3u);
  EXPECT_EQ(t1.tx_bytes, 3 * (def.size() - 14 + 40));  // outer packets
  auto t2 = dp().tunnel_counters(2);
  EXPECT_EQ(t2.tx_packets, 2u);
  EXPECT_EQ(t2.tx_bytes, 2 * (moved.size() - 14 + 40));
  EXPECT_EQ(dp().rule_counters(kOwner, 10).packets, 2u);
  EXPECT_EQ(dp().rule_counters(kOwner, 10).bytes, 2 * (moved.size() - 14));  // inner packets
  EXPECT_EQ(dp().rule_counters(kOwner, 20).packets, 1u);
  EXPECT_EQ(dp().rule_counters(kOwner, 30).packets, 0u);
  // One miss per flow, then the flow cache answers.
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_CACHE_MISS), 3u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_CACHE_HIT), 3u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_PACKETS), 6u);
}

TEST_F(DataPlane, RuleCountersFollowAMovedFlowAndRestartForANewOne) {
  lma_setup();
  Bytes moved = frame(with([](Flow& f) { f.dport = 5001; }));
  for (int i = 0; i < 2; ++i) ASSERT_EQ(run(encap_fd(), moved).verdict, kTcActOk);
  // The same flow (id 10) moved to another tunnel: its count goes on.
  dp().set_flow_rule(kOwner, {10, 10, udp_dst_port(5001), RuleAction::kForward, Target::tunnel(1)});
  EXPECT_EQ(dp().rule_counters(kOwner, 10).packets, 2u);
  ASSERT_EQ(run(encap_fd(), moved).verdict, kTcActOk);
  EXPECT_EQ(dp().rule_counters(kOwner, 10).packets, 3u);
  // Removed and added again: a new flow that happens to reuse the id.
  dp().remove_flow_rule(kOwner, 10);
  dp().set_flow_rule(kOwner, {10, 10, udp_dst_port(5001), RuleAction::kForward, Target::tunnel(2)});
  EXPECT_EQ(dp().rule_counters(kOwner, 10).packets, 0u);
}

TEST_F(DataPlane, AFlowMoveTakesEffectOnTheNextPacketDespiteTheCache) {
  lma_setup();
  Flow f = with([](Flow& x) { x.dport = 8080; });
  Bytes in = frame(f);
  Flow other = with([](Flow& x) { x.dport = 8081; });
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, kLmaa, kMag1));
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, kLmaa, kMag1));  // cached
  Ipv6TrafficSelector ts;
  ts.dst = wire::Bound<Ipv6Address>{kMn, std::nullopt};
  ts.dst_port = wire::Bound<std::uint16_t>{8080, std::nullopt};
  dp().set_flow_rule(kOwner, {40, 5, ts, RuleAction::kForward, Target::tunnel(2)});
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, kLmaa, kMag2));
  EXPECT_EQ(run(encap_fd(), frame(other)).out, encapsulated(frame(other), kLmaa, kMag1));  // stays put
  dp().remove_flow_rule(kOwner, 40);
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, kLmaa, kMag1));
  dp().add_tunnel({1, kLmaa, v6("2001:db8:b3::1")});  // proxy-CoA change of tunnel 1
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, kLmaa, v6("2001:db8:b3::1")));
}

TEST_F(DataPlane, PrefixDropAndMissingTunnelDrop) {
  lma_setup();
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(1), /*drop=*/true});
  EXPECT_EQ(run(encap_fd(), frame(with([](Flow& f) { f.dport = 5001; }))).verdict, kTcActShot);  // even rule 10's flow
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_PREFIX_DROP), 1u);
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(55)});
  EXPECT_EQ(run(encap_fd(), frame(Flow{})).verdict, kTcActShot);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_NO_TUNNEL), 1u);
  dp().remove_prefix(pfx("2001:db8:1:1::/64"));
  Bytes in = frame(Flow{});
  EXPECT_EQ(run(encap_fd(), in).out, in);
}

TEST_F(DataPlane, LongestPrefixWins) {
  lma_setup();
  dp().add_prefix({pfx("2001:db8:1::/48"), 9, Target::tunnel(2)});
  Bytes mine = frame(Flow{});
  Bytes other = frame(with([](Flow& f) { f.dst = v6("2001:db8:1:9::1"); }));
  EXPECT_EQ(run(encap_fd(), mine).out, encapsulated(mine, kLmaa, kMag1));
  EXPECT_EQ(run(encap_fd(), other).out, encapsulated(other, kLmaa, kMag2));
}

// ---- encap, MAG mode -----------------------------------------------------------------------

TEST_F(DataPlane, EncapMagModeKeysOnTheSourceAndSwapsSelectors) {
  dp().set_mode(Mode::kMag);
  EXPECT_EQ(dp().mode(), Mode::kMag);
  dp().add_tunnel({1, kMag1, kLmaa});
  dp().add_tunnel({2, v6("2001:db8:b1::2"), kLmaa});  // a second WAN path
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(1)});
  Ipv6TrafficSelector web;  // written CN -> MN: from the CN's port 443
  web.src_port = wire::Bound<std::uint16_t>{443, std::nullopt};
  dp().set_flow_rule(kOwner, {1, 1, web, RuleAction::kForward, Target::tunnel(2)});

  Flow up;  // MN -> CN
  up.src = kMn;
  up.dst = kCn;
  Bytes in = frame(up);
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, kMag1, kLmaa));
  up.dport = 443;  // to the CN's port 443: the rule, evaluated swapped
  in = frame(up);
  EXPECT_EQ(run(encap_fd(), in).out, encapsulated(in, v6("2001:db8:b1::2"), kLmaa));
  up.src = v6("2001:db8:99::1");  // not a registered MN prefix: never tunneled
  in = frame(up);
  EXPECT_EQ(run(encap_fd(), in).out, in);
  Flow to_mn;  // downlink through the MAG (destination in the prefix): not keyed on it
  in = frame(to_mn);
  EXPECT_EQ(run(encap_fd(), in).out, in);
}

// ---- distribution groups --------------------------------------------------------------------

TEST_F(DataPlane, PerFlowGroupPicksTheTunnelCppComputes) {
  lma_setup();
  TunnelGroup g{9, Distribution::kPerFlow, {{1, 1}, {2, 3}, {3, 0}}};
  dp().set_group(g);
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::group(9)});
  pmipx_dp_group cg{};
  cg.distribution = PMIPX_DP_DIST_PER_FLOW;
  cg.count = 3;
  cg.tunnel_id[0] = 1, cg.tunnel_id[1] = 2, cg.tunnel_id[2] = 3;
  cg.weight[0] = 1, cg.weight[1] = 3, cg.weight[2] = 0;
  std::map<std::uint32_t, int> seen;
  for (std::uint16_t port = 20000; port < 20064; ++port) {
    Flow f = with([&](Flow& x) { x.sport = port; x.flow_label = port * 13u; });
    auto cp = c_packet(f);
    std::uint32_t want = pmipx_group_pick(&cg, pmipx_flow_hash(&cp, 0));
    Bytes in = frame(f);
    RunResult r = run(encap_fd(), in);
    ASSERT_EQ(r.verdict, kTcActOk);
    EXPECT_EQ(r.out, encapsulated(in, kLmaa, want == 1 ? kMag1 : kMag2)) << "port " << port;
    EXPECT_EQ(run(encap_fd(), in).out, r.out) << "a flow never changes path";
    seen[want]++;
  }
  EXPECT_GT(seen[1], 0);
  EXPECT_GT(seen[2], seen[1]);
  EXPECT_EQ(seen.count(3), 0u);
}

TEST_F(DataPlane, PerPacketGroupSpreadsOneFlowByWeight) {
  lma_setup();
  dp().set_group({9, Distribution::kPerPacket, {{1, 1}, {2, 1}}});
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::group(9)});
  Bytes in = frame(Flow{});
  for (int i = 0; i < 200; ++i) ASSERT_EQ(run(encap_fd(), in).verdict, kTcActOk);
  EXPECT_GT(dp().tunnel_counters(1).tx_packets, 40u);  // binomial(200, 1/2): far from the bounds
  EXPECT_GT(dp().tunnel_counters(2).tx_packets, 40u);
  EXPECT_EQ(dp().tunnel_counters(1).tx_packets + dp().tunnel_counters(2).tx_packets, 200u);
  dp().set_group({9, Distribution::kPerPacket, {{1, 0}, {2, 1}}});
  for (int i = 0; i < 50; ++i) ASSERT_EQ(run(encap_fd(), in).out, encapsulated(in, kLmaa, kMag2));
}

// ---- decap ---------------------------------------------------------------------------------

class Decap : public DataPlane {
 protected:
  void SetUp() override {
    DataPlane::SetUp();
    if (IsSkipped()) return;
    dp().add_local_endpoint(kLmaa);
    dp().add_peer(kMag1, 1);
    dp().add_tunnel({1, kLmaa, kMag1});
  }
};

TEST_F(Decap, ValidTunnelPacketsGiveExactlyTheInnerPacket) {
  for (const Flow& f : {Flow{}, with([](Flow& x) { x.proto = kTcp; }), with([](Flow& x) { x.proto = kIcmp6; x.payload = 1200; })}) {
    Bytes inner = frame(f);
    Bytes outer = encapsulated(inner, kMag1, kLmaa);
    RunResult r = run(decap_fd(), outer);
    ASSERT_EQ(r.verdict, kTcActOk);
    EXPECT_EQ(r.out, inner) << hexdump(r.out);
  }
  auto t = dp().tunnel_counters(1);
  EXPECT_EQ(t.rx_packets, 3u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_DONE), 3u);
}

TEST_F(Decap, EncapThenDecapIsTheIdentity) {
  dp().add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(2)});
  dp().add_tunnel({2, kMag1, kLmaa});  // this node both encapsulates to, and decapsulates from, itself
  dp().add_peer(kMag1, 2);
  Bytes in = frame(with([](Flow& f) { f.tclass = 0x2c; f.flow_label = 0x54321; }));
  RunResult e = run(encap_fd(), in);
  ASSERT_EQ(e.verdict, kTcActOk);
  RunResult d = run(decap_fd(), e.out);
  ASSERT_EQ(d.verdict, kTcActOk);
  EXPECT_EQ(d.out, in);
  EXPECT_EQ(dp().tunnel_counters(2).tx_bytes, dp().tunnel_counters(2).rx_bytes);
}

TEST_F(Decap, UnknownPeerIsDroppedAndCounted) {
  Bytes outer = encapsulated(frame(Flow{}), v6("2001:db8:bad::1"), kLmaa);
  EXPECT_EQ(run(decap_fd(), outer).verdict, kTcActShot);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_UNKNOWN_PEER), 1u);
  dp().remove_peer(kMag1);
  EXPECT_EQ(run(decap_fd(), encapsulated(frame(Flow{}), kMag1, kLmaa)).verdict, kTcActShot);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_UNKNOWN_PEER), 2u);
}

TEST_F(Decap, PacketsNotForUsPassUntouched) {
  Bytes plain = frame(Flow{});
  RunResult r = run(decap_fd(), plain);
  EXPECT_EQ(r.verdict, kTcActOk);
  EXPECT_EQ(r.out, plain);
  Bytes elsewhere = encapsulated(frame(Flow{}), kMag1, v6("2001:db8:a::2"));
  r = run(decap_fd(), elsewhere);
  EXPECT_EQ(r.verdict, kTcActOk);
  EXPECT_EQ(r.out, elsewhere);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_NOT_TUNNEL), 1u);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_NOT_LOCAL), 1u);
}

TEST_F(Decap, MalformedTunnelPacketsAreDropped) {
  Bytes inner = frame(Flow{});
  Bytes not_v6 = encapsulated(inner, kMag1, kLmaa);
  not_v6[54] = 0x45;  // the inner "IPv6" header says version 4
  EXPECT_EQ(run(decap_fd(), not_v6).verdict, kTcActShot);
  Bytes short_payload = encapsulated(inner, kMag1, kLmaa);
  wire::store_be16(short_payload.data() + 18, 39);  // outer payload cannot hold an inner header
  EXPECT_EQ(run(decap_fd(), short_payload).verdict, kTcActShot);
  Bytes inner_long = encapsulated(inner, kMag1, kLmaa);
  wire::store_be16(inner_long.data() + 58, 2000);  // inner payload beyond the outer one
  EXPECT_EQ(run(decap_fd(), inner_long).verdict, kTcActShot);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_MALFORMED), 3u);
}

// ---- truncated and garbage packets --------------------------------------------------------

// Every prefix of a frame: an incomplete IPv6 header passes untouched; a complete header whose
// payload is cut short is dropped (it was ours). This kernel's BPF_PROG_TEST_RUN refuses IPv6
// frames shorter than 54 octets (EINVAL) before the program runs; those lengths count as
// refused, and whatever it does run must pass untouched.
TEST_F(DataPlane, TruncatedPacketsAreNeverMangled) {
  lma_setup();
  dp().add_local_endpoint(kLmaa);
  dp().add_peer(kMag1, 1);
  Bytes enc_full = frame(with([](Flow& f) { f.dstopts = true; f.dport = 5001; }));
  Bytes dec_full = encapsulated(frame(Flow{}), kMag1, kLmaa);
  std::map<int, std::uint64_t> short_runs;
  for (int prog : {encap_fd(), decap_fd()}) {
    const Bytes& full = prog == encap_fd() ? enc_full : dec_full;
    for (std::size_t len = 0; len < full.size(); ++len) {
      SCOPED_TRACE(fmt::format("{} of {} octets, {}", len, full.size(), prog == encap_fd() ? "encap" : "decap"));
      Bytes in(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
      RunResult r = run(prog, in);
      if (len < 54) {
        if (r.err == EINVAL) continue;  // refused by the kernel, the program never saw it
        ASSERT_EQ(r.err, 0);
        short_runs[prog]++;
        EXPECT_EQ(r.verdict, kTcActOk);
        EXPECT_EQ(r.out, in);
      } else {
        ASSERT_EQ(r.err, 0);
        EXPECT_EQ(r.verdict, kTcActShot);
      }
    }
  }
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_TRUNCATED), short_runs[encap_fd()]);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_MALFORMED), enc_full.size() - 54);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_TRUNCATED), short_runs[decap_fd()]);
  EXPECT_EQ(stat(PMIPX_DP_STAT_DEC_MALFORMED), dec_full.size() - 54);
  EXPECT_EQ(stat(PMIPX_DP_STAT_ENC_DONE) + stat(PMIPX_DP_STAT_DEC_DONE), 0u);
}

// Random octets behind an IPv6 ethertype with every address tunneled: a packet is either
// dropped, untouched, or encapsulated whole.
TEST_F(DataPlane, RandomPacketsAreDroppedUntouchedOrEncapsulatedWhole) {
  lma_setup();
  dp().add_prefix({pfx("::/0"), kOwner, Target::tunnel(1)});
  dp().add_local_endpoint(kLmaa);
  dp().add_peer(kMag1, 1);
  std::mt19937 rng(6);
  for (int i = 0; i < 3000; ++i) {
    Bytes in = frame(Flow{});
    in.resize(54 + rng() % 100);  // shorter IPv6 frames: see above
    for (std::size_t j = 14; j < in.size(); ++j)
      if (rng() % 3 == 0) in[j] = static_cast<std::uint8_t>(rng());
    if (in.size() > 20 && rng() % 2) in[20] = 41;  // often "IPv6-in-IPv6" for decap
    for (int prog : {encap_fd(), decap_fd()}) {
      RunResult r = run(prog, in);
      ASSERT_EQ(r.err, 0);
      if (r.verdict == kTcActShot) continue;
      ASSERT_EQ(r.verdict, kTcActOk) << hexdump(in);
      if (r.out == in) continue;
      if (prog == encap_fd()) {
        ASSERT_EQ(r.out, encapsulated(in, kLmaa, kMag1)) << hexdump(in);
      } else {
        Bytes inner(in.begin(), in.begin() + 14);
        inner.insert(inner.end(), in.begin() + 54, in.end());
        ASSERT_EQ(r.out, inner) << hexdump(in);
      }
    }
  }
}

// ---- pinning and attachment ------------------------------------------------------------------

TEST(BpfLoader, PinnedMapsCarryForwardingStateAcrossARestart) {
  SKIP_WITHOUT_BPF();
  std::string dir = bpffs() + "/restart";
  Bytes in = frame(Flow{});
  {
    BpfForwarding first({dir});
    EXPECT_FALSE(first.reused_pinned_maps());
    first.add_tunnel({1, kLmaa, kMag1});
    first.add_prefix({pfx("2001:db8:1:1::/64"), kOwner, Target::tunnel(1)});
    first.set_flow_rule(kOwner, {10, 10, udp_dst_port(5001), RuleAction::kForward, Target::tunnel(1)});
    ASSERT_EQ(run(first.program_fd(Program::kEncap), in).out, encapsulated(in, kLmaa, kMag1));
  }  // "daemon exits": nothing detached, nothing unpinned
  EXPECT_TRUE(std::filesystem::exists(dir + "/pmx_prefixes"));
  BpfForwarding second({dir});
  EXPECT_TRUE(second.reused_pinned_maps());
  EXPECT_EQ(run(second.program_fd(Program::kEncap), in).out, encapsulated(in, kLmaa, kMag1));
  EXPECT_EQ(second.tunnel_counters(1).tx_packets, 2u);
  EXPECT_EQ(second.flow_rules(kOwner).size(), 1u);
  EXPECT_THROW(BpfForwarding({"/tmp"}), std::system_error);  // not a bpffs: a clear error
}

TEST(BpfLoader, AttachReplaceAndDetachOnClsact) {
  SKIP_WITHOUT_BPF();
  const int lo = 1;  // the test's own network namespace
  BpfForwarding a({});
  a.attach_encap(lo);
  a.attach_decap(lo);
  EXPECT_EQ(tc_program_id(lo, true, 0x5050), program_id(a.program_fd(Program::kEncap)));
  EXPECT_EQ(tc_program_id(lo, false, 0x5050), program_id(a.program_fd(Program::kDecap)));
  BpfForwarding b({});  // a restarted daemon replaces the programs in place
  b.attach_encap(lo);
  b.attach_decap(lo);
  EXPECT_EQ(tc_program_id(lo, true, 0x5050), program_id(b.program_fd(Program::kEncap)));
  b.detach_all();
  EXPECT_EQ(tc_program_id(lo, true, 0x5050), 0u);
  EXPECT_EQ(tc_program_id(lo, false, 0x5050), 0u);
  EXPECT_NO_THROW(a.detach_all());  // already gone: fine
  EXPECT_THROW(a.attach_encap(12345), std::system_error);
}

}  // namespace
}  // namespace pmipx::dataplane
