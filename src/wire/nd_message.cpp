#include "wire/nd_message.hpp"

#include <cstdio>

namespace pmipx::wire {
namespace {

constexpr std::uint8_t kOptSourceLinkLayer = 1;
constexpr std::uint8_t kOptPrefixInformation = 3;
constexpr std::uint8_t kOptMtu = 5;

void put_slla(Bytes& out, const MacAddress48& mac) {
  out.push_back(kOptSourceLinkLayer);
  out.push_back(1);
  out.insert(out.end(), mac.begin(), mac.end());
}

void put_be32(Bytes& out, std::uint32_t v) {
  std::uint8_t b[4];
  store_be32(b, v);
  out.insert(out.end(), b, b + 4);
}

bool fail(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return false;
}

// Walks the options after `fixed` octets; calls `on(type, body_with_header)` for each.
template <class F>
bool walk_options(ByteView icmp, std::size_t fixed, std::string* why, F&& on) {
  std::size_t at = fixed;
  while (at < icmp.size()) {
    if (icmp.size() - at < 2) return fail(why, "truncated option at offset " + std::to_string(at));
    std::size_t len = std::size_t{icmp[at + 1]} * 8;
    if (len == 0) return fail(why, "option of length 0 at offset " + std::to_string(at));  // RFC 4861 §4.6
    if (len > icmp.size() - at) return fail(why, "option overruns the message at offset " + std::to_string(at));
    if (!on(icmp[at], icmp.subspan(at, len))) return fail(why, "bad option " + std::to_string(icmp[at]) +
                                                               " at offset " + std::to_string(at));
    at += len;
  }
  return true;
}

bool read_slla(ByteView o, std::optional<MacAddress48>& out) {
  if (o.size() != 8) return false;  // Ethernet: 6 octets in an 8-octet option
  MacAddress48 mac;
  std::copy(o.begin() + 2, o.begin() + 8, mac.begin());
  out = mac;
  return true;
}

}  // namespace

Bytes encode_router_solicitation(const RouterSolicitation& rs) {
  Bytes out{kIcmpRouterSolicitation, 0, 0, 0, 0, 0, 0, 0};
  if (rs.source_link_layer) put_slla(out, *rs.source_link_layer);
  if (rs.preference) {
    const auto& p = *rs.preference;
    out.push_back(kNdOptInterfacePreference);
    out.push_back(1);
    out.push_back(p.ifp);
    out.push_back(static_cast<std::uint8_t>((p.primary ? 0x80 : 0) | (p.share_prefixes ? 0x40 : 0)));
    out.insert(out.end(), 4, 0);
  }
  return out;
}

Bytes encode_router_advertisement(const RouterAdvertisement& ra) {
  Bytes out{kIcmpRouterAdvertisement, 0, 0, 0, ra.cur_hop_limit,
            static_cast<std::uint8_t>((ra.managed ? 0x80 : 0) | (ra.other ? 0x40 : 0)), 0, 0};
  store_be16(out.data() + 6, ra.router_lifetime_s);
  put_be32(out, ra.reachable_ms);
  put_be32(out, ra.retrans_ms);
  if (ra.source_link_layer) put_slla(out, *ra.source_link_layer);
  if (ra.mtu) {
    out.insert(out.end(), {kOptMtu, 1, 0, 0});
    put_be32(out, *ra.mtu);
  }
  for (const auto& p : ra.prefixes) {
    out.push_back(kOptPrefixInformation);
    out.push_back(4);
    out.push_back(p.prefix.length);
    out.push_back(static_cast<std::uint8_t>((p.on_link ? 0x80 : 0) | (p.autonomous ? 0x40 : 0)));
    put_be32(out, p.valid_lifetime_s);
    put_be32(out, p.preferred_lifetime_s);
    put_be32(out, 0);
    out.insert(out.end(), p.prefix.address.octets.begin(), p.prefix.address.octets.end());
  }
  return out;
}

std::optional<RouterSolicitation> decode_router_solicitation(ByteView icmp, std::string* why) {
  if (icmp.size() < 8) return fail(why, "router solicitation shorter than 8 octets"), std::nullopt;
  if (icmp[0] != kIcmpRouterSolicitation) return fail(why, "not a router solicitation"), std::nullopt;
  if (icmp[1] != 0) return fail(why, "ICMP code is not 0"), std::nullopt;
  RouterSolicitation rs;
  bool ok = walk_options(icmp, 8, why, [&](std::uint8_t type, ByteView o) {
    if (type == kOptSourceLinkLayer) return read_slla(o, rs.source_link_layer);
    if (type == kNdOptInterfacePreference) {
      if (o.size() != 8) return false;
      rs.preference = InterfacePreference{o[2], (o[3] & 0x80) != 0, (o[3] & 0x40) != 0};
    }
    return true;  // unknown options are ignored (RFC 4861 §6.1.1)
  });
  if (!ok) return std::nullopt;
  return rs;
}

std::optional<RouterAdvertisement> decode_router_advertisement(ByteView icmp, std::string* why) {
  if (icmp.size() < 16) return fail(why, "router advertisement shorter than 16 octets"), std::nullopt;
  if (icmp[0] != kIcmpRouterAdvertisement) return fail(why, "not a router advertisement"), std::nullopt;
  if (icmp[1] != 0) return fail(why, "ICMP code is not 0"), std::nullopt;
  RouterAdvertisement ra;
  ra.cur_hop_limit = icmp[4];
  ra.managed = (icmp[5] & 0x80) != 0;
  ra.other = (icmp[5] & 0x40) != 0;
  ra.router_lifetime_s = load_be16(icmp.data() + 6);
  ra.reachable_ms = load_be32(icmp.data() + 8);
  ra.retrans_ms = load_be32(icmp.data() + 12);
  bool ok = walk_options(icmp, 16, why, [&](std::uint8_t type, ByteView o) {
    switch (type) {
      case kOptSourceLinkLayer: return read_slla(o, ra.source_link_layer);
      case kOptMtu:
        if (o.size() != 8) return false;
        ra.mtu = load_be32(o.data() + 4);
        return true;
      case kOptPrefixInformation: {
        if (o.size() != 32 || o[2] > 128) return false;
        PrefixInformation p;
        p.prefix.length = o[2];
        p.on_link = (o[3] & 0x80) != 0;
        p.autonomous = (o[3] & 0x40) != 0;
        p.valid_lifetime_s = load_be32(o.data() + 4);
        p.preferred_lifetime_s = load_be32(o.data() + 8);
        std::copy(o.begin() + 16, o.begin() + 32, p.prefix.address.octets.begin());
        ra.prefixes.push_back(p);
        return true;
      }
      default: return true;
    }
  });
  if (!ok) return std::nullopt;
  return ra;
}

std::string to_string(const MacAddress48& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

std::optional<MacAddress48> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress48 mac{};
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 6; ++i) {
    int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':')) return std::nullopt;
    mac[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return mac;
}

}  // namespace pmipx::wire
