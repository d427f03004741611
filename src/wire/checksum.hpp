// Internet checksum over the IPv6 pseudo-header (RFC 8200 §8.1; PROTOCOL.md §2.3).
#pragma once

#include <cstdint>
#include <span>

#include "wire/address.hpp"
#include "wire/bytes.hpp"

namespace pmipx::wire {

// Checksum of `payload` behind a pseudo-header (src, dst, length, next header). The two
// octets at `checksum_offset` are taken as zero, so the result can be stored there.
std::uint16_t upper_layer_checksum(const Ipv6Address& src, const Ipv6Address& dst,
                                   std::uint8_t next_header, ByteView payload,
                                   std::size_t checksum_offset);

// Mobility Header: next header 135, checksum at offset 4.
std::uint16_t mh_checksum(const Ipv6Address& src, const Ipv6Address& dst, ByteView mh);
void set_mh_checksum(const Ipv6Address& src, const Ipv6Address& dst, std::span<std::uint8_t> mh);
bool mh_checksum_ok(const Ipv6Address& src, const Ipv6Address& dst, ByteView mh);

}  // namespace pmipx::wire
