#include "daemon/config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "core/lma/flow_mobility_cache.hpp"
#include "core/lma/prefix_pool.hpp"
#include "core/mn/uplink_rule.hpp"
#include "daemon/config_reader.hpp"
#include "daemon/mn_uplink_rules.hpp"
#include "wire/names.hpp"

namespace pmipx::daemon {

namespace {

using config_reader::Map;
using config_reader::Value;

std::string format_error(const std::string& file, int line, const std::string& key,
                         const std::string& what) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += what;
  return out;
}

constexpr std::uint16_t kLmaApiPort = 7780;
constexpr std::uint16_t kMagApiPort = 7781;
constexpr std::uint16_t kMnApiPort = 7782;
// The PBU Lifetime field is 16 bits of 4-second units (RFC 6275 §6.1.7).
constexpr std::uint32_t kMaxBindingLifetimeS = 0xffff * 4;
// Identifiers travel in a mobility option: one length octet covering the subtype octet too
// (RFC 4283 MN-ID, RFC 8278 MAG Identifier).
constexpr std::size_t kMaxIdentifierLength = 254;
constexpr std::size_t kMaxInterfaceName = 15;  // Linux IFNAMSIZ - 1

std::string in_quotes(std::string_view s) {
  return fmt::format("\"{}\"", s);
}

// ---- shared value readers ----

struct AttName {
  std::string_view name;
  wire::AccessTech att;
};
constexpr AttName kAttNames[] = {
    {"virtual", wire::AccessTech::kVirtual},   {"ppp", wire::AccessTech::kPpp},
    {"ethernet", wire::AccessTech::kEthernet}, {"wlan", wire::AccessTech::kWlan},
    {"wimax", wire::AccessTech::kWimax},       {"geran", wire::AccessTech::kGeran},
    {"utran", wire::AccessTech::kUtran},       {"eutran", wire::AccessTech::kEutran},
    {"ehrpd", wire::AccessTech::kEhrpd},       {"hrpd", wire::AccessTech::kHrpd},
    {"1xrtt", wire::AccessTech::k1xRtt},       {"umb", wire::AccessTech::kUmb},
    {"nb-iot", wire::AccessTech::kNbIot},
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 5213 §8.5 Access Technology Type: a name, or the code point 1..255.
wire::AccessTech read_att(const Value& v) {
  std::string names;
  for (const auto& n : kAttNames) names += (names.empty() ? "" : ", ") + std::string(n.name);
  if (!v.node().IsScalar())
    v.fail(fmt::format("expected an access technology ({}), got {}", names, v.describe()));
  const auto& s = v.node().Scalar();
  for (const auto& n : kAttNames) {
    if (s == n.name) return n.att;
  }
  if (all_digits(s)) return static_cast<wire::AccessTech>(v.number<std::uint8_t>(1, 255));
  v.fail(fmt::format("unknown access technology {}; expected one of: {}, or a number 1..255",
                     in_quotes(s), names));
}

std::string read_identifier(const Value& v) {
  auto s = v.non_empty_text();
  if (s.size() > kMaxIdentifierLength) {
    v.fail(fmt::format("longer than {} octets ({})", kMaxIdentifierLength, s.size()));
  }
  return s;
}

core::MnId read_mn_id(const Value& v) {
  return core::MnId::nai(read_identifier(v));
}

std::string read_interface_name(const Value& v) {
  auto s = v.non_empty_text();
  bool bad_char = std::any_of(s.begin(), s.end(), [](char c) {
    return c == '/' || std::isspace(static_cast<unsigned char>(c)) != 0;
  });
  if (s.size() > kMaxInterfaceName || bad_char || s == "." || s == "..") {
    v.fail(fmt::format("not a valid interface name: {}", in_quotes(s)));
  }
  return s;
}

// "aa:bb:cc:dd:ee:ff" (any case), returned in lower case; unicast only.
std::string read_mac(const Value& v) {
  auto s = v.text();
  bool ok = s.size() == 17;
  for (std::size_t i = 0; ok && i < s.size(); ++i) {
    ok = i % 3 == 2 ? s[i] == ':' : std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
  }
  if (!ok) v.fail(fmt::format("not a MAC address (aa:bb:cc:dd:ee:ff): {}", in_quotes(s)));
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (std::stoi(s.substr(0, 2), nullptr, 16) & 1)
    v.fail(fmt::format("not a unicast MAC address: {}", in_quotes(s)));
  return s;
}

wire::Ipv6Address read_link_local(const Value& v) {
  auto a = v.ipv6_address();
  if (!a.is_link_local())
    v.fail(fmt::format("not a link-local address (fe80::/10): {}", in_quotes(v.node().Scalar())));
  return a;
}

core::Duration read_ms(const Map& m, std::string_view key, core::Duration fallback,
                       std::int64_t min_ms, std::int64_t max_ms) {
  auto v = m.find(key);
  return v ? core::Duration(core::milliseconds(v->integer(min_ms, max_ms))) : fallback;
}

// The Mobility Option type of the MuHo option (seed 002): 18 (experimental, RFC 5096) or a
// type IANA has not assigned, so it cannot be mistaken for another option.
void read_muho_option_type(const Map& m, wire::CodecConfig& codec) {
  auto v = m.find("muho_option_type");
  if (!v) return;
  auto type = v->number<std::uint8_t>(2, 255);
  const char* taken = wire::option_name(type);
  if (taken != nullptr && type != static_cast<std::uint8_t>(wire::OptionType::kExperimental)) {
    v->fail(fmt::format("type {} is the {} option; use 18 (experimental) or an unassigned type",
                        type, taken));
  }
  codec.muho_option_type = type;
}

ApiConfig read_api(const Map& top, std::uint16_t default_port) {
  ApiConfig api;
  if (auto v = top.find("api")) {
    auto m = v->map({"address", "port", "enabled"});
    if (auto a = m.find("address")) {
      auto s = a->non_empty_text();
      if (!wire::Ipv6Address::parse(s) && !wire::Ipv4Address::parse(s)) {
        a->fail(fmt::format("not an IP address: {}", in_quotes(s)));
      }
      api.address = s;
    }
    api.port = m.number<std::uint16_t>("port", 0);
    api.enabled = m.flag("enabled", api.enabled);
  }
  if (api.port == 0) api.port = default_port;
  return api;
}

LogConfig read_log(const Map& top) {
  LogConfig log;
  if (auto v = top.find("log")) {
    auto m = v->map({"level", "file"});
    if (auto l = m.find("level"))
      log.level = l->one_of({"trace", "debug", "info", "warn", "error", "off"});
    log.file = m.text("file", log.file);
  }
  return log;
}

DataplaneConfig read_dataplane(const Map& top) {
  DataplaneConfig d;
  if (auto v = top.find("dataplane")) {
    auto m = v->map({"mode", "pin_dir", "hoa_option_type"});
    if (auto mode = m.find("mode")) d.enabled = mode->one_of({"bpf", "none"}) == "bpf";
    d.pin_dir = m.text("pin_dir", d.pin_dir);
    if (auto t = m.find("hoa_option_type")) {
      // 0 and 1 are Pad1 and PadN; an option that may change en route (0x20) would be
      // excluded from authentication data (RFC 8200 §4.2), which this one must not be.
      d.hoa_option_type = t->number<std::uint8_t>(2, 255);
      if (d.hoa_option_type & 0x20) t->fail("the third-highest bit (may change en route) must be 0");
    }
  }
  return d;
}

// ---- traffic selectors (RFC 6088 format 2) ----

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
  if (!all_digits(s) || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

// A number, or an inclusive range "a-b" (quoted in YAML flow style is fine, not required).
template <class T>
wire::Bound<T> read_number_bound(const Value& v, std::uint64_t max, std::string_view what) {
  if (!v.node().IsScalar())
    v.fail(fmt::format("expected a {0} or a {0} range \"a-b\", got {1}", what, v.describe()));
  const std::string s = v.node().Scalar();
  auto piece = [&](std::string_view t) {
    auto n = parse_unsigned(t);
    if (!n) v.fail(fmt::format("not a {0} or a {0} range: {1}", what, in_quotes(s)));
    if (*n > max) v.fail(fmt::format("{} {} is above {}", what, t, max));
    return static_cast<T>(*n);
  };
  auto dash = s.find('-');
  if (dash == std::string::npos) return wire::Bound<T>{piece(s), std::nullopt};
  T first = piece(std::string_view(s).substr(0, dash));
  T last = piece(std::string_view(s).substr(dash + 1));
  if (first > last) v.fail(fmt::format("range {} starts above its end", in_quotes(s)));
  return wire::Bound<T>{first, last};
}

wire::Ipv6Address last_address(const wire::Ipv6Prefix& p) {
  wire::Ipv6Address out = p.address;
  for (std::size_t i = 0; i < out.octets.size(); ++i) {
    auto bit = static_cast<unsigned>(i * 8);
    if (bit >= p.length) {
      out.octets[i] = 0xff;
    } else if (bit + 8 > p.length) {
      out.octets[i] = static_cast<std::uint8_t>(out.octets[i] | (0xff >> (p.length - bit)));
    }
  }
  return out;
}

// An address, a prefix (its first to last address) or a range "a-b".
wire::Bound<wire::Ipv6Address> read_address_bound(const Value& v) {
  if (!v.node().IsScalar())
    v.fail(fmt::format("expected an IPv6 address, prefix or range, got {}", v.describe()));
  const std::string s = v.node().Scalar();
  if (s.find('/') != std::string::npos) {
    auto p = v.ipv6_prefix();
    if (p.length == 128) return {p.address, std::nullopt};
    return {p.address, last_address(p)};
  }
  auto dash = s.find('-');
  if (dash == std::string::npos) return {v.ipv6_address(), std::nullopt};
  auto first = wire::Ipv6Address::parse(std::string_view(s).substr(0, dash));
  auto last = wire::Ipv6Address::parse(std::string_view(s).substr(dash + 1));
  if (!first || !last) v.fail(fmt::format("not an IPv6 address range: {}", in_quotes(s)));
  if (*first > *last) v.fail(fmt::format("range {} starts above its end", in_quotes(s)));
  return {*first, *last};
}

std::uint8_t read_protocol(const Value& v) {
  if (v.node().IsScalar()) {
    const auto& s = v.node().Scalar();
    if (s == "tcp") return 6;
    if (s == "udp") return 17;
    if (s == "icmpv6") return 58;
    if (s == "sctp") return 132;
    if (all_digits(s)) return v.number<std::uint8_t>();
  }
  v.fail(fmt::format("expected tcp, udp, icmpv6, sctp or a protocol number 0..255, got {}",
                     v.describe()));
}

wire::TrafficSelector read_selector(const Value& v) {
  auto m = v.map(
      {"src", "dst", "src_ports", "dst_ports", "protocol", "flow_label", "traffic_class", "spi"});
  wire::Ipv6TrafficSelector ts;
  if (auto x = m.find("src")) ts.src = read_address_bound(*x);
  if (auto x = m.find("dst")) ts.dst = read_address_bound(*x);
  if (auto x = m.find("src_ports"))
    ts.src_port = read_number_bound<std::uint16_t>(*x, 0xffff, "port");
  if (auto x = m.find("dst_ports"))
    ts.dst_port = read_number_bound<std::uint16_t>(*x, 0xffff, "port");
  if (auto x = m.find("protocol"))
    ts.next_header = wire::Bound<std::uint8_t>{read_protocol(*x), std::nullopt};
  if (auto x = m.find("flow_label"))
    ts.flow_label = read_number_bound<std::uint32_t>(*x, 0xfffff, "flow label");
  if (auto x = m.find("traffic_class"))
    ts.traffic_class = read_number_bound<std::uint8_t>(*x, 0xff, "traffic class");
  if (auto x = m.find("spi")) ts.spi = read_number_bound<std::uint32_t>(*x, 0xffffffff, "SPI");
  return ts;
}

// ---- seed 004 multipath policy (LMA per MN, MAG global) ----

// `wan_labels`: when given, every rule label must be one of them.
core::MultipathPolicy read_multipath(const Value& v, const std::set<std::uint8_t>* wan_labels) {
  auto m = v.map({"distribution", "weights", "rules"});
  core::MultipathPolicy p;
  if (auto d = m.find("distribution")) {
    p.distribution = d->one_of({"per-flow", "per-packet"}) == "per-flow"
                         ? core::Distribution::kPerFlow
                         : core::Distribution::kPerPacket;
  }
  // The engines' own validator runs after each addition, so its reason lands on the entry
  // that broke the policy.
  if (auto w = m.find("weights")) {
    for (const auto& [key, value] : w->entries()) {
      auto label = key.number<std::uint8_t>();
      if (p.weight_by_label.count(label) != 0) key.fail(fmt::format("label {} given twice", label));
      p.weight_by_label[label] = value.number<std::uint16_t>();
      if (auto why = p.validate()) value.fail(*why);
    }
  }
  if (auto rules = m.find("rules")) {
    for (const auto& rv : rules->list()) {
      auto rm = rv.map({"id", "priority", "selector", "labels"});
      core::LabelRule rule;
      rule.id = rm.need("id").number<std::uint16_t>(1);
      rule.priority = rm.need("priority").number<std::uint16_t>();
      rule.selector = read_selector(rm.need("selector"));
      for (const auto& lv : rm.need("labels").list()) {
        auto label = lv.number<std::uint8_t>();
        if (wan_labels != nullptr && wan_labels->count(label) == 0) {
          lv.fail(fmt::format("no WAN link has label {}", label));
        }
        rule.labels.push_back(label);
      }
      p.rules.push_back(std::move(rule));
      if (auto why = p.validate()) rv.fail(*why);
    }
  }
  return p;
}

// Remembers the line where each name was first seen, for "duplicate ... (first at line N)".
template <class K>
class FirstSeen {
 public:
  void add(const K& key, const Value& at, std::string_view what, std::string_view shown) {
    auto [it, fresh] = seen_.emplace(key, at.line());
    if (!fresh) at.fail(fmt::format("duplicate {} {} (first at line {})", what, shown, it->second));
  }
  bool contains(const K& key) const { return seen_.count(key) != 0; }

 private:
  std::map<K, int> seen_;
};

// ---- LMA ----

// One MN's profile (`mns[i]`), or with `ids` null the `default_mn_profile`, which names no
// MN and owns no static prefix: it is shared by every MN-ID without a profile of its own.
core::MnProfile read_mn_profile(const Value& v, const LmaDaemonConfig& c,
                                FirstSeen<core::MnId>* ids,
                                std::map<wire::Ipv6Prefix, std::string>& prefix_owner) {
  auto m = ids ? v.map({"id", "proxy_enabled", "allowed_mags", "prefixes", "prefixes_per_session",
                        "features", "multipath", "attach_flows"})
               : v.map({"proxy_enabled", "allowed_mags", "prefixes_per_session", "features", "multipath",
                        "attach_flows"});
  core::MnProfile p;
  if (ids) {
    auto idv = m.need("id");
    p.id = read_mn_id(idv);
    ids->add(p.id, idv, "MN id", in_quotes(p.id.value));
  }
  p.proxy_enabled = m.flag("proxy_enabled", p.proxy_enabled);
  if (auto list = m.find("allowed_mags")) {
    FirstSeen<wire::Ipv6Address> seen;
    for (const auto& a : list->list()) {
      auto addr = a.global_ipv6_address();
      seen.add(addr, a, "MAG", addr.to_string());
      if (std::find(c.mags.begin(), c.mags.end(), addr) == c.mags.end()) {
        a.fail(fmt::format("{} is not an authorized MAG (not in mags)", addr.to_string()));
      }
      p.allowed_mags.push_back(addr);
    }
  }
  if (auto list = m.find("prefixes")) {
    for (const auto& pv : list->list()) {
      auto prefix = pv.ipv6_prefix();
      if (prefix.length != 64)
        pv.fail(fmt::format("an MN prefix must be a /64, got /{}", prefix.length));
      if (c.pool && (c.pool->contains(prefix.address) || prefix.contains(c.pool->address))) {
        pv.fail(fmt::format("{} is inside the pool {}", prefix.to_string(), c.pool->to_string()));
      }
      auto [it, fresh] = prefix_owner.emplace(prefix, p.id.value);
      if (!fresh && it->second == p.id.value) {
        pv.fail(fmt::format("{} is listed twice", prefix.to_string()));
      }
      if (!fresh) {
        pv.fail(fmt::format("{} is already a prefix of MN {}", prefix.to_string(),
                            in_quotes(it->second)));
      }
      p.static_prefixes.push_back(prefix);
    }
  }
  p.prefixes_per_session = m.number<std::uint32_t>("prefixes_per_session", 1, 1, 255);
  if (auto f = m.find("features")) {
    auto fm = f->map({"shared_prefixes", "muho", "multipath", "primary_hoa"});
    p.features.shared_prefixes = fm.flag("shared_prefixes", false);
    p.features.muho = fm.flag("muho", false);
    p.features.multipath = fm.flag("multipath", false);
    p.features.primary_hoa = fm.flag("primary_hoa", false);
  }
  if (auto mp = m.find("multipath")) {
    if (!p.features.multipath) mp->fail("a multipath policy needs features.multipath: true");
    p.multipath = read_multipath(*mp, nullptr);
  }
  if (auto list = m.find("attach_flows")) {
    // The engine keeps these flows in its flow mobility cache: check them with the cache's
    // own rules (FID 0, FID-PRI clashes). The BIDs are the new entry's, filled in at attach.
    core::FlowMobilityCache scratch;
    std::set<std::pair<wire::AccessTech, std::uint16_t>> seen;
    for (const auto& fv : list->list()) {
      auto fm = fv.map({"att", "fid", "priority", "selector"});
      core::AttachFlowRule rule;
      rule.att = read_att(fm.need("att"));
      rule.flow.fid = fm.need("fid").number<std::uint16_t>();
      rule.flow.priority = fm.need("priority").number<std::uint16_t>();
      rule.flow.selector = read_selector(fm.need("selector"));
      rule.flow.action = core::FlowAction::kForward;
      if (!seen.emplace(rule.att, rule.flow.fid).second) {
        fv.fail(fmt::format("flow {} is already listed for this access technology", rule.flow.fid));
      }
      auto probe = rule.flow;
      probe.bids = {1};
      if (auto why = scratch.upsert(p.id, probe)) fv.fail(*why);
      p.attach_flows.push_back(std::move(rule));
    }
  }
  if (p.static_prefixes.empty() && !c.pool) {
    if (!ids) v.fail("the default MN profile assigns prefixes from the pool: a pool is needed");
    v.fail(fmt::format("MN {} has no prefixes and there is no pool to assign from",
                       in_quotes(p.id.value)));
  }
  return p;
}

LmaDaemonConfig read_lma(const Value& root) {
  auto top =
      root.map({"address", "mags", "pool", "timestamps", "mn_generated_timestamps",
                "timestamp_window_ms", "min_delay_before_bce_delete_ms",
                "max_delay_before_new_bce_assign_ms", "wait_on_unknown_handoff", "max_lifetime_s",
                "fixed_mag_link_local", "fmi_flow_information", "multipath", "upn_retransmit_delay_ms",
                "upn_max_retransmissions", "muho_option_type", "mns", "default_mn_profile", "dataplane",
                "api", "log"});
  LmaDaemonConfig c;
  auto& e = c.engine;
  e.address = top.need("address").global_ipv6_address();

  auto mags = top.need("mags");
  FirstSeen<wire::Ipv6Address> seen_mags;
  for (const auto& a : mags.list()) {
    auto addr = a.global_ipv6_address();
    seen_mags.add(addr, a, "MAG", addr.to_string());
    c.mags.push_back(addr);
  }
  if (c.mags.empty()) mags.fail("at least one MAG is needed");

  if (auto pv = top.find("pool")) {
    auto pm = pv->map({"prefix", "length"});
    auto base = pm.need("prefix").ipv6_prefix();
    c.pool_delegated_length = pm.number<std::uint8_t>("length", 64, 1, 128);
    if (!core::PrefixPool::create(base, c.pool_delegated_length)) {
      pv->fail(fmt::format(
          "cannot split {} into /{} prefixes (the length must be above /{}, at most 128, "
          "and the pool at most 2^24 prefixes)",
          base.to_string(), c.pool_delegated_length, base.length));
    }
    c.pool = base;
  }

  e.timestamps = top.flag("timestamps", e.timestamps);
  e.mn_generated_timestamps = top.flag("mn_generated_timestamps", e.mn_generated_timestamps);
  e.multipath = top.flag("multipath", e.multipath);
  e.timestamp_window = read_ms(top, "timestamp_window_ms", e.timestamp_window, 1, 60'000);
  e.min_delay_before_bce_delete =
      read_ms(top, "min_delay_before_bce_delete_ms", e.min_delay_before_bce_delete, 0, 600'000);
  e.max_delay_before_new_bce_assign = read_ms(top, "max_delay_before_new_bce_assign_ms",
                                              e.max_delay_before_new_bce_assign, 0, 600'000);
  e.wait_on_unknown_handoff = top.flag("wait_on_unknown_handoff", e.wait_on_unknown_handoff);
  e.max_lifetime_s =
      top.number<std::uint32_t>("max_lifetime_s", e.max_lifetime_s, 4, kMaxBindingLifetimeS);
  if (auto v = top.find("fixed_mag_link_local")) e.fixed_mag_link_local = read_link_local(*v);
  e.fmi_flow_information = top.flag("fmi_flow_information", e.fmi_flow_information);
  e.upn_retransmit_delay =
      read_ms(top, "upn_retransmit_delay_ms", e.upn_retransmit_delay, 1, 60'000);
  e.upn_max_retransmissions =
      top.number<std::uint32_t>("upn_max_retransmissions", e.upn_max_retransmissions, 0, 100);
  read_muho_option_type(top, e.codec);

  if (auto list = top.find("mns")) {
    FirstSeen<core::MnId> seen_ids;
    std::map<wire::Ipv6Prefix, std::string> prefix_owner;
    for (const auto& mv : list->list()) {
      c.mns.push_back(read_mn_profile(mv, c, &seen_ids, prefix_owner));
    }
  }
  if (auto dv = top.find("default_mn_profile")) {
    std::map<wire::Ipv6Prefix, std::string> no_prefixes;
    c.default_mn = read_mn_profile(*dv, c, nullptr, no_prefixes);
  }
  c.api = read_api(top, kLmaApiPort);
  c.dataplane = read_dataplane(top);
  c.log = read_log(top);
  return c;
}

// ---- MAG ----

MagDaemonConfig read_mag(const Value& root) {
  auto top = root.map({"lma",
                       "proxy_coa",
                       "mag_id",
                       "wan_links",
                       "access_links",
                       "mns",
                       "lifetime_s",
                       "timestamps",
                       "initial_bindack_timeout_ms",
                       "max_bindack_timeout_ms",
                       "report_after_transmissions",
                       "refresh_percent",
                       "link_local",
                       "router_lifetime_s",
                       "ra_interval_s",
                       "prefix_valid_lifetime_s",
                       "prefix_preferred_lifetime_s",
                       "mtu",
                       "multipath",
                       "muho_option_type",
                       "dataplane",
                       "api",
                       "log"});
  MagDaemonConfig c;
  auto& e = c.engine;
  e.lmaa = top.need("lma").global_ipv6_address();

  FirstSeen<std::string> interfaces;
  std::set<std::uint8_t> wan_labels;
  if (auto list = top.find("wan_links")) {
    FirstSeen<wire::Ipv6Address> addresses;
    for (const auto& wv : list->list()) {
      auto wm = wv.map({"interface", "address", "att", "label"});
      WanLinkConfig w;
      auto iv = wm.need("interface");
      w.interface = read_interface_name(iv);
      interfaces.add(w.interface, iv, "interface", in_quotes(w.interface));
      auto av = wm.need("address");
      w.link.proxy_coa = av.global_ipv6_address();
      addresses.add(w.link.proxy_coa, av, "WAN address", w.link.proxy_coa.to_string());
      if (auto att = wm.find("att")) w.link.att = read_att(*att);
      w.link.label = wm.number<std::uint8_t>("label", 0);
      wan_labels.insert(w.link.label);
      c.wan_links.push_back(w);
      e.wan_links.push_back(w.link);
    }
    if (c.wan_links.empty()) list->fail("at least one WAN link is needed when wan_links is given");
  }
  if (c.wan_links.empty()) {
    e.proxy_coa = top.need("proxy_coa").global_ipv6_address();
  } else {
    e.proxy_coa = c.wan_links.front().link.proxy_coa;
    if (auto v = top.find("proxy_coa")) {
      if (v->global_ipv6_address() != e.proxy_coa) {
        v->fail(fmt::format("must equal wan_links[0].address ({}) or be left out",
                            e.proxy_coa.to_string()));
      }
    }
  }

  // MNs before access links: a link names its default MN.
  std::map<core::MnId, bool> mn_multipath;
  std::optional<Value> first_multipath_mn;
  if (auto list = top.find("mns")) {
    FirstSeen<core::MnId> ids;
    std::map<std::string, std::string> mac_owner;
    for (const auto& mv : list->list()) {
      auto mm = mv.map({"id", "link_layer", "muho", "multipath", "shared_prefixes"});
      MagMnConfig mn;
      auto idv = mm.need("id");
      mn.id = read_mn_id(idv);
      ids.add(mn.id, idv, "MN id", in_quotes(mn.id.value));
      if (auto ll = mm.find("link_layer")) {
        for (const auto& lv : ll->list()) {
          auto mac = read_mac(lv);
          auto [it, fresh] = mac_owner.emplace(mac, mn.id.value);
          if (!fresh)
            lv.fail(fmt::format("{} is already a link-layer address of MN {}", mac,
                                in_quotes(it->second)));
          mn.link_layer.push_back(mac);
        }
      }
      mn.muho = mm.flag("muho", false);
      mn.multipath = mm.flag("multipath", false);
      mn.shared_prefixes = mm.flag("shared_prefixes", false);
      if (mn.multipath && !first_multipath_mn) first_multipath_mn = mm.need("multipath");
      mn_multipath[mn.id] = mn.multipath;
      c.mns.push_back(std::move(mn));
    }
  }

  auto links = top.need("access_links");
  for (const auto& lv : links.list()) {
    auto lm = lv.map({"interface", "att", "mn"});
    AccessLinkConfig link;
    auto iv = lm.need("interface");
    link.interface = read_interface_name(iv);
    interfaces.add(link.interface, iv, "interface", in_quotes(link.interface));
    if (auto att = lm.find("att")) link.att = read_att(*att);
    if (auto mv = lm.find("mn")) {
      auto id = read_mn_id(*mv);
      if (mn_multipath.count(id) == 0)
        mv->fail(fmt::format("no MN {} in mns", in_quotes(id.value)));
      link.mn_id = id.value;
    }
    c.access_links.push_back(std::move(link));
  }
  if (c.access_links.empty()) links.fail("at least one access link is needed");

  if (auto v = top.find("mag_id")) e.mag_id = read_identifier(*v);
  if (e.mag_id.empty()) {
    if (c.wan_links.size() > 1) {
      top.need("wan_links")
          .fail_for("mag_id", "required with more than one WAN link (RFC 8278 MAG Identifier)");
    }
    if (first_multipath_mn) {
      first_multipath_mn->fail_for(
          "mag_id", "required when an MN has multipath: true (RFC 8278 MAG Identifier)");
    }
  }

  e.requested_lifetime_s =
      top.number<std::uint32_t>("lifetime_s", e.requested_lifetime_s, 4, kMaxBindingLifetimeS);
  e.timestamps = top.flag("timestamps", e.timestamps);
  e.initial_bindack_timeout =
      read_ms(top, "initial_bindack_timeout_ms", e.initial_bindack_timeout, 1, 600'000);
  e.max_bindack_timeout =
      read_ms(top, "max_bindack_timeout_ms", e.max_bindack_timeout, 1, 3'600'000);
  if (e.max_bindack_timeout < e.initial_bindack_timeout) {
    auto v = top.find("max_bindack_timeout_ms") ? top.need("max_bindack_timeout_ms")
                                                : top.need("initial_bindack_timeout_ms");
    v.fail_for("max_bindack_timeout_ms", "must not be below initial_bindack_timeout_ms");
  }
  e.report_after_transmissions = top.number<std::uint32_t>("report_after_transmissions",
                                                           e.report_after_transmissions, 1, 1000);
  e.refresh_percent = top.number<unsigned>("refresh_percent", e.refresh_percent, 50, 95);
  wire::Ipv6Address fe80_1 = *wire::Ipv6Address::parse("fe80::1");
  e.fixed_link_local = fe80_1;
  if (auto v = top.find("link_local")) e.fixed_link_local = read_link_local(*v);

  // RFC 4861 §6.2.1: MaxRtrAdvInterval 4..1800 s; AdvDefaultLifetime 0 or
  // MaxRtrAdvInterval..9000 s; AdvPreferredLifetime <= AdvValidLifetime.
  c.ra_interval_s = top.number<std::uint32_t>("ra_interval_s", c.ra_interval_s, 4, 1800);
  c.router_lifetime_s =
      top.number<std::uint32_t>("router_lifetime_s", c.router_lifetime_s, 0, 9000);
  if (c.router_lifetime_s != 0 && c.router_lifetime_s < c.ra_interval_s) {
    auto v =
        top.find("router_lifetime_s") ? top.need("router_lifetime_s") : top.need("ra_interval_s");
    v.fail_for("router_lifetime_s",
               fmt::format("must be 0 or at least ra_interval_s ({})", c.ra_interval_s));
  }
  c.prefix_valid_lifetime_s =
      top.number<std::uint32_t>("prefix_valid_lifetime_s", c.prefix_valid_lifetime_s);
  c.prefix_preferred_lifetime_s =
      top.number<std::uint32_t>("prefix_preferred_lifetime_s", c.prefix_preferred_lifetime_s);
  if (c.prefix_preferred_lifetime_s > c.prefix_valid_lifetime_s) {
    auto v = top.find("prefix_preferred_lifetime_s") ? top.need("prefix_preferred_lifetime_s")
                                                     : top.need("prefix_valid_lifetime_s");
    v.fail_for(
        "prefix_preferred_lifetime_s",
        fmt::format("must not exceed prefix_valid_lifetime_s ({})", c.prefix_valid_lifetime_s));
  }
  if (auto v = top.find("mtu")) {
    c.mtu = v->number<std::uint32_t>(0, 65535);
    if (c.mtu != 0 && c.mtu < 1280)
      v->fail(fmt::format("must be 0 (automatic) or 1280..65535, got {}", c.mtu));
  }
  if (auto v = top.find("multipath")) e.multipath = read_multipath(*v, &wan_labels);
  read_muho_option_type(top, e.codec);
  c.api = read_api(top, kMagApiPort);
  c.dataplane = read_dataplane(top);
  c.log = read_log(top);
  return c;
}

// ---- MN ----

MnDaemonConfig read_mn(const Value& root) {
  auto top = root.map({"id", "addressing", "primary_hoa", "route_metric_base", "interfaces",
                       "rules", "rs_interval_ms", "dataplane", "api", "log"});
  MnDaemonConfig c;
  c.id = read_mn_id(top.need("id"));
  if (auto v = top.find("addressing")) {
    c.agent.addressing = v->one_of({"per-interface", "logical"}) == "logical"
                             ? core::Addressing::kLogical
                             : core::Addressing::kPerInterface;
  }
  c.agent.primary_hoa = top.flag("primary_hoa", c.agent.primary_hoa);
  c.agent.route_metric_base =
      top.number<std::uint32_t>("route_metric_base", c.agent.route_metric_base, 0, 0x7fffffff);

  auto ifaces = top.need("interfaces");
  FirstSeen<std::string> names;
  std::set<std::string> labels;
  std::optional<std::string> primary_path;
  for (const auto& iv : ifaces.list()) {
    auto im = iv.map({"interface", "att", "ifp", "primary", "shared_prefixes", "label"});
    MnInterfaceConfig i;
    auto nv = im.need("interface");
    i.interface = read_interface_name(nv);
    names.add(i.interface, nv, "interface", in_quotes(i.interface));
    if (auto att = im.find("att")) i.att = read_att(*att);
    i.ifp = im.number<std::uint8_t>("ifp", 0);
    i.primary = im.flag("primary", false);
    if (i.primary) {
      auto pv = im.need("primary");
      if (!c.agent.primary_hoa) pv.fail("needs primary_hoa: true (the seed 003 scheme)");
      if (primary_path)
        pv.fail(fmt::format("only one interface may be primary ({} is)", *primary_path));
      primary_path = iv.path();
    }
    i.shared_prefixes = im.flag("shared_prefixes", false);
    if (auto lv = im.find("label")) {
      i.label = lv->non_empty_text();
      labels.insert(*i.label);
    }
    c.interfaces.push_back(std::move(i));
  }
  if (c.interfaces.empty()) ifaces.fail("at least one interface is needed");

  if (auto list = top.find("rules")) {
    // The agent's own table checks each rule (id 0, selector, labels, priority clashes);
    // interfaces get stand-in ifindexes, known only at run time.
    core::UplinkRuleTable table;
    FirstSeen<std::uint32_t> ids;
    for (const auto& rv : list->list()) {
      auto rm = rv.map({"id", "priority", "selector", "interface", "labels"});
      MnRuleConfig r;
      auto idv = rm.need("id");
      r.id = idv.number<std::uint32_t>(1);
      ids.add(r.id, idv, "rule id", std::to_string(r.id));
      // Kernel rules sit between the local table and the per-address source rules.
      r.priority = rm.need("priority").number<std::uint16_t>(0, static_cast<std::uint16_t>(kMnMaxUplinkPriority));
      r.selector = read_selector(rm.need("selector"));
      auto iface = rm.find("interface");
      auto lab = rm.find("labels");
      if (iface.has_value() == lab.has_value()) rv.fail("give exactly one of interface, labels");
      core::UplinkRule rule{r.id, r.priority, r.selector, core::ToInterface{1}};
      if (iface) {
        r.interface = iface->non_empty_text();
        if (!names.contains(r.interface))
          iface->fail(fmt::format("no interface {} in interfaces", in_quotes(r.interface)));
      } else {
        for (const auto& lv : lab->list()) {
          auto l = lv.non_empty_text();
          if (labels.count(l) == 0) lv.fail(fmt::format("no interface has label {}", in_quotes(l)));
          r.labels.push_back(l);
        }
        rule.target = core::ToLabels{r.labels};
      }
      if (auto why = table.upsert(rule)) rv.fail(*why);
      c.rules.push_back(std::move(r));
    }
  }
  c.rs_interval_ms = top.number<std::uint32_t>("rs_interval_ms", c.rs_interval_ms, 100, 3'600'000);
  c.dataplane = read_dataplane(top);
  if (c.dataplane.enabled && !c.agent.primary_hoa) {
    top.need("dataplane").fail("the MN's data plane is the seed 003 primary-HoA scheme: needs primary_hoa: true");
  }
  c.api = read_api(top, kMnApiPort);
  c.log = read_log(top);
  return c;
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path, 0, "", "cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, 0, "",
                      "cannot open: " + std::error_code(errno, std::generic_category()).message());
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path, 0, "", "cannot read");
  return text.str();
}

}  // namespace

ConfigError::ConfigError(const std::string& file, int line, const std::string& key,
                         const std::string& what)
    : std::runtime_error(format_error(file, line, key, what)),
      file_(file),
      line_(line),
      key_(key) {}

LmaDaemonConfig parse_lma_config(const std::string& yaml, const std::string& name) {
  return read_lma(config_reader::load_document(yaml, name));
}
MagDaemonConfig parse_mag_config(const std::string& yaml, const std::string& name) {
  return read_mag(config_reader::load_document(yaml, name));
}
MnDaemonConfig parse_mn_config(const std::string& yaml, const std::string& name) {
  return read_mn(config_reader::load_document(yaml, name));
}

LmaDaemonConfig load_lma_config(const std::string& path) {
  return parse_lma_config(read_file(path), path);
}
MagDaemonConfig load_mag_config(const std::string& path) {
  return parse_mag_config(read_file(path), path);
}
MnDaemonConfig load_mn_config(const std::string& path) {
  return parse_mn_config(read_file(path), path);
}

}  // namespace pmipx::daemon

namespace pmipx::daemon {

wire::TrafficSelector parse_selector(const std::string& text, const std::string& name) {
  return read_selector(config_reader::load_document(text, name));
}

}  // namespace pmipx::daemon
