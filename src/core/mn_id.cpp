#include "core/mn_id.hpp"

#include <fmt/format.h>

namespace pmipx::core {

std::string MnId::to_string() const {
  if (subtype == wire::MnIdSubtype::kNai) return value;
  std::string s = fmt::format("{}:", static_cast<int>(subtype));
  for (char c : value) s += fmt::format("{:02x}", static_cast<std::uint8_t>(c));
  return s;
}

std::uint64_t MnId::hash() const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 0x100000001b3ull;
  };
  mix(static_cast<std::uint8_t>(subtype));
  for (char c : value) mix(static_cast<std::uint8_t>(c));
  return h;
}

}  // namespace pmipx::core
