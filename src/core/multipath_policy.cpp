#include "core/multipath_policy.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace pmipx::core {

std::optional<std::string> MultipathPolicy::validate() const {
  for (const auto& [label, w] : weight_by_label) {
    if (w == 0) return fmt::format("label {} has weight 0", label);
  }
  std::set<std::uint16_t> ids, priorities;
  for (const auto& r : rules) {
    if (!ids.insert(r.id).second) return fmt::format("label rule id {} used twice", r.id);
    if (!priorities.insert(r.priority).second) return fmt::format("label rule priority {} used twice", r.priority);
    if (r.labels.empty()) return fmt::format("label rule {} names no label", r.id);
  }
  return std::nullopt;
}

std::vector<std::size_t> resolve_labels(const std::vector<std::uint8_t>& labels, const std::vector<TunnelPath>& live) {
  for (auto label : labels) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (live[i].label == label) out.push_back(i);
    }
    if (!out.empty()) return out;  // RFC 8278 §4.1: the same label may name several paths
  }
  return {};
}

std::vector<ResolvedRule> resolve_rules(const MultipathPolicy& policy, const std::vector<TunnelPath>& live) {
  std::vector<ResolvedRule> out;
  for (const auto& r : policy.rules) out.push_back(ResolvedRule{r.id, r.priority, r.selector, resolve_labels(r.labels, live)});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.priority < b.priority; });
  return out;
}

}  // namespace pmipx::core
