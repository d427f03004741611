#include "core/mn/uplink_rule.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/mn/uplink_selector.hpp"

namespace pmipx::core {

std::optional<std::string> UplinkRuleTable::check(const UplinkRule& r) const {
  if (r.id == 0) return std::string("rule id 0 is reserved");
  if (auto e = check_selector(r.selector)) return fmt::format("rule {}: {}", r.id, *e);
  if (const auto* l = std::get_if<ToLabels>(&r.target)) {
    if (l->labels.empty()) return fmt::format("rule {}: empty label list", r.id);
    if (std::any_of(l->labels.begin(), l->labels.end(), [](const IfaceLabel& s) { return s.empty(); })) {
      return fmt::format("rule {}: blank label", r.id);
    }
  }
  for (const auto& [id, other] : by_id_) {
    if (id != r.id && other.priority == r.priority) {
      return fmt::format("rule {}: priority {} already used by rule {}", r.id, r.priority, id);
    }
  }
  return std::nullopt;
}

std::optional<std::string> UplinkRuleTable::upsert(UplinkRule r) {
  if (auto e = check(r)) return e;
  by_id_[r.id] = std::move(r);
  return std::nullopt;
}

bool UplinkRuleTable::remove(std::uint32_t id) { return by_id_.erase(id) != 0; }

const UplinkRule* UplinkRuleTable::find(std::uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<const UplinkRule*> UplinkRuleTable::in_priority_order() const {
  std::vector<const UplinkRule*> out;
  out.reserve(by_id_.size());
  for (const auto& [id, r] : by_id_) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const UplinkRule* a, const UplinkRule* b) { return a->priority < b->priority; });
  return out;
}

std::string describe(const RuleTarget& target) {
  if (const auto* i = std::get_if<ToInterface>(&target)) return fmt::format("interface {}", i->iface);
  return fmt::format("labels {}", fmt::join(std::get<ToLabels>(target).labels, ","));
}

}  // namespace pmipx::core
