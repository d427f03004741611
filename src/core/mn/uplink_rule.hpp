// The MN's uplink policy table (seed 001 §6: "The mobile node MUST be able to enforce uplink
// policies to select the right outgoing interface"): per flow, a priority, a selector of the
// packets the MN sends, and where they should leave: one interface, or an ordered list of
// interface labels (RFC 8278 §4.1: "HTTP over RED; if no RED interface is available, BLUE").
// The table only keeps rules consistent; MnAgent resolves them to live interfaces.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wire/traffic_selector.hpp"

namespace pmipx::core {

using IfaceId = std::uint32_t;                  // the MN's physical interface (ifindex), 1..
inline constexpr IfaceId kLogicalInterface = 0;  // seed 001 §3.2.1: the one logical interface
using IfaceLabel = std::string;                  // operator label of an interface (RED, BLUE...)

struct ToInterface {
  IfaceId iface = 0;
  bool operator==(const ToInterface&) const = default;
};
struct ToLabels {
  std::vector<IfaceLabel> labels;  // first label with a live interface wins
  bool operator==(const ToLabels&) const = default;
};
using RuleTarget = std::variant<ToInterface, ToLabels>;

struct UplinkRule {
  std::uint32_t id = 0;        // 1.., unique
  std::uint16_t priority = 0;  // lower wins (FID-PRI convention, seed 001 §5.2); unique
  wire::TrafficSelector selector;  // MN -> CN packets as they leave (uplink_view() mirrors the LMA's)
  RuleTarget target;
  bool operator==(const UplinkRule&) const = default;
};

class UplinkRuleTable {
 public:
  // Why `r` cannot be added or replace the rule with its id (id 0, bad selector, empty or
  // blank label list, a priority another rule holds), or nothing. Interfaces are the agent's
  // business: it checks a ToInterface target names one it knows.
  std::optional<std::string> check(const UplinkRule& r) const;
  std::optional<std::string> upsert(UplinkRule r);
  bool remove(std::uint32_t id);

  const UplinkRule* find(std::uint32_t id) const;
  std::vector<const UplinkRule*> in_priority_order() const;
  std::size_t size() const { return by_id_.size(); }

 private:
  std::map<std::uint32_t, UplinkRule> by_id_;
};

std::string describe(const RuleTarget& target);  // "interface 2" / "labels RED,BLUE"

}  // namespace pmipx::core
