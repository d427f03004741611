// RFC 6088 binary traffic selectors (PROTOCOL.md §5), carried in the Traffic Selector
// sub-option of a Flow Identification option. Fields describe CN -> MN packets.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "wire/address.hpp"
#include "wire/bytes.hpp"
#include "wire/error.hpp"

namespace pmipx::wire {

// A start value alone means "exactly start"; with an end it is the inclusive range.
// Start-only and start==end encode differently, so both are kept for byte-exact round trips.
template <class T>
struct Bound {
  T start{};
  std::optional<T> end;

  const T& last() const { return end ? *end : start; }
  bool operator==(const Bound&) const = default;
};

struct Ipv6TrafficSelector {  // TS Format 2
  std::optional<Bound<Ipv6Address>> src, dst;
  std::optional<Bound<std::uint32_t>> spi;
  std::optional<Bound<std::uint32_t>> flow_label;  // low 20 bits are the label
  std::optional<Bound<std::uint16_t>> src_port, dst_port;
  std::optional<Bound<std::uint8_t>> traffic_class;  // upper 6 bits (DSCP) are compared
  std::optional<Bound<std::uint8_t>> next_header;
  bool operator==(const Ipv6TrafficSelector&) const = default;
};

struct Ipv4TrafficSelector {  // TS Format 1
  std::optional<Bound<Ipv4Address>> src, dst;
  std::optional<Bound<std::uint32_t>> spi;
  std::optional<Bound<std::uint16_t>> src_port, dst_port;
  std::optional<Bound<std::uint8_t>> ds;
  std::optional<Bound<std::uint8_t>> protocol;
  bool operator==(const Ipv4TrafficSelector&) const = default;
};

// Format this codec does not know (3-255): kept raw, so the engine can answer status 133.
struct RawTrafficSelector {
  std::uint8_t format = 0;
  Bytes data;
  bool operator==(const RawTrafficSelector&) const = default;
};

using TrafficSelector = std::variant<Ipv4TrafficSelector, Ipv6TrafficSelector, RawTrafficSelector>;

inline constexpr std::uint8_t kTsFormatIpv4 = 1;
inline constexpr std::uint8_t kTsFormatIpv6 = 2;

std::uint8_t ts_format(const TrafficSelector& ts);

// Body of the selector after the TS Format and Reserved octets. `offset` is the absolute
// offset of `data` for error reporting.
Result<TrafficSelector> decode_traffic_selector(std::uint8_t format, ByteView data,
                                                std::size_t offset);
// Appends the flags word and the present fields.
Status encode_traffic_selector(const TrafficSelector& ts, Bytes& out);
// Alignment modulus the selector asks of its sub-option (RFC 6088: 8/4/2/1).
std::uint8_t ts_alignment(const TrafficSelector& ts);

}  // namespace pmipx::wire
