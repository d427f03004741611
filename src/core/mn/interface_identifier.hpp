// The 64-bit interface identifier the MN appends to an advertised /64 (RFC 4862 §5.5.3 d):
// configured, or the modified EUI-64 of the interface's link-layer address (RFC 4291 App. A).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "wire/address.hpp"

namespace pmipx::core {

using MacAddress = std::array<std::uint8_t, 6>;

struct InterfaceIdentifier {
  std::array<std::uint8_t, 8> octets{};

  // Insert ff:fe in the middle and flip the universal/local bit.
  static InterfaceIdentifier from_mac(const MacAddress& mac);
  bool is_zero() const;           // the subnet-router anycast IID (RFC 4291 §2.6.1): unusable
  std::string to_string() const;  // "211:22ff:fe33:4455"
  auto operator<=>(const InterfaceIdentifier&) const = default;
};

// The high 64 bits of `prefix` followed by `iid`; the caller has checked the length is 64.
wire::Ipv6Address slaac_address(const wire::Ipv6Prefix& prefix, const InterfaceIdentifier& iid);

}  // namespace pmipx::core
