// Small JSON helpers for the management API views.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "core/time.hpp"
#include "wire/address.hpp"
#include "wire/names.hpp"

namespace pmipx::daemon {

inline nlohmann::ordered_json prefixes_json(const std::vector<wire::Ipv6Prefix>& ps) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& p : ps) a.push_back(p.to_string());
  return a;
}

inline const char* att_name(wire::AccessTech att) {
  const char* n = wire::access_tech_name(static_cast<std::uint8_t>(att));
  return n ? n : "unknown";
}

// Seconds from now until `t` (negative: past), to one decimal.
inline double seconds_until(core::Instant t, core::Instant now) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count() / 100) / 10.0;
}

}  // namespace pmipx::daemon
