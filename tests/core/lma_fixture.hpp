// An LMA engine with two authorized MAGs, a /48 pool of /64s and two MNs, driven with a
// virtual clock; helpers build PBUs and collect what the engine emits.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "core/lma/lma_engine.hpp"

namespace pmipx::core::test {

inline wire::Ipv6Address a6(const char* s) { return *wire::Ipv6Address::parse(s); }
inline wire::Ipv6Prefix p6(const char* s) { return *wire::Ipv6Prefix::parse(s); }

struct PbuSpec {
  const char* mn = "mn1@example.com";
  std::vector<wire::Ipv6Prefix> hnps = {wire::Ipv6Prefix{}};  // one ALL_ZERO: "assign"
  wire::HandoffIndicator hi = wire::HandoffIndicator::kNewInterface;
  wire::AccessTech att = wire::AccessTech::kWlan;
  std::optional<wire::Bytes> lli;
  std::uint16_t lifetime_units = 900;
  std::uint16_t sequence = 1;
  std::optional<wire::Timestamp> timestamp;  // default: the fixture's wall clock
  bool with_timestamp = true;
  bool with_mn_id = true, with_hi = true, with_att = true, with_lla = true;
  std::uint8_t ifp = 0;
  bool primary = false;
  bool muho = false;  // seed 002: add an empty MuHo option
  std::optional<wire::MagMultipathBindingOption> mmb;  // seed 004
  std::optional<std::string> mag_id;                   // MAG Identifier (NAI)
};

class LmaFixture : public ::testing::Test {
 protected:
  const wire::Ipv6Address kLmaa = a6("2001:db8:b::1");
  const wire::Ipv6Address kMag1 = a6("2001:db8:a::1");
  const wire::Ipv6Address kMag2 = a6("2001:db8:a::2");
  const wire::Ipv6Address kRogue = a6("2001:db8:666::1");

  LmaConfig config() {
    LmaConfig c;
    c.address = kLmaa;
    return c;
  }

  PolicyStore policy() {
    PolicyStore p(PrefixPool::create(p6("2001:db8:1::/48"), 64));
    p.authorize_mag(kMag1);
    p.authorize_mag(kMag2);
    MnProfile mn1;
    mn1.id = MnId::nai("mn1@example.com");
    mn1.features.shared_prefixes = true;
    p.add_mn(mn1);
    MnProfile mn2;
    mn2.id = MnId::nai("mn2@example.com");
    mn2.static_prefixes = {p6("2001:db8:2:1::/64"), p6("2001:db8:2:2::/64")};
    p.add_mn(mn2);
    MnProfile multi;
    multi.id = MnId::nai("muho@example.com");
    multi.features.muho = true;
    p.add_mn(multi);
    MnProfile prim;  // seed 003
    prim.id = MnId::nai("prim@example.com");
    prim.features.primary_hoa = true;
    p.add_mn(prim);
    MnProfile mp;  // seed 004: web (TCP 80) over label 1 (RED), falling back to label 2 (BLUE)
    mp.id = MnId::nai("mp@example.com");
    mp.features.multipath = true;
    mp.multipath.distribution = Distribution::kPerPacket;
    mp.multipath.weight_by_label = {{1, 3}, {2, 1}};
    wire::Ipv6TrafficSelector web;
    web.next_header = wire::Bound<std::uint8_t>{6, 6};
    web.dst_port = wire::Bound<std::uint16_t>{80, 80};
    mp.multipath.rules = {LabelRule{1, 10, web, {1, 2}}};
    p.add_mn(mp);
    MnProfile off;
    off.id = MnId::nai("off@example.com");
    off.proxy_enabled = false;
    p.add_mn(off);
    MnProfile pinned;
    pinned.id = MnId::nai("pinned@example.com");
    pinned.allowed_mags = {kMag1};
    p.add_mn(pinned);
    return p;
  }

  void SetUp() override { engine_ = std::make_unique<LmaEngine>(config(), policy()); }
  void reset(LmaConfig c) { engine_ = std::make_unique<LmaEngine>(std::move(c), policy()); }

  Now now() const { return now_; }
  void advance(Duration d) {
    now_.mono += d;
    now_.wall += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    engine_->handle_timeout(now_);
  }

  wire::Message pbu(const PbuSpec& s) {
    wire::Message m{wire::BindingUpdate{s.sequence, wire::bu_flag::kA | wire::bu_flag::kP,
                                        wire::Lifetime{s.lifetime_units}},
                    {}};
    for (const auto& h : s.hnps) m.options.push_back(wire::HnpOption{false, h});
    if (s.with_mn_id) m.options.push_back(wire::MnIdOption{wire::MnIdSubtype::kNai, s.mn});
    if (s.with_hi) m.options.push_back(wire::HandoffIndicatorOption{s.hi});
    if (s.with_att) m.options.push_back(wire::AccessTechTypeOption{s.att});
    if (s.with_timestamp) m.options.push_back(wire::TimestampOption{s.timestamp.value_or(to_timestamp(now_.wall))});
    if (s.lli) m.options.push_back(wire::MnLinkLayerIdOption{s.ifp, s.primary, *s.lli});
    if (s.with_lla) m.options.push_back(wire::LinkLocalAddressOption{});
    if (s.muho) m.options.push_back(wire::MuhoOption{});
    if (s.mmb) m.options.push_back(*s.mmb);
    if (s.mag_id) m.options.push_back(wire::MagIdentifierOption{wire::MnIdSubtype::kNai, *s.mag_id});
    return m;
  }

  // Sends a PBU from `mag` and returns every transmission it caused.
  std::vector<Transmit> send(const wire::Ipv6Address& mag, const PbuSpec& s) {
    engine_->handle_message(now_, mag, kLmaa, pbu(s));
    return drain();
  }

  std::vector<Transmit> drain() {
    std::vector<Transmit> out;
    while (auto t = engine_->poll_transmit()) out.push_back(std::move(*t));
    return out;
  }
  std::vector<LmaDataplaneOp> ops() {
    std::vector<LmaDataplaneOp> out;
    while (auto o = engine_->poll_dataplane()) out.push_back(std::move(*o));
    return out;
  }

  // The single PBA a PBU caused.
  wire::Message pba(const wire::Ipv6Address& mag, const PbuSpec& s) {
    auto t = send(mag, s);
    EXPECT_EQ(t.size(), 1u);
    if (t.empty()) return {};
    EXPECT_EQ(t[0].src, kLmaa);
    EXPECT_EQ(t[0].dst, mag);
    EXPECT_TRUE(std::holds_alternative<wire::BindingAck>(t[0].message.body));
    return t[0].message;
  }

  static wire::BaStatus status(const wire::Message& m) { return std::get<wire::BindingAck>(m.body).status; }
  static std::vector<wire::Ipv6Prefix> prefixes(const wire::Message& m) {
    std::vector<wire::Ipv6Prefix> out;
    for (const auto* h : wire::find_options<wire::HnpOption>(m)) out.push_back(h->prefix);
    return out;
  }

  const BindingCache& cache() const { return engine_->bindings(); }
  std::vector<const BindingCacheEntry*> entries_of(const char* mn) const {
    std::vector<const BindingCacheEntry*> out;
    for (EntryId id : cache().by_mn(MnId::nai(mn))) out.push_back(cache().find(id));
    return out;
  }

  std::unique_ptr<LmaEngine> engine_;
  Now now_{Instant{} + seconds(1000), WallTime{} + seconds(1'700'000'000)};
};

}  // namespace pmipx::core::test
