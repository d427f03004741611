// IPv6 header and the extension headers pmipx builds or parses in data and signaling
// packets: the Destination Options header carrying the primary HoA option (seed 003,
// DESIGN.md corrections) and the type 2 routing header (RFC 6275 §6.4; PROTOCOL.md §11.2).
#pragma once

#include <cstdint>
#include <optional>

#include "wire/address.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"

namespace pmipx::wire {

inline constexpr std::size_t kIpv6HeaderLength = 40;
// RFC 4727 experimental destination option type: top bits 00 = skip if unknown, not mutable.
inline constexpr std::uint8_t kDefaultPrimaryHoaOptionType = 0x1e;
inline constexpr std::uint8_t kHomeAddressOptionType = 201;  // MIPv6 HAO (never in PMIPv6)

struct Ipv6Header {
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;  // 20 bits
  std::uint16_t payload_length = 0;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 64;
  Ipv6Address src, dst;
  bool operator==(const Ipv6Header&) const = default;
};

Result<Ipv6Header> decode_ipv6_header(ByteView packet);
void encode_ipv6_header(const Ipv6Header& h, Bytes& out);

// Destination Options header holding one primary HoA option: 24 octets, option at 8n+6.
struct PrimaryHoaDestOpts {
  std::uint8_t next_header = 0;
  Ipv6Address primary_hoa;
  bool operator==(const PrimaryHoaDestOpts&) const = default;
};
inline constexpr std::size_t kPrimaryHoaDestOptsLength = 24;

void encode_primary_hoa_destopts(const PrimaryHoaDestOpts& h, Bytes& out,
                                 std::uint8_t option_type = kDefaultPrimaryHoaOptionType);

// A parsed Destination Options header: its next header, length, and the addresses of the
// options pmipx understands. Unknown options are skipped or rejected per their top two bits
// (RFC 8200 §4.2): `discard` is set when the packet must be dropped.
struct DestOpts {
  std::uint8_t next_header = 0;
  std::size_t length = 0;
  std::optional<Ipv6Address> primary_hoa;
  std::optional<Ipv6Address> home_address;  // MIPv6 HAO, type 201
  bool discard = false;
};
Result<DestOpts> decode_destopts(ByteView header,
                                 std::uint8_t primary_hoa_type = kDefaultPrimaryHoaOptionType);

// Type 2 routing header: 24 octets.
struct Type2RoutingHeader {
  std::uint8_t next_header = 0;
  std::uint8_t segments_left = 1;
  Ipv6Address home_address;
  bool operator==(const Type2RoutingHeader&) const = default;
};
inline constexpr std::size_t kType2RoutingHeaderLength = 24;

void encode_type2_routing_header(const Type2RoutingHeader& h, Bytes& out);
// Fails unless Hdr Ext Len = 2, Routing Type = 2 and Segments Left <= 1 (RFC 6275 §9.3.2 asks
// the MN to drop other values).
Result<Type2RoutingHeader> decode_type2_routing_header(ByteView header);

// Where a Mobility Header sits in an IPv6 packet, with the pseudo-header addresses its
// checksum uses (HAO replaces the source, a type 2 routing header the destination).
struct MhInPacket {
  Ipv6Header ip;
  Ipv6Address checksum_src, checksum_dst;
  std::size_t mh_offset = 0;
  ByteView mh;
};
// Walks Hop-by-Hop, Destination Options, Routing and AH headers up to the MH. Returns an
// error with offset kBadPacket for framing problems; std::nullopt when the packet is not MH
// (another upper layer, or a non-first fragment).
Result<std::optional<MhInPacket>> locate_mh(ByteView packet);

}  // namespace pmipx::wire
