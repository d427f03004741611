// The data plane's shared C headers in user space: RFC 6088 selector match (PROTOCOL.md §12),
// the wire -> C selector conversion, the flow hash and the weighted group pick. The tc
// programs compile the very same headers (src/dataplane/common).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>

#include "dataplane/dp_abi.hpp"
#include "dataplane/selector_conv.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::dataplane {
namespace {

using wire::Bound;
using wire::Ipv6Address;
using wire::Ipv6TrafficSelector;

Ipv6Address v6(const char* s) { return *Ipv6Address::parse(s); }

constexpr std::uint8_t kTcp = 6, kUdp = 17, kIcmp6 = 58, kEsp = 50;

struct Pkt {
  Ipv6Address src = v6("2001:db8:c::1"), dst = v6("2001:db8:1:2::100");
  std::uint8_t nh = kUdp;
  std::uint16_t sport = 40000, dport = 5000;
  bool ports = true;
  std::uint32_t flow_label = 0, spi = 0;
  bool has_spi = false, fragment = false;
  std::uint8_t tclass = 0;

  pmipx_dp_packet c() const {
    pmipx_dp_packet p{};
    std::memcpy(p.src, src.octets.data(), 16);
    std::memcpy(p.dst, dst.octets.data(), 16);
    p.next_header = nh;
    p.src_port = ports ? sport : 0;
    p.dst_port = ports ? dport : 0;
    p.flow_label = flow_label;
    p.spi = spi;
    p.traffic_class = tclass;
    p.flags = static_cast<__u8>((ports ? PMIPX_DP_PKT_PORTS : 0) | (has_spi ? PMIPX_DP_PKT_SPI : 0) |
                                (fragment ? PMIPX_DP_PKT_FRAGMENT : 0));
    return p;
  }
};

pmipx_dp_selector conv(const Ipv6TrafficSelector& ts) {
  auto r = to_dp_selector(ts);
  if (auto* err = std::get_if<std::string>(&r)) ADD_FAILURE() << *err;
  return std::get<pmipx_dp_selector>(r);
}

bool matches(const Ipv6TrafficSelector& ts, const Pkt& p, bool reverse = false) {
  auto sel = conv(ts);
  auto pkt = p.c();
  return pmipx_selector_match(&sel, &pkt, reverse ? 1 : 0) != 0;
}

// ---- conversion -------------------------------------------------------------------------

TEST(SelectorConv, EveryFieldBecomesItsBitAndRange) {
  Ipv6TrafficSelector ts;
  ts.src = Bound<Ipv6Address>{v6("2001:db8::1"), v6("2001:db8::9")};
  ts.dst = Bound<Ipv6Address>{v6("2001:db8:1::5"), std::nullopt};
  ts.spi = Bound<std::uint32_t>{7, 9};
  ts.flow_label = Bound<std::uint32_t>{0x12345, std::nullopt};
  ts.src_port = Bound<std::uint16_t>{80, 88};
  ts.dst_port = Bound<std::uint16_t>{443, std::nullopt};
  ts.traffic_class = Bound<std::uint8_t>{0x20, 0x28};
  ts.next_header = Bound<std::uint8_t>{6, 17};
  auto c = conv(ts);
  EXPECT_EQ(c.fields, 0xffu);
  EXPECT_EQ(0, std::memcmp(c.src_start, v6("2001:db8::1").octets.data(), 16));
  EXPECT_EQ(0, std::memcmp(c.src_end, v6("2001:db8::9").octets.data(), 16));
  EXPECT_EQ(0, std::memcmp(c.dst_start, v6("2001:db8:1::5").octets.data(), 16));
  EXPECT_EQ(0, std::memcmp(c.dst_end, v6("2001:db8:1::5").octets.data(), 16));  // start only: [start, start]
  EXPECT_EQ(c.spi_start, 7u);
  EXPECT_EQ(c.spi_end, 9u);
  EXPECT_EQ(c.flow_label_start, 0x12345u);
  EXPECT_EQ(c.flow_label_end, 0x12345u);
  EXPECT_EQ(c.src_port_start, 80);
  EXPECT_EQ(c.src_port_end, 88);
  EXPECT_EQ(c.dst_port_start, 443);
  EXPECT_EQ(c.dst_port_end, 443);
  EXPECT_EQ(c.traffic_class_start, 0x20);
  EXPECT_EQ(c.traffic_class_end, 0x28);
  EXPECT_EQ(c.next_header_start, 6);
  EXPECT_EQ(c.next_header_end, 17);
}

TEST(SelectorConv, AbsentFieldsLeaveNoBitAndEmptyMatchesEverything) {
  auto c = conv(Ipv6TrafficSelector{});
  EXPECT_EQ(c.fields, 0u);
  Pkt icmp;
  icmp.nh = kIcmp6;
  icmp.ports = false;
  Pkt frag;
  frag.fragment = true;
  frag.ports = false;
  for (const Pkt& p : {Pkt{}, icmp, frag}) EXPECT_TRUE(matches({}, p));
}

TEST(SelectorConv, RejectsWhatTheDataPlaneCannotHold) {
  Ipv6TrafficSelector bad;
  bad.dst_port = Bound<std::uint16_t>{10, 5};
  EXPECT_TRUE(std::holds_alternative<std::string>(to_dp_selector(bad)));
  Ipv6TrafficSelector label;
  label.flow_label = Bound<std::uint32_t>{0x100000, std::nullopt};
  EXPECT_TRUE(std::holds_alternative<std::string>(to_dp_selector(label)));
  auto v4 = to_dp_selector(wire::TrafficSelector{wire::Ipv4TrafficSelector{}});
  ASSERT_NE(std::get_if<std::string>(&v4), nullptr);
  EXPECT_NE(std::get<std::string>(v4).find("format 1"), std::string::npos);
}

// ---- RFC 6088 semantics, PROTOCOL.md §12 ----------------------------------------------

// The verified example of PROTOCOL.md §5.4, decoded from its octets: dst 2001:db8:1:2::100,
// dst ports 5000-5010, next header 17.
Ipv6TrafficSelector protocol_54_example() {
  const wire::Bytes body = {0x20, 0x32, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x13, 0x88, 0x13, 0x92, 0x11};
  auto ts = wire::decode_traffic_selector(wire::kTsFormatIpv6, body, 0);
  EXPECT_TRUE(ts.ok());
  return std::get<Ipv6TrafficSelector>(*ts);
}

TEST(SelectorMatch, Protocol54ExampleMatchesExactlyItsFlows) {
  auto ts = protocol_54_example();
  struct Case {
    const char* what;
    Pkt p;
    bool match;
  };
  auto with = [](auto f) {
    Pkt p;
    f(p);
    return p;
  };
  const Case cases[] = {
      {"UDP to port 5000 (range start)", with([](Pkt& p) { p.dport = 5000; }), true},
      {"UDP to port 5010 (range end)", with([](Pkt& p) { p.dport = 5010; }), true},
      {"UDP to port 5005, any source", with([](Pkt& p) { p.dport = 5005; p.src = v6("2001:db8:ffff::7"); p.sport = 1; }), true},
      {"UDP to port 4999", with([](Pkt& p) { p.dport = 4999; }), false},
      {"UDP to port 5011", with([](Pkt& p) { p.dport = 5011; }), false},
      {"TCP to port 5000", with([](Pkt& p) { p.nh = kTcp; }), false},
      {"UDP to the next address", with([](Pkt& p) { p.dst = v6("2001:db8:1:2::101"); }), false},
      {"UDP to the previous address", with([](Pkt& p) { p.dst = v6("2001:db8:1:2::ff"); }), false},
      {"UDP with a flow label and DSCP (not constrained)", with([](Pkt& p) { p.flow_label = 0xabcde; p.tclass = 0xb8; }), true},
      {"non-first UDP fragment (no ports)", with([](Pkt& p) { p.fragment = true; p.ports = false; }), false},
  };
  for (const auto& c : cases) EXPECT_EQ(matches(ts, c.p), c.match) << c.what;
}

TEST(SelectorMatch, AddressRangesAre128BitUnsignedAndInclusive) {
  Ipv6TrafficSelector ts;  // a range that crosses the 64-bit boundary
  ts.src = Bound<Ipv6Address>{v6("2001:db8::ffff:ffff:ffff:fffe"), v6("2001:db8:0:1::1")};
  auto src = [](const char* a) {
    Pkt p;
    p.src = v6(a);
    return p;
  };
  EXPECT_FALSE(matches(ts, src("2001:db8::ffff:ffff:ffff:fffd")));
  EXPECT_TRUE(matches(ts, src("2001:db8::ffff:ffff:ffff:fffe")));
  EXPECT_TRUE(matches(ts, src("2001:db8::ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(matches(ts, src("2001:db8:0:1::")));
  EXPECT_TRUE(matches(ts, src("2001:db8:0:1::1")));
  EXPECT_FALSE(matches(ts, src("2001:db8:0:1::2")));
  EXPECT_FALSE(matches(ts, src("8001:db8::1")));  // high bit set: unsigned compare
}

TEST(SelectorMatch, FlowLabelUsesTheLow20Bits) {
  Ipv6TrafficSelector ts;
  ts.flow_label = Bound<std::uint32_t>{0x00010, 0x00020};
  Pkt p;
  for (std::uint32_t fl : {0x10u, 0x18u, 0x20u}) {
    p.flow_label = fl;
    EXPECT_TRUE(matches(ts, p)) << fl;
  }
  for (std::uint32_t fl : {0x0fu, 0x21u, 0x100010u /* bit 20: not part of the label */}) {
    p.flow_label = fl;
    EXPECT_EQ(matches(ts, p), fl == 0x100010u) << fl;
  }
  // A selector stored with stray upper bits compares its low 20 bits too.
  auto sel = conv(ts);
  sel.flow_label_start |= 0xff000000u;
  sel.flow_label_end |= 0xff000000u;
  p.flow_label = 0x18;
  auto pkt = p.c();
  EXPECT_TRUE(pmipx_selector_match(&sel, &pkt, 0));
}

TEST(SelectorMatch, TrafficClassComparesTheDscpAndIgnoresEcn) {
  Ipv6TrafficSelector ts;
  ts.traffic_class = Bound<std::uint8_t>{0xb8, std::nullopt};  // EF
  Pkt p;
  for (std::uint8_t tc : {std::uint8_t{0xb8}, std::uint8_t{0xb9}, std::uint8_t{0xba}, std::uint8_t{0xbb}}) {
    p.tclass = tc;
    EXPECT_TRUE(matches(ts, p)) << int{tc};
  }
  for (std::uint8_t tc : {std::uint8_t{0xb4}, std::uint8_t{0xbc}, std::uint8_t{0x00}}) {
    p.tclass = tc;
    EXPECT_FALSE(matches(ts, p)) << int{tc};
  }
  ts.traffic_class = Bound<std::uint8_t>{std::uint8_t{0x21}, std::uint8_t{0x2a}};  // ECN bits of the bounds ignored: DSCP 8..10
  p.tclass = 0x20;
  EXPECT_TRUE(matches(ts, p));
  p.tclass = 0x2b;
  EXPECT_TRUE(matches(ts, p));
  p.tclass = 0x2c;
  EXPECT_FALSE(matches(ts, p));
}

TEST(SelectorMatch, PortsNeedAPacketWithPorts) {
  Ipv6TrafficSelector ts;
  ts.src_port = Bound<std::uint16_t>{0, 65535};  // any port, but ports required
  Pkt icmp;
  icmp.nh = kIcmp6;
  icmp.ports = false;
  EXPECT_FALSE(matches(ts, icmp));
  Pkt frag;
  frag.ports = false;
  frag.fragment = true;
  EXPECT_FALSE(matches(ts, frag));
  EXPECT_TRUE(matches(ts, Pkt{}));
  Ipv6TrafficSelector nh;
  nh.next_header = Bound<std::uint8_t>{kIcmp6, std::nullopt};
  EXPECT_TRUE(matches(nh, icmp));
  EXPECT_FALSE(matches(nh, Pkt{}));
}

TEST(SelectorMatch, SpiNeedsEspOrAh) {
  Ipv6TrafficSelector ts;
  ts.spi = Bound<std::uint32_t>{0x1000, 0x1fff};
  Pkt esp;
  esp.nh = kEsp;
  esp.ports = false;
  esp.has_spi = true;
  esp.spi = 0x1000;
  EXPECT_TRUE(matches(ts, esp));
  esp.spi = 0x2000;
  EXPECT_FALSE(matches(ts, esp));
  Pkt udp;  // spi field 0 but no SPI in the packet
  EXPECT_FALSE(matches(ts, udp));
}

TEST(SelectorMatch, ReverseEvaluatesAnUplinkPacketAsItsDownlinkFlow) {
  // Written CN -> MN: from the CN's port 443 to the MN's address.
  Ipv6TrafficSelector ts;
  ts.dst = Bound<Ipv6Address>{v6("2001:db8:1:2::100"), std::nullopt};
  ts.src_port = Bound<std::uint16_t>{443, std::nullopt};
  Pkt down;
  down.sport = 443;
  down.dport = 40000;
  EXPECT_TRUE(matches(ts, down));
  Pkt up;  // MN -> CN, the same connection
  up.src = down.dst;
  up.dst = down.src;
  up.sport = 40000;
  up.dport = 443;
  EXPECT_FALSE(matches(ts, up));
  EXPECT_TRUE(matches(ts, up, /*reverse=*/true));
  // pmipx_packet_reverse is the same transformation, done once.
  auto sel = conv(ts);
  auto c = up.c();
  pmipx_packet_reverse(&c);
  EXPECT_TRUE(pmipx_selector_match(&sel, &c, 0));
  auto d = down.c();
  EXPECT_EQ(0, std::memcmp(&c, &d, sizeof c));
}

// An independent reading of PROTOCOL.md §12 over the wire struct itself (std::optional,
// Ipv6Address ordering), compared with convert + pmipx_selector_match on random selectors and
// packets drawn from small domains so that range edges are hit often.
bool reference_match(const Ipv6TrafficSelector& ts, const Pkt& p) {
  auto in = [](const auto& b, const auto& v) { return !b || (b->start <= v && v <= b->last()); };
  if (!in(ts.src, p.src) || !in(ts.dst, p.dst)) return false;
  if (ts.next_header && !in(ts.next_header, p.nh)) return false;
  if (ts.flow_label && !((ts.flow_label->start & 0xfffff) <= (p.flow_label & 0xfffff) &&
                         (p.flow_label & 0xfffff) <= (ts.flow_label->last() & 0xfffff)))
    return false;
  if (ts.traffic_class && !((ts.traffic_class->start >> 2) <= (p.tclass >> 2) &&
                            (p.tclass >> 2) <= (ts.traffic_class->last() >> 2)))
    return false;
  if ((ts.src_port || ts.dst_port) && !p.ports) return false;
  if (!in(ts.src_port, p.sport) || !in(ts.dst_port, p.dport)) return false;
  if (ts.spi && (!p.has_spi || !in(ts.spi, p.spi))) return false;
  return true;
}

TEST(SelectorMatch, AgreesWithAReferenceOn200kRandomCases) {
  std::mt19937 rng(5);
  auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  auto addr = [&] {
    Ipv6Address a = v6("2001:db8::");
    a.octets[7] = static_cast<std::uint8_t>(pick(3));  // 2001:db8:0:N::M, crossing octet borders
    a.octets[15] = static_cast<std::uint8_t>(pick(4) == 0 ? 0xff : pick(6));
    return a;
  };
  auto small = [&](unsigned n) { return pick(n); };
  auto bound = [&](auto gen) -> std::optional<Bound<decltype(gen())>> {
    switch (pick(3)) {
      case 0: return std::nullopt;
      case 1: return Bound<decltype(gen())>{gen(), std::nullopt};
      default: {
        auto a = gen(), b = gen();
        if (b < a) std::swap(a, b);
        return Bound<decltype(gen())>{a, b};
      }
    }
  };
  int matched = 0;
  for (int i = 0; i < 200000; ++i) {
    Ipv6TrafficSelector ts;
    ts.src = bound(addr);
    ts.dst = bound(addr);
    ts.spi = bound([&] { return static_cast<std::uint32_t>(small(4)); });
    ts.flow_label = bound([&] { return static_cast<std::uint32_t>(small(4)); });
    ts.src_port = bound([&] { return static_cast<std::uint16_t>(small(4)); });
    ts.dst_port = bound([&] { return static_cast<std::uint16_t>(small(4)); });
    ts.traffic_class = bound([&] { return static_cast<std::uint8_t>(small(16)); });
    ts.next_header = bound([&] { return static_cast<std::uint8_t>(small(4)); });
    Pkt p;
    p.src = addr();
    p.dst = addr();
    p.nh = static_cast<std::uint8_t>(small(4));
    p.ports = pick(4) != 0;
    p.sport = p.ports ? static_cast<std::uint16_t>(small(4)) : 0;
    p.dport = p.ports ? static_cast<std::uint16_t>(small(4)) : 0;
    p.has_spi = pick(2) != 0;
    p.spi = p.has_spi ? small(4) : 0;
    p.flow_label = small(4) | (pick(2) ? 0x100000u : 0u);
    p.tclass = static_cast<std::uint8_t>(small(16));
    bool want = reference_match(ts, p);
    ASSERT_EQ(matches(ts, p), want) << "case " << i;
    matched += want;
  }
  EXPECT_GT(matched, 1000);  // the domains are small enough to exercise matches too
}

// ---- flow hash and group pick -----------------------------------------------------------

TEST(FlowHash, IsAPinnedFunctionOfTheTuple) {
  // Golden values: a change here changes which tunnel existing flows take at both ends. They
  // were computed by an independent MurmurHash3_x86_32 (Python, seed 0x706d6970) over the ten
  // words of flow_hash.h, each stored little-endian as MurmurHash3 reads its blocks.
  Pkt p;
  auto c = p.c();
  EXPECT_EQ(pmipx_flow_hash(&c, 0), 0x5885217du);
  p.flow_label = 0x12345;
  c = p.c();
  EXPECT_EQ(pmipx_flow_hash(&c, 0), 0xeaf9fd1cu);
}

TEST(FlowHash, EveryFieldCountsAndNothingElse) {
  Pkt base;
  auto h = [](const Pkt& p) {
    auto c = p.c();
    return pmipx_flow_hash(&c, 0);
  };
  std::vector<Pkt> variants(6, base);
  variants[0].src = v6("2001:db8:c::2");
  variants[1].dst = v6("2001:db8:1:2::101");
  variants[2].sport += 1;
  variants[3].dport += 1;
  variants[4].nh = kTcp;
  variants[5].flow_label = 1;
  for (const auto& v : variants) EXPECT_NE(h(v), h(base));
  Pkt same = base;  // traffic class, SPI and the upper 12 bits of the label are not hashed
  same.tclass = 0xb8;
  same.flow_label = 0xfff00000;
  same.spi = 77;
  EXPECT_EQ(h(same), h(base));
}

TEST(FlowHash, ReverseHashesTheDownlinkViewOfAnUplinkPacket) {
  Pkt down;
  Pkt up;
  up.src = down.dst;
  up.dst = down.src;
  up.sport = down.dport;
  up.dport = down.sport;
  auto d = down.c(), u = up.c();
  EXPECT_EQ(pmipx_flow_hash(&u, 1), pmipx_flow_hash(&d, 0));
  EXPECT_NE(pmipx_flow_hash(&u, 0), pmipx_flow_hash(&d, 0));
}

pmipx_dp_group group(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> members) {
  pmipx_dp_group g{};
  for (auto [t, w] : members) {
    g.tunnel_id[g.count] = t;
    g.weight[g.count] = w;
    g.count++;
  }
  return g;
}

TEST(GroupPick, WeightsOwnConsecutiveResidues) {
  auto g = group({{11, 2}, {12, 0}, {13, 1}});
  EXPECT_EQ(pmipx_group_pick(&g, 0), 11u);
  EXPECT_EQ(pmipx_group_pick(&g, 1), 11u);
  EXPECT_EQ(pmipx_group_pick(&g, 2), 13u);
  EXPECT_EQ(pmipx_group_pick(&g, 3), 11u);
  EXPECT_EQ(pmipx_group_pick(&g, 0xffffffffu), 11u);  // 2^32-1 mod 3 = 0
  auto none = group({{11, 0}});
  EXPECT_EQ(pmipx_group_pick(&none, 5), 0u);
  pmipx_dp_group empty{};
  EXPECT_EQ(pmipx_group_pick(&empty, 5), 0u);
  auto overfull = group({{1, 1}});
  overfull.count = 1000;  // a corrupt count reads no more than the array
  EXPECT_EQ(pmipx_group_pick(&overfull, 0), 1u);
}

TEST(GroupPick, PerFlowHashSpreadsFlowsByWeight) {
  auto g = group({{1, 3}, {2, 1}});
  std::map<std::uint32_t, int> n;
  Pkt p;
  for (int i = 0; i < 40000; ++i) {
    p.sport = static_cast<std::uint16_t>(1024 + i % 50000);
    p.src.octets[15] = static_cast<std::uint8_t>(i / 50000);
    auto c = p.c();
    n[pmipx_group_pick(&g, pmipx_flow_hash(&c, 0))]++;
  }
  EXPECT_NEAR(n[1] / 40000.0, 0.75, 0.015);
  EXPECT_NEAR(n[2] / 40000.0, 0.25, 0.015);
}

}  // namespace
}  // namespace pmipx::dataplane
