#include "core/mn_id.hpp"

#include <fmt/format.h>

namespace pmipx::core {

std::string MnId::to_string() const {
  if (subtype == wire::MnIdSubtype::kNai) return value;
  std::string s = fmt::format("{}:", static_cast<int>(subtype));
  for (char c : value) s += fmt::format("{:02x}", static_cast<std::uint8_t>(c));
  return s;
}

}  // namespace pmipx::core
