// JSON views shared by the LMA's and the MAG's forwarding edges.
#pragma once

#include <nlohmann/json.hpp>

#include "dataplane/bpf_forwarding.hpp"

namespace pmipx::daemon {

// The data plane's non-zero counters by name ({"encap_done": 3, ...}).
inline nlohmann::ordered_json dataplane_stats_json(const dataplane::ForwardingPlane& plane) {
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  auto s = plane.stats();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i]) stats[dataplane::stat_name(static_cast<pmipx_dp_stat>(i))] = s[i];
  }
  return stats;
}

inline void add_tunnel_counters(nlohmann::ordered_json& j, const dataplane::TunnelCounters& c) {
  j["tx_packets"] = c.tx_packets;
  j["tx_bytes"] = c.tx_bytes;
  j["rx_packets"] = c.rx_packets;
  j["rx_bytes"] = c.rx_bytes;
}

}  // namespace pmipx::daemon
