#include "wire/print.hpp"

#include <fmt/format.h>

#include "wire/hex.hpp"
#include "wire/names.hpp"
#include "wire/option_codec.hpp"

namespace pmipx::wire {
namespace {

Json coded(std::uint32_t value, const char* name) {
  Json j;
  j["value"] = value;
  j["name"] = name ? name : "unassigned";
  return j;
}


std::string flag_list(std::uint32_t flags, std::initializer_list<std::pair<std::uint32_t, const char*>> names) {
  std::string s;
  for (const auto& [mask, name] : names) {
    if (flags & mask) s += s.empty() ? name : std::string(",") + name;
  }
  return s.empty() ? "-" : s;
}

Json identifier_json(MnIdSubtype subtype, const std::string& id) {
  Json j;
  auto st = static_cast<std::uint8_t>(subtype);
  j["subtype"] = coded(st, mn_id_subtype_name(st));
  bool printable = subtype == MnIdSubtype::kNai;
  for (char c : id) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable) {
    j["identifier"] = id;
  } else {
    j["identifier_hex"] = to_hex(ByteView(reinterpret_cast<const std::uint8_t*>(id.data()), id.size()));
  }
  return j;
}

template <class T>
void put_bound(Json& j, const char* key, const std::optional<Bound<T>>& b) {
  if (!b) return;
  auto text = [](const auto& v) -> Json {
    if constexpr (std::is_integral_v<std::decay_t<decltype(v)>>) {
      return v;
    } else {
      return v.to_string();
    }
  };
  if (b->end) {
    j[key] = Json::array({text(b->start), text(*b->end)});
  } else {
    j[key] = text(b->start);
  }
}


struct OptionFields {
  Json& j;
  void operator()(const MnIdOption& o) const { j.update(identifier_json(o.subtype, o.identifier)); }
  void operator()(const MagIdentifierOption& o) const { j.update(identifier_json(o.subtype, o.identifier)); }
  void operator()(const HnpOption& o) const {
    j["prefix"] = o.prefix.to_string();
    j["off_link"] = o.off_link;
  }
  void operator()(const MuhoOption& o) const { j["prefix"] = o.prefix.to_string(); }
  void operator()(const HandoffIndicatorOption& o) const {
    auto v = static_cast<std::uint8_t>(o.value);
    j["hi"] = coded(v, handoff_indicator_name(v));
  }
  void operator()(const AccessTechTypeOption& o) const {
    auto v = static_cast<std::uint8_t>(o.value);
    j["att"] = coded(v, access_tech_name(v));
  }
  void operator()(const MnLinkLayerIdOption& o) const {
    j["ifp"] = o.ifp;
    j["primary"] = o.primary;
    j["link_layer_id"] = to_hex(o.link_layer_id);
  }
  void operator()(const LinkLocalAddressOption& o) const { j["address"] = o.address.to_string(); }
  void operator()(const AlternateCoaOption& o) const { j["address"] = o.address.to_string(); }
  void operator()(const TimestampOption& o) const {
    j["seconds"] = o.value.seconds();
    j["fraction"] = o.value.fraction();
    j["raw_hex"] = fmt::format("{:016x}", o.value.raw);
  }
  void operator()(const RestartCounterOption& o) const { j["counter"] = o.value; }
  void operator()(const GreKeyOption& o) const {
    if (o.key) {
      j["key"] = *o.key;
    } else {
      j["key"] = nullptr;
    }
  }
  void operator()(const BindingIdOption& o) const {
    j["bid"] = o.bid;
    j["priority"] = o.priority;
    j["status"] = o.status;
    j["h"] = o.h;
    if (const auto* v4 = std::get_if<Ipv4Address>(&o.care_of)) j["care_of"] = v4->to_string();
    if (const auto* v6 = std::get_if<Ipv6Address>(&o.care_of)) j["care_of"] = v6->to_string();
  }
  void operator()(const Ipv4HomeAddressRequestOption& o) const {
    j["address"] = Ipv4Prefix{o.address, o.prefix_length}.to_string();
  }
  void operator()(const Ipv4HomeAddressReplyOption& o) const {
    j["status"] = o.status;
    j["address"] = Ipv4Prefix{o.address, o.prefix_length}.to_string();
  }
  void operator()(const Ipv4DefaultRouterOption& o) const { j["address"] = o.address.to_string(); }
  void operator()(const Ipv4DhcpSupportModeOption& o) const { j["mode"] = o.server ? "server" : "relay"; }
  void operator()(const FlowSummaryOption& o) const { j["fids"] = o.fids; }
  void operator()(const FlowIdOption& o) const {
    j["fid"] = o.fid;
    j["priority"] = o.priority;
    j["status"] = coded(o.status, flow_id_status_name(o.status));
    if (o.selector) j["selector"] = selector_json(*o.selector);
    if (!o.bid_refs.empty()) j["bids"] = o.bid_refs;
    if (o.action) {
      auto a = static_cast<std::uint8_t>(*o.action);
      j["action"] = coded(a, flow_binding_action_name(a));
    }
    if (o.target_care_of) {
      j["target_care_of"] = std::visit([](const auto& a) { return a.to_string(); }, o.target_care_of->address);
    }
    for (const auto& u : o.unknown) {
      j["unknown_suboptions"].push_back({{"type", u.type}, {"data_hex", to_hex(u.data)}});
    }
  }
  void operator()(const MnGroupIdOption& o) const {
    j["subtype"] = o.subtype;
    j["group_id"] = o.group_id;
  }
  void operator()(const DmnpOption& o) const {
    j["prefix"] = std::visit([](const auto& p) { return p.to_string(); }, o.prefix);
  }
  void operator()(const VendorSpecificOption& o) const {
    j["vendor_id"] = o.vendor_id;
    j["subtype"] = o.subtype;
    j["data_hex"] = to_hex(o.data);
  }
  void operator()(const AuthOption& o) const {
    j["subtype"] = coded(o.subtype, o.subtype == 1 ? "MN-HA" : "MN-AAA");
    j["spi"] = o.spi;
    j["authenticator_hex"] = to_hex(o.authenticator);
  }
  void operator()(const ReplayProtectionOption& o) const {
    j["timestamp_hex"] = fmt::format("{:016x}", o.timestamp);
  }
  void operator()(const ExperimentalOption& o) const { j["data_hex"] = to_hex(o.data); }
  void operator()(const MagMultipathBindingOption& o) const {
    auto att = static_cast<std::uint8_t>(o.if_att);
    j["if_att"] = coded(att, access_tech_name(att));
    j["if_label"] = o.if_label;
    j["bid"] = o.bid;
    j["bulk"] = o.bulk;
    j["overwrite"] = o.overwrite;
  }
  void operator()(const UnknownOption& o) const { j["data_hex"] = to_hex(o.data); }
};

std::string scalar_text(const Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    bool plain = !s.empty() && s.find_first_of(" \"=") == std::string::npos;
    return plain ? s : v.dump();
  }
  if (v.is_object() && v.size() == 2 && v.contains("value") && v.contains("name")) {
    return fmt::format("{} ({})", v["value"].dump(), v["name"].get<std::string>());
  }
  if (v.is_object()) return "{" + render_fields(v) + "}";
  if (v.is_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + scalar_text(v[i]);
    return s + "]";
  }
  return v.dump();
}

}  // namespace

Json selector_json(const TrafficSelector& ts) {
  Json j;
  j["format"] = ts_format(ts);
  if (const auto* v6 = std::get_if<Ipv6TrafficSelector>(&ts)) {
    put_bound(j, "src", v6->src);
    put_bound(j, "dst", v6->dst);
    put_bound(j, "spi", v6->spi);
    put_bound(j, "flow_label", v6->flow_label);
    put_bound(j, "src_port", v6->src_port);
    put_bound(j, "dst_port", v6->dst_port);
    put_bound(j, "traffic_class", v6->traffic_class);
    put_bound(j, "next_header", v6->next_header);
  } else if (const auto* v4 = std::get_if<Ipv4TrafficSelector>(&ts)) {
    put_bound(j, "src", v4->src);
    put_bound(j, "dst", v4->dst);
    put_bound(j, "spi", v4->spi);
    put_bound(j, "src_port", v4->src_port);
    put_bound(j, "dst_port", v4->dst_port);
    put_bound(j, "ds", v4->ds);
    put_bound(j, "protocol", v4->protocol);
  } else {
    j["data_hex"] = to_hex(std::get<RawTrafficSelector>(ts).data);
  }
  return j;
}

std::string message_name(const Message& m) {
  struct Visitor {
    std::string operator()(const BindingUpdate& b) const { return b.has(bu_flag::kP) ? "PBU" : "BU"; }
    std::string operator()(const BindingAck& b) const { return b.has(ba_flag::kP) ? "PBA" : "BA"; }
    std::string operator()(const BindingError&) const { return "BE"; }
    std::string operator()(const Heartbeat&) const { return "HB"; }
    std::string operator()(const BindingRevocationIndication&) const { return "BRI"; }
    std::string operator()(const BindingRevocationAck&) const { return "BRA"; }
    std::string operator()(const UpdateNotification& u) const {
      return u.reason == NotificationReason::kFlowMobility ? "FMI" : "UPN";
    }
    std::string operator()(const UpdateNotificationAck&) const { return "UPA"; }
  };
  return std::visit(Visitor{}, m.body);
}

Json to_json(const MobilityOption& o, const CodecConfig& config) {
  Json j;
  std::uint8_t type = detail::option_type_of(o, config);
  const char* name = std::holds_alternative<MuhoOption>(o) ? "MuHo" : option_name(type);
  j["option"] = name ? name : "unknown";
  j["type"] = type;
  std::visit(OptionFields{j}, o);
  return j;
}

Json to_json(const Message& m, const CodecConfig& config) {
  Json j;
  j["message"] = message_name(m);
  auto type = static_cast<std::uint8_t>(mh_type(m.body));
  j["mh_type"] = coded(type, mh_type_name(type));
  struct Visitor {
    Json& j;
    void operator()(const BindingUpdate& b) const {
      j["sequence"] = b.sequence;
      j["flags"] = flag_list(b.flags, {{bu_flag::kA, "A"}, {bu_flag::kH, "H"}, {bu_flag::kL, "L"},
                                       {bu_flag::kK, "K"}, {bu_flag::kM, "M"}, {bu_flag::kR, "R"},
                                       {bu_flag::kP, "P"}, {bu_flag::kF, "F"}, {bu_flag::kT, "T"},
                                       {bu_flag::kB, "B"}, {bu_flag::kS, "S"}, {bu_flag::kD, "D"}});
      j["lifetime"] = b.lifetime.units;
      j["lifetime_s"] = b.lifetime.seconds();
    }
    void operator()(const BindingAck& b) const {
      auto s = static_cast<std::uint8_t>(b.status);
      j["status"] = coded(s, ba_status_name(s));
      j["flags"] = flag_list(b.flags, {{ba_flag::kK, "K"}, {ba_flag::kR, "R"}, {ba_flag::kP, "P"},
                                       {ba_flag::kT, "T"}, {ba_flag::kB, "B"}, {ba_flag::kS, "S"},
                                       {ba_flag::kD, "D"}});
      j["sequence"] = b.sequence;
      j["lifetime"] = b.lifetime.units;
      j["lifetime_s"] = b.lifetime.seconds();
    }
    void operator()(const BindingError& b) const {
      auto s = static_cast<std::uint8_t>(b.status);
      j["status"] = coded(s, s == 1 ? "unknown binding for home address destination option"
                                    : "unrecognized MH type");
      j["home_address"] = b.home_address.to_string();
    }
    void operator()(const Heartbeat& h) const {
      j["response"] = h.response;
      j["unsolicited"] = h.unsolicited;
      j["sequence"] = h.sequence;
    }
    static void flags(Json& j, const RevocationFlags& f) {
      j["flags"] = flag_list((f.proxy ? 4u : 0u) | (f.ipv4_only ? 2u : 0u) | (f.global ? 1u : 0u),
                             {{4, "P"}, {2, "V"}, {1, "G"}});
    }
    void operator()(const BindingRevocationIndication& b) const {
      auto t = static_cast<std::uint8_t>(b.trigger);
      j["trigger"] = coded(t, revocation_trigger_name(t));
      j["sequence"] = b.sequence;
      flags(j, b.flags);
    }
    void operator()(const BindingRevocationAck& b) const {
      auto s = static_cast<std::uint8_t>(b.status);
      j["status"] = coded(s, revocation_status_name(s));
      j["sequence"] = b.sequence;
      flags(j, b.flags);
    }
    void operator()(const UpdateNotification& u) const {
      auto r = static_cast<std::uint16_t>(u.reason);
      j["sequence"] = u.sequence;
      j["reason"] = coded(r, notification_reason_name(r));
      j["flags"] = flag_list((u.ack_requested ? 2u : 0u) | (u.retransmission ? 1u : 0u), {{2, "A"}, {1, "D"}});
    }
    void operator()(const UpdateNotificationAck& u) const {
      auto s = static_cast<std::uint8_t>(u.status);
      j["sequence"] = u.sequence;
      j["status"] = coded(s, notification_ack_status_name(s));
    }
  };
  std::visit(Visitor{j}, m.body);
  j["options"] = Json::array();
  for (const auto& o : m.options) j["options"].push_back(to_json(o, config));
  return j;
}

Json to_json(const WireError& e) {
  Json j;
  j["error"] = to_string(e.code);
  j["offset"] = e.offset;
  j["what"] = e.what;
  j["value"] = e.value;
  return j;
}

std::string render_fields(const Json& object) {
  std::string s;
  for (const auto& [key, value] : object.items()) {
    if (!s.empty()) s += ' ';
    s += key;
    s += '=';
    s += scalar_text(value);
  }
  return s;
}

std::string to_text(const Message& m, const CodecConfig& config) {
  Json j = to_json(m, config);
  Json head = j;
  head.erase("message");
  head.erase("options");
  std::string s = j["message"].get<std::string>() + " " + render_fields(head) + "\n";
  for (const auto& o : j["options"]) {
    Json fields = o;
    fields.erase("option");
    fields.erase("type");
    s += fmt::format("  {}({}) {}\n", o["option"].get<std::string>(), o["type"].get<int>(),
                     render_fields(fields));
  }
  return s;
}

}  // namespace pmipx::wire
