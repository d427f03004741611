// wire::Ipv6TrafficSelector (RFC 6088 format 2, as the signaling carries it) -> the C struct
// the tc programs match (common/selector_match.h). The one place where the wire's optional
// start/end pairs become fields bits and inclusive ranges.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "dataplane/dp_abi.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::dataplane {

// An absent field clears its bit (matches anything); start-only becomes [start, start].
// Fails with a reason when a range ends below its start or a flow label exceeds 20 bits.
std::variant<pmipx_dp_selector, std::string> to_dp_selector(const wire::Ipv6TrafficSelector& ts);

// IPv4 (format 1) and unknown formats have no data-plane form yet: a reason.
std::variant<pmipx_dp_selector, std::string> to_dp_selector(const wire::TrafficSelector& ts);

}  // namespace pmipx::dataplane
