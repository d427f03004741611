#include "wire/address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace pmipx::wire {

bool Ipv6Address::is_zero() const { return octets == std::array<std::uint8_t, 16>{}; }

std::string Ipv6Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, octets.data(), buf, sizeof buf);
  return buf;
}

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  Ipv6Address a;
  if (inet_pton(AF_INET6, s.c_str(), a.octets.data()) != 1) return std::nullopt;
  return a;
}

std::string Ipv4Address::to_string() const {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, octets.data(), buf, sizeof buf);
  return buf;
}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  if (text.size() >= INET_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  Ipv4Address a;
  if (inet_pton(AF_INET, s.c_str(), a.octets.data()) != 1) return std::nullopt;
  return a;
}

std::string Ipv6Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::optional<Ipv6Prefix> Ipv6Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ipv6Address::parse(text.substr(0, slash));
  auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (!addr || ec != std::errc{} || end != len_text.data() + len_text.size() || len > 128) {
    return std::nullopt;
  }
  return Ipv6Prefix{*addr, static_cast<std::uint8_t>(len)};
}

bool Ipv6Prefix::contains(const Ipv6Address& a) const {
  unsigned full = length / 8u;
  for (unsigned i = 0; i < full; ++i) {
    if (a.octets[i] != address.octets[i]) return false;
  }
  unsigned rest = length % 8u;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.octets[full] & mask) == (address.octets[full] & mask);
}

std::string Ipv4Prefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

}  // namespace pmipx::wire
