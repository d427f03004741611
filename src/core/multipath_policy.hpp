// How traffic is spread over several tunnels between one MAG and the LMA (seed 004, RFC 8278
// §3.2). Both ends resolve the same policy against the paths that are up, so the LMA's
// downlink and the MAG's uplink agree: one source of truth for the label fallback rule.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wire/address.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::core {

// Per-flow: a flow hash picks one path and a flow is never split. Per-packet: packets are
// spread by weight (n:m), accepting reordering (RFC 8278 §3.2 warns about it).
enum class Distribution : std::uint8_t { kPerFlow, kPerPacket };

// "Web over RED, fall back to BLUE": flows matching `selector` use the paths labelled with
// the first label in `labels` that has a live path. No label live: the flow follows the
// default distribution.
struct LabelRule {
  std::uint16_t id = 0;
  std::uint16_t priority = 0;  // lower wins, unique per policy
  wire::TrafficSelector selector;
  std::vector<std::uint8_t> labels;  // preference order
  bool operator==(const LabelRule&) const = default;
};

struct MultipathPolicy {
  Distribution distribution = Distribution::kPerFlow;
  std::map<std::uint8_t, std::uint16_t> weight_by_label;  // absent: weight 1
  std::vector<LabelRule> rules;
  bool operator==(const MultipathPolicy&) const = default;

  std::uint16_t weight(std::uint8_t label) const {
    auto it = weight_by_label.find(label);
    return it == weight_by_label.end() ? 1 : it->second;
  }
  // A clear reason when the policy cannot be used (duplicate ids or priorities, a rule
  // without labels, a zero weight).
  std::optional<std::string> validate() const;
};

// One tunnel of a multipath binding as the data plane sees it.
struct TunnelPath {
  std::uint8_t bid = 0;  // RFC 8278 Binding-Id of the path
  wire::Ipv6Address proxy_coa;
  std::uint8_t label = 0;
  std::uint16_t weight = 1;
  bool operator==(const TunnelPath&) const = default;
};

// A label rule resolved to indexes into the live path list (empty: default distribution).
struct ResolvedRule {
  std::uint16_t id = 0;
  std::uint16_t priority = 0;
  wire::TrafficSelector selector;
  std::vector<std::size_t> paths;
  bool operator==(const ResolvedRule&) const = default;
};

std::vector<std::size_t> resolve_labels(const std::vector<std::uint8_t>& labels, const std::vector<TunnelPath>& live);
std::vector<ResolvedRule> resolve_rules(const MultipathPolicy& policy, const std::vector<TunnelPath>& live);

}  // namespace pmipx::core
