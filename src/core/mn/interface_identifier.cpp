#include "core/mn/interface_identifier.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pmipx::core {

InterfaceIdentifier InterfaceIdentifier::from_mac(const MacAddress& mac) {
  return InterfaceIdentifier{{static_cast<std::uint8_t>(mac[0] ^ 0x02u), mac[1], mac[2], 0xff, 0xfe, mac[3],
                              mac[4], mac[5]}};
}

bool InterfaceIdentifier::is_zero() const {
  return std::all_of(octets.begin(), octets.end(), [](std::uint8_t o) { return o == 0; });
}

std::string InterfaceIdentifier::to_string() const {
  auto group = [this](std::size_t i) { return (unsigned{octets[i]} << 8) | octets[i + 1]; };
  return fmt::format("{:x}:{:x}:{:x}:{:x}", group(0), group(2), group(4), group(6));
}

wire::Ipv6Address slaac_address(const wire::Ipv6Prefix& prefix, const InterfaceIdentifier& iid) {
  wire::Ipv6Address a = prefix.address;
  std::copy(iid.octets.begin(), iid.octets.end(), a.octets.begin() + 8);
  return a;
}

}  // namespace pmipx::core
