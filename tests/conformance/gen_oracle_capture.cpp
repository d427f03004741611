// Builds the conformance capture: one raw-IPv6 pcap holding every Mobility Header message
// type and every mobility option the wire codec can emit, plus two data packets with the
// extension headers pmipx writes (type 2 routing header, primary-HoA destination options).
// Beside it goes a JSON "expectations" file: per frame, the tshark 4.0 fields that
// PROTOCOL.md §13 says are decoded, with the values this program encoded.
//
// The expectations are derived from the typed C++ values handed to the encoder, never from
// tshark's output: test_oracle.py then compares them with what tshark decodes, so tshark acts
// as an independent oracle for the codec (PROTOCOL.md §14.10 did the same by hand).
//
// usage: gen_oracle_capture OUT.pcap OUT.json
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/pcap_file.hpp"
#include "wire/checksum.hpp"
#include "wire/codec.hpp"
#include "wire/ipv6_packet.hpp"
#include "wire/message.hpp"
#include "wire/option.hpp"
#include "wire/traffic_selector.hpp"

namespace {

using namespace pmipx::wire;
using Json = nlohmann::ordered_json;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "gen_oracle_capture: %s\n", why.c_str());
  std::exit(2);
}

Ipv6Address v6(std::string_view text) {
  auto a = Ipv6Address::parse(text);
  if (!a) die("bad IPv6 literal " + std::string(text));
  return *a;
}
Ipv4Address v4(std::string_view text) {
  auto a = Ipv4Address::parse(text);
  if (!a) die("bad IPv4 literal " + std::string(text));
  return *a;
}
Ipv6Prefix p6(std::string_view text) {
  auto p = Ipv6Prefix::parse(text);
  if (!p) die("bad IPv6 prefix " + std::string(text));
  return *p;
}

std::string hex(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (auto o : b) {
    s += kDigits[o >> 4];
    s += kDigits[o & 0xf];
  }
  return s;
}
ByteView view(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Expected tshark fields of one frame. Every field keeps all its occurrences in packet order,
// so repeated options (BID, VSM, DMNP...) are checked one by one. `kind` tells the test how to
// compare tshark's text with the value: uint, bool, ipv6, ipv4, string, bytes (hex), time
// ({epoch, seconds, fraction, fraction_bits}: a fixed-point timestamp as encoded).
class FieldExpectations {
 public:
  void uint(const char* field, std::uint64_t v) { add(field, "uint", v); }
  void flag(const char* field, bool v) { add(field, "bool", v); }
  void ipv6(const char* field, const Ipv6Address& a) { add(field, "ipv6", a.to_string()); }
  void ipv4(const char* field, const Ipv4Address& a) { add(field, "ipv4", a.to_string()); }
  void text(const char* field, const std::string& s) { add(field, "string", s); }
  void bytes(const char* field, ByteView b) { add(field, "bytes", hex(b)); }
  void time(const char* field, const char* epoch, std::uint64_t seconds, std::uint64_t fraction,
            int fraction_bits) {
    add(field, "time", Json{{"epoch", epoch}, {"seconds", seconds}, {"fraction", fraction},
                            {"fraction_bits", fraction_bits}});
  }
  const Json& json() const { return fields_; }

 private:
  void add(const char* field, const char* kind, Json value) {
    auto& e = fields_[field];
    if (e.is_null()) e = Json{{"kind", kind}, {"values", Json::array()}};
    if (e["kind"] != kind) die(std::string("field ") + field + " used with two kinds");
    e["values"].push_back(std::move(value));
  }
  Json fields_ = Json::object();
};

// Feature tags ("gre_key:no_key", "bid:coa_ipv6"...) the test requires across the capture, so
// dropping a variant from this generator fails loudly instead of silently shrinking coverage.
using Coverage = std::set<std::string>;

// ---- Option -> expected fields (PROTOCOL.md §13 table, one row per option) ----------------

struct OptionExpect {
  FieldExpectations& f;
  Coverage& cov;

  void operator()(const MnIdOption& o) const {
    f.uint("mip6.mnid.subtype", static_cast<std::uint8_t>(o.subtype));
    f.text("mip6.mnid.identifier", o.identifier);  // FT_STRING in 4.0
    cov.insert("mnid");
  }
  // HNP reuses the NEMO MNP fields; the L flag is not decoded (§13).
  void operator()(const HnpOption& o) const {
    f.uint("mip6.nemo.mnp.pfl", o.prefix.length);
    f.ipv6("mip6.nemo.mnp.mnp", o.prefix.address);
    cov.insert(o.off_link ? "hnp:l_flag" : "hnp");
    if (o.prefix.address.is_zero()) cov.insert("hnp:all_zero");
  }
  // MuHo sits on type 18, which tshark shows as the Experimental option (§13, §15): its data
  // is the HNP layout (flags 0, prefix length, prefix). tshark shows Length-2 octets of it
  // (§13 "(bug)"); the test knows that quirk.
  void operator()(const MuhoOption& o) const {
    Bytes body{0, o.prefix.length};
    body.insert(body.end(), o.prefix.address.octets.begin(), o.prefix.address.octets.end());
    f.bytes("mip6.em.data", body);
    cov.insert("muho");
  }
  void operator()(const HandoffIndicatorOption& o) const {
    f.uint("mip6.hi", static_cast<std::uint8_t>(o.value));
    cov.insert("hi:" + std::to_string(static_cast<int>(o.value)));
  }
  void operator()(const AccessTechTypeOption& o) const {
    f.uint("mip6.att", static_cast<std::uint8_t>(o.value));
    cov.insert("att");
  }
  // IFP and P occupy the two octets RFC 5213 reserves (§11.1, §15), which tshark shows as
  // mip6.mnlli.reserved.
  void operator()(const MnLinkLayerIdOption& o) const {
    f.uint("mip6.mnlli.reserved", (std::uint32_t{o.ifp} << 8) | (o.primary ? 0x80u : 0u));
    f.bytes("mip6.mnlli.lli", o.link_layer_id);
    cov.insert(o.primary ? "mnlli:primary" : "mnlli");
    if (o.ifp != 0) cov.insert("mnlli:ifp");
  }
  void operator()(const LinkLocalAddressOption& o) const {
    f.ipv6("mip6.lila_lla", o.address);
    cov.insert("lla");
  }
  // 48.16 Unix time (RFC 5213 §8.8, §4.8).
  void operator()(const TimestampOption& o) const {
    f.time("mip6.timestamp_tmp", "unix", o.value.seconds(), o.value.fraction(), 16);
    cov.insert("timestamp");
  }
  void operator()(const RestartCounterOption& o) const {
    f.uint("mip6.rc", o.value);
    cov.insert("restart_counter");
  }
  // Length 2 carries no key (RFC 5845, §4.10): tshark then has no mip6.gre_key.
  void operator()(const GreKeyOption& o) const {
    if (o.key) f.uint("mip6.gre_key", *o.key);
    cov.insert(o.key ? "gre_key:key" : "gre_key:no_key");
  }
  // BID-PRI is not decoded (§13); the H flag shares its octet.
  void operator()(const BindingIdOption& o) const {
    f.uint("mip6.bi.bid", o.bid);
    f.uint("mip6.bi.status", o.status);
    f.flag("mip6.bi.h_flag", o.h);
    if (const auto* a = std::get_if<Ipv4Address>(&o.care_of)) {
      f.ipv4("mip6.bi.coa_ipv4", *a);
      cov.insert("bid:coa_ipv4");
    } else if (const auto* b = std::get_if<Ipv6Address>(&o.care_of)) {
      f.ipv6("mip6.bi.coa_ipv6", *b);
      cov.insert("bid:coa_ipv6");
    } else {
      cov.insert("bid:no_coa");
    }
    if (o.priority != 0) cov.insert("bid:priority");
  }
  void operator()(const Ipv4HomeAddressRequestOption& o) const {
    f.uint("mip6.ipv4ha.preflen", o.prefix_length);
    f.ipv4("mip6.ipv4ha.ha", o.address);
    cov.insert("ipv4_hoa_request");
  }
  void operator()(const Ipv4HomeAddressReplyOption& o) const {
    f.uint("mip6.ipv4aa.sts", o.status);
    f.uint("mip6.ipv4ha.preflen", o.prefix_length);
    f.ipv4("mip6.ipv4ha.ha", o.address);
    cov.insert("ipv4_hoa_reply");
  }
  void operator()(const Ipv4DefaultRouterOption& o) const {
    f.ipv4("mip6.ipv4dra.dra", o.address);
    cov.insert("ipv4_default_router");
  }
  void operator()(const Ipv4DhcpSupportModeOption& o) const {
    f.flag("mip6.ipv4dsm.s_flag", o.server);
    cov.insert("ipv4_dhcp_support_mode");
  }
  // 44/45 are not dissected by tshark 4.0 (§13): it shows them as unknown options, so only
  // the generic type field is filled. Their framing is checked by the TLV walk in the test.
  void operator()(const FlowSummaryOption&) const {
    f.uint("mip6.mobility_opt", static_cast<std::uint8_t>(OptionType::kFlowSummary));
    cov.insert("flow_summary");
  }
  void operator()(const FlowIdOption& o) const {
    f.uint("mip6.mobility_opt", static_cast<std::uint8_t>(OptionType::kFlowId));
    cov.insert("fid");
    if (o.selector) {
      if (std::holds_alternative<Ipv4TrafficSelector>(*o.selector)) cov.insert("fid:ts_ipv4");
      if (std::holds_alternative<Ipv6TrafficSelector>(*o.selector)) cov.insert("fid:ts_ipv6");
    }
    if (!o.bid_refs.empty()) cov.insert("fid:bid_ref");
    if (o.action) cov.insert("fid:action");
    if (o.target_care_of) {
      cov.insert(std::holds_alternative<Ipv4Address>(o.target_care_of->address)
                     ? "fid:target_coa_ipv4"
                     : "fid:target_coa_ipv6");
    }
  }
  void operator()(const MnGroupIdOption& o) const {
    f.uint("mip6.mng.sub_type", o.subtype);
    f.uint("mip6.mng.mng_id", o.group_id);
    cov.insert("mn_group_id");
  }
  void operator()(const DmnpOption& o) const {
    if (const auto* p = std::get_if<Ipv4Prefix>(&o.prefix)) {
      f.flag("mip6.dmnp.v_flag", true);
      f.uint("mip6.dmnp.prefix_len", p->length);
      f.ipv4("mip6.dmnp.dmnp_ipv4", p->address);
      cov.insert("dmnp:ipv4");
    } else {
      const auto& q = std::get<Ipv6Prefix>(o.prefix);
      f.flag("mip6.dmnp.v_flag", false);
      f.uint("mip6.dmnp.prefix_len", q.length);
      f.ipv6("mip6.dmnp.dmnp_ipv6", q.address);
      cov.insert("dmnp:ipv6");
    }
  }
  // 3GPP (PEN 10415) bodies go to mip6.3gpp.* (TS 29.275 semantics, not checked here);
  // other vendors show subtype and raw data.
  void operator()(const VendorSpecificOption& o) const {
    f.uint("mip6.vsm.vendorId", o.vendor_id);
    f.uint("mip6.vsm.subtype", o.subtype);
    if (o.vendor_id != kPen3gpp) f.bytes("mip6.vsm.data", o.data);
    cov.insert(o.vendor_id == kPen3gpp ? "vsm:3gpp" : "vsm");
  }
  void operator()(const AuthOption& o) const {
    f.uint("mip6.auth.subtype", o.subtype);
    f.uint("mip6.auth.mobility_spi", o.spi);
    f.bytes("mip6.auth.auth_data", o.authenticator);
    cov.insert("auth");
  }
  // NTP 32.32 (RFC 4285 §6.1).
  void operator()(const ReplayProtectionOption& o) const {
    f.time("mip6.mseg_id.timestamp", "ntp", o.timestamp >> 32, o.timestamp & 0xffffffffu, 32);
    cov.insert("replay_protection");
  }
  void operator()(const AlternateCoaOption& o) const {
    f.ipv6("mip6.acoa.acoa", o.address);
    cov.insert("alternate_coa");
  }
  void operator()(const ExperimentalOption&) const { cov.insert("experimental"); }
  // 63/64 are unknown to tshark 4.0: only the generic type field is filled (§13).
  void operator()(const MagMultipathBindingOption&) const {
    f.uint("mip6.mobility_opt", static_cast<std::uint8_t>(OptionType::kMagMultipathBinding));
    cov.insert("mag_multipath_binding");
  }
  void operator()(const MagIdentifierOption&) const {
    f.uint("mip6.mobility_opt", static_cast<std::uint8_t>(OptionType::kMagIdentifier));
    cov.insert("mag_identifier");
  }
  void operator()(const UnknownOption& o) const {
    f.uint("mip6.mobility_opt", o.type);
    cov.insert("unknown");
  }

  static constexpr std::uint32_t kPen3gpp = 10415;
};

// ---- Message body -> expected fields ---------------------------------------------------------

struct BodyExpect {
  FieldExpectations& f;
  Coverage& cov;

  void operator()(const BindingUpdate& m) const {
    cov.insert(m.has(bu_flag::kP) ? "bu:proxy" : "bu:mipv6");
    f.uint("mip6.bu.seqnr", m.sequence);
    f.uint("mip6.bu.lifetime", m.lifetime.units);
    f.flag("mip6.bu.a_flag", m.has(bu_flag::kA));
    f.flag("mip6.bu.h_flag", m.has(bu_flag::kH));
    f.flag("mip6.bu.l_flag", m.has(bu_flag::kL));
    f.flag("mip6.bu.k_flag", m.has(bu_flag::kK));
    f.flag("mip6.bu.m_flag", m.has(bu_flag::kM));
    f.flag("mip6.nemo.bu.r_flag", m.has(bu_flag::kR));
    f.flag("mip6.bu.p_flag", m.has(bu_flag::kP));
    f.flag("mip6.bu.f_flag", m.has(bu_flag::kF));
    f.flag("mip6.bu.t_flag", m.has(bu_flag::kT));
    f.flag("mip6.bu.b_flag", m.has(bu_flag::kB));
  }
  void operator()(const BindingAck& m) const {
    cov.insert(m.has(ba_flag::kP) ? "ba:proxy" : "ba:mipv6");
    cov.insert(is_accepted(m.status) ? "ba:accepted" : "ba:rejected");
    f.uint("mip6.ba.status", static_cast<std::uint8_t>(m.status));
    f.uint("mip6.ba.seqnr", m.sequence);
    f.uint("mip6.ba.lifetime", m.lifetime.units);
    f.flag("mip6.ba.k_flag", m.has(ba_flag::kK));
    f.flag("mip6.nemo.ba.r_flag", m.has(ba_flag::kR));
    f.flag("mip6.ba.p_flag", m.has(ba_flag::kP));
    f.flag("mip6.ba.t_flag", m.has(ba_flag::kT));
    f.flag("mip6.ba.b_flag", m.has(ba_flag::kB));
  }
  void operator()(const BindingError& m) const {
    cov.insert("binding_error");
    f.uint("mip6.be.status", static_cast<std::uint8_t>(m.status));
    f.ipv6("mip6.be.haddr", m.home_address);
  }
  void operator()(const Heartbeat& m) const {
    cov.insert(m.response ? "heartbeat:response" : "heartbeat:request");
    f.flag("mip6.hb.u_flag", m.unsolicited);
    f.flag("mip6.hb.r_flag", m.response);
    f.uint("mip6.hb.seqnr", m.sequence);
  }
  void operator()(const BindingRevocationIndication& m) const {
    cov.insert("bri");
    f.uint("mip6.bri_br.type", 1);
    f.uint("mip6.bri_r.trigger", static_cast<std::uint8_t>(m.trigger));
    f.uint("mip6.bri_seqnr", m.sequence);
    f.flag("mip6.bri_ip", m.flags.proxy);
    f.flag("mip6.bri_iv", m.flags.ipv4_only);
    f.flag("mip6.bri_ig", m.flags.global);
  }
  void operator()(const BindingRevocationAck& m) const {
    cov.insert("bra");
    f.uint("mip6.bri_br.type", 2);
    f.uint("mip6.bri_status", static_cast<std::uint8_t>(m.status));
    f.uint("mip6.bri_seqnr", m.sequence);
    f.flag("mip6.bri_ap", m.flags.proxy);
    f.flag("mip6.bri_av", m.flags.ipv4_only);
    f.flag("mip6.bri_ag", m.flags.global);
  }
  // UPN/UPA bodies are not dissected by tshark 4.0 (§13): mhtype only, body as raw data.
  void operator()(const UpdateNotification& m) const {
    cov.insert("upn:reason:" + std::to_string(static_cast<int>(m.reason)));
  }
  void operator()(const UpdateNotificationAck&) const { cov.insert("upa"); }
};

// ---- Capture assembly ------------------------------------------------------------------------

constexpr std::uint8_t kIpProtoIcmpv6 = 58;
constexpr std::uint64_t kCaptureStartUsec = 1'700'000'000'000'000;  // fixed: reproducible pcap

class CaptureBuilder {
 public:
  explicit CaptureBuilder(const std::string& pcap_path) : pcap_(pcap_path) {}

  // One MH packet: IPv6 header (next header 135, payload length = MH length) + encoded MH
  // with its checksum over the pseudo-header (RFC 6275 §6.1.1, PROTOCOL.md §2.3).
  void add_mh(const std::string& description, const Message& message, const Ipv6Address& src,
              const Ipv6Address& dst) {
    auto encoded = encode_message(message);
    if (!encoded) die(description + ": encode failed: " + encoded.error().describe());
    Bytes mh = std::move(*encoded);
    set_mh_checksum(src, dst, mh);
    self_check(description, message, src, dst, mh);

    Bytes packet;
    encode_ipv6_header(ip_header(src, dst, kIpProtoMh, mh.size()), packet);
    packet.insert(packet.end(), mh.begin(), mh.end());

    FieldExpectations f;
    expect_ipv6(f, src, dst, kIpProtoMh, mh.size());
    f.uint("mip6.proto", kIpProtoNone);
    f.uint("mip6.hlen", mh.size() / 8 - 1);
    f.uint("mip6.mhtype", static_cast<std::uint8_t>(mh_type(message.body)));
    f.uint("mip6.csum", load_be16(mh.data() + 4));
    std::visit(BodyExpect{f, coverage_}, message.body);
    // tshark 4.0 does not dissect UPN/UPA (§13): it shows everything after the 6-octet common
    // header, options included, as raw data, so their option fields are not expected.
    bool dissected = !std::holds_alternative<UpdateNotification>(message.body) &&
                     !std::holds_alternative<UpdateNotificationAck>(message.body);
    if (!dissected) f.bytes("mip6.unknown_type_data", ByteView(mh).subspan(6));
    FieldExpectations undissected;
    for (const auto& o : message.options) {
      std::visit(OptionExpect{dissected ? f : undissected, coverage_}, o);
    }
    if (!message.options.empty() && std::holds_alternative<AuthOption>(message.options.back())) {
      coverage_.insert("auth:last");
    }

    Json frame = frame_header(description, "mh");
    frame["mh_type"] = static_cast<std::uint8_t>(mh_type(message.body));
    frame["mh_length"] = mh.size();
    frame["tlvs"] = option_tlvs(mh, fixed_length(message));
    frame["fields"] = f.json();
    commit(packet, std::move(frame));
  }

  // CN -> MN echo request delivered through a type 2 routing header (RFC 6275 §6.4,
  // PROTOCOL.md §11.2): the IPv6 destination is the care-of address, the RH2 holds the HoA.
  void add_rh2_echo(const std::string& description, const Ipv6Address& src,
                    const Ipv6Address& care_of, const Type2RoutingHeader& rh) {
    Bytes ext;
    encode_type2_routing_header(rh, ext);
    // The ICMPv6 pseudo-header uses the final destination: the home address (RFC 8200 §8.1).
    Bytes icmp = echo_request(src, rh.segments_left ? rh.home_address : care_of);
    FieldExpectations f;
    expect_ipv6(f, src, care_of, kIpProtoRouting, ext.size() + icmp.size());
    f.uint("ipv6.routing.nxt", rh.next_header);
    f.uint("ipv6.routing.len", ext.size() / 8 - 1);
    f.uint("ipv6.routing.type", 2);
    f.uint("ipv6.routing.segleft", rh.segments_left);
    f.bytes("ipv6.routing.mipv6.reserved", Bytes(4, 0));  // RFC 6275 §6.4: sent as zero
    f.ipv6("ipv6.routing.mipv6.home_address", rh.home_address);
    expect_echo(f, icmp);
    coverage_.insert("ext:type2_routing");
    add_data(description, src, care_of, kIpProtoRouting, ext, icmp, f);
  }

  // MN -> CN echo request carrying the primary-HoA destination option (seed 003; §11.1).
  void add_primary_hoa_echo(const std::string& description, const Ipv6Address& src,
                            const Ipv6Address& dst, const PrimaryHoaDestOpts& d) {
    Bytes ext;
    encode_primary_hoa_destopts(d, ext);
    Bytes icmp = echo_request(src, dst);
    FieldExpectations f;
    expect_ipv6(f, src, dst, kIpProtoDstOpts, ext.size() + icmp.size());
    f.uint("ipv6.dstopts.nxt", d.next_header);
    f.uint("ipv6.dstopts.len", ext.size() / 8 - 1);
    // PadN(4) puts the option at 8n+6 for its 16-octet address (ipv6_packet.hpp). 0x1e is an
    // RFC 4727 experimental type, so tshark shows the address as experimental data.
    f.uint("ipv6.opt.type", 1);  // PadN
    f.uint("ipv6.opt.type", kDefaultPrimaryHoaOptionType);
    f.uint("ipv6.opt.length", 2);
    f.uint("ipv6.opt.length", 16);
    f.bytes("ipv6.opt.experimental", d.primary_hoa.octets);
    expect_echo(f, icmp);
    coverage_.insert("ext:primary_hoa_destopts");
    add_data(description, src, dst, kIpProtoDstOpts, ext, icmp, f);
  }

  void write_expectations(const std::string& path) const {
    Json doc;
    doc["generator"] = "tests/conformance/gen_oracle_capture.cpp";
    doc["reference"] = "PROTOCOL.md sections 13 (tshark fields) and 14 (test vectors)";
    doc["link_type"] = "RAW";
    doc["coverage"] = coverage_;
    doc["frames"] = frames_;
    std::ofstream out(path);
    out << doc.dump(1) << '\n';
    if (!out) die("cannot write " + path);
  }

 private:
  static Ipv6Header ip_header(const Ipv6Address& src, const Ipv6Address& dst,
                              std::uint8_t next_header, std::size_t payload_length) {
    if (payload_length > 0xffff) die("payload too long");
    Ipv6Header h;
    h.payload_length = static_cast<std::uint16_t>(payload_length);
    h.next_header = next_header;
    h.hop_limit = 64;
    h.src = src;
    h.dst = dst;
    return h;
  }

  static void expect_ipv6(FieldExpectations& f, const Ipv6Address& src, const Ipv6Address& dst,
                          std::uint8_t next_header, std::size_t payload_length) {
    f.uint("ipv6.plen", payload_length);
    f.uint("ipv6.nxt", next_header);
    f.ipv6("ipv6.src", src);
    f.ipv6("ipv6.dst", dst);
  }

  // Fixed length of the message before its options (PROTOCOL.md §2.2).
  static std::size_t fixed_length(const Message& m) {
    return std::holds_alternative<BindingError>(m.body) ? 24 : 12;
  }

  // The option TLVs as the encoder laid them out, padding included (§2.6/§2.7): one
  // [MH offset, type, total octets] per TLV. The test compares this framing with the one
  // tshark finds, and derives option-type coverage from it.
  static Json option_tlvs(ByteView mh, std::size_t pos) {
    Json tlvs = Json::array();
    while (pos < mh.size()) {
      std::size_t size = 1;  // Pad1 has no Length octet
      if (mh[pos] != static_cast<std::uint8_t>(OptionType::kPad1)) {
        if (pos + 1 >= mh.size()) die("option walk ran off the message");
        size = 2 + std::size_t{mh[pos + 1]};
      }
      tlvs.push_back(Json::array({pos, mh[pos], size}));
      pos += size;
    }
    if (pos != mh.size()) die("option walk overran the message");
    return tlvs;
  }

  // The codec must read back exactly what it wrote, and the checksum must verify; a failure
  // here is a codec bug, reported before any oracle runs.
  static void self_check(const std::string& description, const Message& m,
                         const Ipv6Address& src, const Ipv6Address& dst, const Bytes& mh) {
    if (!mh_checksum_ok(src, dst, mh)) die(description + ": checksum does not verify");
    CodecConfig strict;
    strict.strict = true;  // our own output must not even raise notes
    auto d = decode_message(mh, strict);
    if (!d) die(description + ": decode of own output failed: " + d.error().describe());
    if (d->length != mh.size()) die(description + ": decoded length differs");
    if (!(d->message == m)) die(description + ": decode(encode(m)) != m");
  }

  static Bytes echo_request(const Ipv6Address& src, const Ipv6Address& final_dst) {
    Bytes icmp;
    ByteWriter w(icmp);
    w.u8(128);  // Echo Request
    w.u8(0);
    w.be16(0);  // checksum, set below
    w.be16(kEchoId);
    w.be16(kEchoSeq);
    w.bytes(view(kEchoData));
    store_be16(icmp.data() + 2, upper_layer_checksum(src, final_dst, kIpProtoIcmpv6, icmp, 2));
    return icmp;
  }

  static void expect_echo(FieldExpectations& f, const Bytes& icmp) {
    f.uint("icmpv6.type", 128);
    f.uint("icmpv6.code", 0);
    f.uint("icmpv6.checksum", load_be16(icmp.data() + 2));
    f.uint("icmpv6.echo.identifier", kEchoId);
    f.uint("icmpv6.echo.sequence_number", kEchoSeq);
  }

  void add_data(const std::string& description, const Ipv6Address& src, const Ipv6Address& dst,
                std::uint8_t next_header, const Bytes& ext, const Bytes& icmp,
                FieldExpectations& f) {
    Bytes packet;
    encode_ipv6_header(ip_header(src, dst, next_header, ext.size() + icmp.size()), packet);
    packet.insert(packet.end(), ext.begin(), ext.end());
    packet.insert(packet.end(), icmp.begin(), icmp.end());
    Json frame = frame_header(description, "data");
    frame["fields"] = f.json();
    commit(packet, std::move(frame));
  }

  Json frame_header(const std::string& description, const char* kind) const {
    Json frame;
    frame["number"] = frames_.size() + 1;  // tshark numbers frames from 1
    frame["description"] = description;
    frame["kind"] = kind;
    return frame;
  }

  void commit(const Bytes& packet, Json frame) {
    pcap_.write(packet, kCaptureStartUsec + 1000 * frames_.size());
    frames_.push_back(std::move(frame));
  }

  static constexpr std::uint16_t kEchoId = 0x7078;  // "px"
  static constexpr std::uint16_t kEchoSeq = 1;
  static inline const std::string kEchoData = "pmipx conformance";

  pmipx::io::PcapWriter pcap_;
  Json frames_ = Json::array();
  Coverage coverage_;
};

// ---- The messages ----------------------------------------------------------------------------
// Addresses follow PROTOCOL.md §14: MAG Proxy-CoA 2001:db8:a::1, LMAA 2001:db8:b::1, MN NAI
// mn1@example.com. Values are chosen so that no two fields of a frame can be confused (a
// decoder reading the wrong offset shows a wrong value, not a coincidentally right one).

const std::string kNai = "mn1@example.com";

Bytes mac(std::uint8_t last) { return Bytes{0x02, 0x00, 0x5e, 0x00, 0x53, last}; }

MnIdOption mn_id() { return MnIdOption{MnIdSubtype::kNai, kNai}; }

Lifetime seconds(std::uint32_t s) {
  auto l = Lifetime::from_seconds(s);
  if (!l) die("lifetime out of range");
  return *l;
}

void build(CaptureBuilder& cap) {
  const auto mag = v6("2001:db8:a::1");
  const auto mag2 = v6("2001:db8:a::2");
  const auto lma = v6("2001:db8:b::1");
  const auto mn_hoa = v6("2001:db8:1:1::100");
  const auto cn = v6("2001:db8:ff::1");
  const auto ts = Timestamp::from_parts(0x6553f100, 0x8000);

  // 1. Initial PBU (§14.1 shape): ALL_ZERO HNP and MuHo requests, HI 1, MN-LL-ID with IFP/P,
  //    GRE key without a key (Length 2: "GRE encapsulation only", RFC 5845 §3.1).
  cap.add_mh("initial PBU", Message{BindingUpdate{1, bu_flag::kA | bu_flag::kP, seconds(900)},
                                    {mn_id(), HnpOption{false, p6("::/0")},
                                     MuhoOption{p6("::/0")},
                                     HandoffIndicatorOption{HandoffIndicator::kNewInterface},
                                     AccessTechTypeOption{AccessTech::kWlan},
                                     MnLinkLayerIdOption{7, true, mac(0x01)},
                                     LinkLocalAddressOption{}, TimestampOption{ts},
                                     GreKeyOption{}}},
             mag, lma);

  // 2. PBA accepting it (§14.2 + §14.9 shape): prefixes, MuHo prefix of the other interface,
  //    IPv4 home address, default router, DHCP mode, uplink GRE key.
  cap.add_mh("PBA, status 0, IPv4 and GRE",
             Message{BindingAck{BaStatus::kAccepted, ba_flag::kP, 1, seconds(900)},
                     {mn_id(), HnpOption{false, p6("2001:db8:1:1::/64")},
                      MuhoOption{p6("2001:db8:1:2::/64")},
                      HandoffIndicatorOption{HandoffIndicator::kNewInterface},
                      AccessTechTypeOption{AccessTech::kWlan},
                      MnLinkLayerIdOption{7, true, mac(0x01)},
                      LinkLocalAddressOption{v6("fe80::200:5eff:fe00:5213")}, TimestampOption{ts},
                      GreKeyOption{0x55667788},
                      Ipv4HomeAddressReplyOption{0, 24, v4("10.1.2.3")},
                      Ipv4DefaultRouterOption{v4("10.1.2.1")}, Ipv4DhcpSupportModeOption{true}}},
             lma, mag);

  // 3. PBU from a second interface sharing the prefixes (HI 6, RFC 7864) with everything the
  //    flow-binding, IPv4, DMNP and multipath extensions add (§14.8 shape, extended).
  {
    Ipv4TrafficSelector sel4;
    sel4.src = Bound<Ipv4Address>{v4("198.51.100.0"), v4("198.51.100.255")};
    sel4.dst = Bound<Ipv4Address>{v4("10.1.2.3"), std::nullopt};
    sel4.dst_port = Bound<std::uint16_t>{443, std::nullopt};
    sel4.protocol = Bound<std::uint8_t>{6, std::nullopt};
    FlowIdOption fid;
    fid.fid = 2;
    fid.priority = 20;
    fid.selector = TrafficSelector{sel4};
    fid.bid_refs = {3};
    fid.action = FlowBindingAction::kAdd;
    fid.target_care_of = TargetCareOf{v4("192.0.2.1")};

    BindingIdOption bid1{1, 0, false, 3, std::monostate{}};
    BindingIdOption bid2{2, 0, false, 5, mag2};
    BindingIdOption bid3{3, 0, false, 0, v4("192.0.2.1")};

    cap.add_mh(
        "PBU, HI 6, IPv4, GRE key, BID x3, flow binding, DMNP, VSM, multipath",
        Message{BindingUpdate{2, bu_flag::kA | bu_flag::kP | bu_flag::kT, seconds(3600)},
                {mn_id(), HnpOption{false, p6("2001:db8:1:1::/64")},
                 HandoffIndicatorOption{HandoffIndicator::kNewInterfaceSharingPrefixes},
                 AccessTechTypeOption{AccessTech::kEutran},
                 MnLinkLayerIdOption{3, false, mac(0x02)},
                 TimestampOption{Timestamp::from_parts(0x6553f1ff, 0x1234)},
                 Ipv4HomeAddressRequestOption{0, Ipv4Address{}},
                 GreKeyOption{0x11223344}, bid1, bid2, bid3, FlowSummaryOption{{2, 7}}, fid,
                 DmnpOption{p6("2001:db8:100::/56")},
                 DmnpOption{Ipv4Prefix{v4("10.9.0.0"), 16}},
                 VendorSpecificOption{32473, 1, Bytes{0xde, 0xad, 0xbe, 0xef}},  // RFC 5612 PEN
                 VendorSpecificOption{10415, 6, Bytes{0x00, 0x03, 0x00}},  // 3GPP, as §14.8
                 MagMultipathBindingOption{AccessTech::kEutran, 11, 2, true, false},
                 MagIdentifierOption{MnIdSubtype::kNai, "mag1@example.net"}}},
        mag2, lma);
  }

  // 4. PBA rejecting a stale timestamp (status 157): lifetime 0, the timestamp echoed.
  cap.add_mh("PBA, reject 157",
             Message{BindingAck{BaStatus::kTimestampLowerThanPrevAccepted, ba_flag::kP, 2,
                                Lifetime{}},
                     {mn_id(), HnpOption{false, p6("2001:db8:1:1::/64")},
                      TimestampOption{Timestamp::from_parts(0x6553f200, 0x0001)}}},
             lma, mag2);

  // 5. Plain MIPv6 BU (no P): Alternate CoA, BID with IPv6 CoA and H, MESG-ID, and AUTH last
  //    (RFC 4285: AUTH ends the message, so no padding may follow it; §4.16).
  cap.add_mh("BU without P, ACoA, MESG-ID, AUTH last",
             Message{BindingUpdate{100, bu_flag::kA | bu_flag::kH | bu_flag::kL | bu_flag::kK,
                                   seconds(240)},
                     {AlternateCoaOption{v6("2001:db8:c::1")},
                      BindingIdOption{4, 0, true, 0, v6("2001:db8:c::1")},
                      ReplayProtectionOption{0xe8f5c3a1'12345678},
                      AuthOption{1, 0x00000100,
                                 Bytes{0x0b, 0xad, 0xc0, 0xde, 0x01, 0x02, 0x03, 0x04, 0x05,
                                       0x06, 0x07, 0x08}}}},
             v6("2001:db8:1:1::100"), lma);

  // 6. BA without P, K set, BID status echoed.
  cap.add_mh("BA without P, BID status",
             Message{BindingAck{BaStatus::kAccepted, ba_flag::kK, 100, seconds(240)},
                     {BindingIdOption{4, 1, false, 0, std::monostate{}}}},
             lma, v6("2001:db8:1:1::100"));

  // 7/8. Binding Error: status 2 with :: (the PMIPv6 case) and status 1 with a HoA.
  cap.add_mh("Binding Error, status 2",
             Message{BindingError{BindingErrorStatus::kUnrecognizedMhType, Ipv6Address{}}, {}},
             lma, mag);
  cap.add_mh("Binding Error, status 1",
             Message{BindingError{BindingErrorStatus::kUnknownBindingForHao, mn_hoa}, {}}, lma,
             mag);

  // 9-11. Heartbeat request, response with Restart Counter (§14.3/14.4), unsolicited response.
  cap.add_mh("Heartbeat request", Message{Heartbeat{false, false, 7}, {}}, mag, lma);
  cap.add_mh("Heartbeat response, RC",
             Message{Heartbeat{false, true, 7}, {RestartCounterOption{3}}}, lma, mag);
  cap.add_mh("Heartbeat unsolicited response, RC",
             Message{Heartbeat{true, true, 0x01020304}, {RestartCounterOption{0xa0b0c0d}}}, lma,
             mag);

  // 12-15. Binding revocation (§14.5): per-MN BRI/BRA, then a global per-group one.
  cap.add_mh("BRI, P, trigger 1",
             Message{BindingRevocationIndication{RevocationTrigger::kAdministrative, 5,
                                                 {true, false, false}},
                     {mn_id(), HnpOption{false, p6("2001:db8:1:1::/64")}}},
             lma, mag);
  cap.add_mh("BRA, status 0", Message{BindingRevocationAck{RevocationStatus::kSuccess, 5,
                                                           {true, false, false}},
                                      {}},
             mag, lma);
  cap.add_mh("BRI, P V G, trigger 129, MN Group ID",
             Message{BindingRevocationIndication{RevocationTrigger::kMobilityNodeLocalPolicy, 6,
                                                 {true, true, true}},
                     {MnGroupIdOption{1, 0x00c0ffee}}},
             lma, mag);
  cap.add_mh("BRA, status 1, P V G",
             Message{BindingRevocationAck{RevocationStatus::kPartialSuccess, 6, {true, true, true}},
                     {MnGroupIdOption{1, 0x00c0ffee}}},
             mag, lma);

  // 16. FMI = UPN reason 8 (§14.6/14.7): HNP with L, flow with an IPv6 selector moved to a
  //     BID, target CoA.
  {
    Ipv6TrafficSelector sel6;
    sel6.dst = Bound<Ipv6Address>{v6("2001:db8:1:2::100"), std::nullopt};
    sel6.dst_port = Bound<std::uint16_t>{5000, 5010};
    sel6.next_header = Bound<std::uint8_t>{17, std::nullopt};
    FlowIdOption fid;
    fid.fid = 1;
    fid.priority = 10;
    fid.selector = TrafficSelector{sel6};
    fid.bid_refs = {1, 2};
    fid.action = FlowBindingAction::kMove;
    fid.target_care_of = TargetCareOf{mag2};
    cap.add_mh("FMI (UPN reason 8), HNP L=1, FID with IPv6 selector",
               Message{UpdateNotification{9, NotificationReason::kFlowMobility, true, false},
                       {mn_id(), HnpOption{true, p6("2001:db8:1:2::/64")}, fid}},
               lma, mag);
  }

  // 17. FMA = UPA, status 0, the flow's status echoed.
  {
    FlowIdOption fid;
    fid.fid = 1;
    fid.priority = 10;
    fid.status = static_cast<std::uint8_t>(FlowIdStatus::kSuccess);
    cap.add_mh("FMA (UPA status 0)",
               Message{UpdateNotificationAck{9, NotificationAckStatus::kSuccess},
                       {mn_id(), HnpOption{true, p6("2001:db8:1:2::/64")}, fid}},
               mag, lma);
  }

  // 18/19. Data packets with the extension headers pmipx writes.
  cap.add_rh2_echo("ICMPv6 echo via type 2 routing header", cn, mag,
                   Type2RoutingHeader{kIpProtoIcmpv6, 1, mn_hoa});
  cap.add_primary_hoa_echo("ICMPv6 echo with primary-HoA destination option",
                           v6("2001:db8:1:2::100"), cn,
                           PrimaryHoaDestOpts{kIpProtoIcmpv6, mn_hoa});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.pcap OUT.json\n", argv[0]);
    return 2;
  }
  try {
    CaptureBuilder cap(argv[1]);
    build(cap);
    cap.write_expectations(argv[2]);
  } catch (const std::exception& e) {
    die(e.what());
  }
  return 0;
}
