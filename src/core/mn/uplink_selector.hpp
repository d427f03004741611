// Selector orientation for the MN's uplink rules. RFC 6088 selectors, as the LMA keeps them in
// its flow mobility cache, describe CN -> MN packets; the MN's rules describe the packets it
// sends (MN -> CN). Mirroring the network's policy (seed 002 §4.4 cases 2 and 3) swaps the
// address and port fields (PROTOCOL.md §12 step 1); everything else means the same both ways.
#pragma once

#include <optional>
#include <string>

#include "wire/traffic_selector.hpp"

namespace pmipx::core {

// The uplink view of a network (downlink) selector, and back: the swap is its own inverse.
wire::TrafficSelector uplink_view(const wire::TrafficSelector& network_selector);

// Why the kernel could not apply `ts` (unknown format, a range whose start exceeds its end),
// or nothing.
std::optional<std::string> check_selector(const wire::TrafficSelector& ts);

}  // namespace pmipx::core
