// IPv6/IPv4 addresses and prefixes as values. Parsing and printing use inet_pton/inet_ntop
// (RFC 5952 text form).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pmipx::wire {

struct Ipv6Address {
  std::array<std::uint8_t, 16> octets{};

  bool is_zero() const;
  bool is_link_local() const { return octets[0] == 0xfe && (octets[1] & 0xc0) == 0x80; }
  bool is_multicast() const { return octets[0] == 0xff; }
  std::string to_string() const;
  static std::optional<Ipv6Address> parse(std::string_view text);
  auto operator<=>(const Ipv6Address&) const = default;
};

struct Ipv4Address {
  std::array<std::uint8_t, 4> octets{};

  bool is_zero() const { return octets == std::array<std::uint8_t, 4>{}; }
  std::string to_string() const;
  static std::optional<Ipv4Address> parse(std::string_view text);
  auto operator<=>(const Ipv4Address&) const = default;
};

struct Ipv6Prefix {
  Ipv6Address address;
  std::uint8_t length = 0;  // 0..128

  std::string to_string() const;  // "2001:db8::/64"
  static std::optional<Ipv6Prefix> parse(std::string_view text);
  bool contains(const Ipv6Address& a) const;
  auto operator<=>(const Ipv6Prefix&) const = default;
};

struct Ipv4Prefix {
  Ipv4Address address;
  std::uint8_t length = 0;  // 0..32

  std::string to_string() const;
  auto operator<=>(const Ipv4Prefix&) const = default;
};

}  // namespace pmipx::wire
