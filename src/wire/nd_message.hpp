// Neighbor Discovery messages a PMIPv6 access link needs (RFC 4861 §4.1, §4.2): Router
// Solicitation and Router Advertisement with the Source Link-Layer Address, MTU and Prefix
// Information options, plus pmipx's Interface Preference option. The ICMPv6 checksum is the
// kernel's (raw ICMPv6 sockets compute and verify it), so these start at the ICMPv6 type
// octet and leave the checksum 0.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/address.hpp"
#include "wire/bytes.hpp"

namespace pmipx::wire {

using MacAddress48 = std::array<std::uint8_t, 6>;

inline constexpr std::uint8_t kIcmpRouterSolicitation = 133;
inline constexpr std::uint8_t kIcmpRouterAdvertisement = 134;
// RFC 4727 §5.1.3 reserves ND option types 253 and 254 for experiments; pmipx uses 253 for
// the seed 003 §6.2 interface preferences the MN tells its MAG (the draft leaves the format
// open). Layout (8 octets): type, length 1, IFP, flags (P 0x80, S 0x40), 4 reserved.
inline constexpr std::uint8_t kNdOptInterfacePreference = 253;

// Seed 003 IFP and P; S asks the MAG to attach the interface sharing the MN's prefixes
// (RFC 7864 HI 6) instead of as a new interface (HI 1).
struct InterfacePreference {
  std::uint8_t ifp = 0;
  bool primary = false;
  bool share_prefixes = false;
  bool operator==(const InterfacePreference&) const = default;
};

struct RouterSolicitation {
  std::optional<MacAddress48> source_link_layer;
  std::optional<InterfacePreference> preference;
  bool operator==(const RouterSolicitation&) const = default;
};

struct PrefixInformation {
  Ipv6Prefix prefix;
  bool on_link = true;     // L
  bool autonomous = true;  // A
  std::uint32_t valid_lifetime_s = 0;
  std::uint32_t preferred_lifetime_s = 0;
  bool operator==(const PrefixInformation&) const = default;
};

struct RouterAdvertisement {
  std::uint8_t cur_hop_limit = 64;
  bool managed = false;
  bool other = false;
  std::uint16_t router_lifetime_s = 0;
  std::uint32_t reachable_ms = 0;
  std::uint32_t retrans_ms = 0;
  std::optional<MacAddress48> source_link_layer;
  std::optional<std::uint32_t> mtu;
  std::vector<PrefixInformation> prefixes;
  bool operator==(const RouterAdvertisement&) const = default;
};

Bytes encode_router_solicitation(const RouterSolicitation& rs);
Bytes encode_router_advertisement(const RouterAdvertisement& ra);

// Decoding follows RFC 4861 §6.1: code 0, length checks, options of non-zero length that fit;
// unknown options are skipped. On failure `why` says what was wrong.
std::optional<RouterSolicitation> decode_router_solicitation(ByteView icmp, std::string* why = nullptr);
std::optional<RouterAdvertisement> decode_router_advertisement(ByteView icmp, std::string* why = nullptr);

std::string to_string(const MacAddress48& mac);  // "02:00:00:00:01:01"
std::optional<MacAddress48> parse_mac(std::string_view text);

}  // namespace pmipx::wire
