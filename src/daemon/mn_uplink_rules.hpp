// The MN's uplink rules as Linux policy routing (seed 001 §6, DESIGN.md "MN agent mirrors the
// uplink policy"): an RFC 6088 selector, written MN -> CN, becomes one IPv6 rule leading to the
// chosen interface's table (kMnTableBase + ifindex, whose default route leads to that
// interface's router). Pure translation, no I/O: the daemon installs what comes out.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "io/netlink.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::daemon {

// One routing table per interface: kMnTableBase + ifindex.
inline constexpr std::uint32_t kMnTableBase = 2000;
// Per-address source rules (weak host): an address's packets use its interface's table.
inline constexpr std::uint32_t kMnSourceRulePriority = 1000;
// Uplink rules sit at kMnUplinkPriorityBase + rule priority, above (before) the source rules so
// a flow's choice also holds once its socket has a source address; the local table (0) stays
// first. That leaves rule priorities 0..kMnMaxUplinkPriority.
inline constexpr std::uint32_t kMnUplinkPriorityBase = 100;
inline constexpr std::uint32_t kMnMaxUplinkPriority = kMnSourceRulePriority - 1 - kMnUplinkPriorityBase;

struct UplinkKernelRule {
  io::PolicyRule rule;
  // What the kernel matches differently from the selector (logged as warnings).
  std::vector<std::string> caveats;
};

// The kernel rule for `selector` (MN -> CN) with rule priority `priority` sending packets to
// the table of `ifindex`, or why Linux rules cannot express it: IPv4 or unknown formats, an
// address range that is not one prefix, SPI or flow-label fields, a range of several
// protocols or DSCPs, DSCP 0 or next header 0 (the kernel's "any"), port 0 alone, a priority
// above kMnMaxUplinkPriority.
std::variant<UplinkKernelRule, std::string> to_kernel_rule(const wire::TrafficSelector& selector,
                                                           std::uint16_t priority, unsigned ifindex);

// The prefix an address range is exactly, if any ({a} alone is a /128).
std::optional<wire::Ipv6Prefix> as_prefix(const wire::Bound<wire::Ipv6Address>& range);

// Whether a kernel rule has the shape of an MN uplink rule (its priority range and an
// interface table), so one left behind by an earlier run can be cleared at start.
bool is_uplink_rule(const io::PolicyRule& rule);

}  // namespace pmipx::daemon
