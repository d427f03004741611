#include "core/lma/flow_mobility_cache.hpp"

#include <algorithm>

namespace pmipx::core {

std::optional<std::string> FlowMobilityCache::upsert(const MnId& mn, FlowEntry f) {
  if (f.fid == 0) return "FID 0 is reserved";
  if (f.action == FlowAction::kForward && f.bids.empty()) return "a forwarded flow needs at least one BID";
  auto& flows = by_mn_[mn];
  for (const auto& [fid, other] : flows) {
    if (fid != f.fid && other.priority == f.priority) {
      return "FID-PRI " + std::to_string(f.priority) + " is used by FID " + std::to_string(fid);
    }
  }
  flows[f.fid] = std::move(f);
  return std::nullopt;
}

bool FlowMobilityCache::remove(const MnId& mn, std::uint16_t fid) {
  auto it = by_mn_.find(mn);
  if (it == by_mn_.end() || it->second.erase(fid) == 0) return false;
  if (it->second.empty()) by_mn_.erase(it);
  return true;
}

const FlowEntry* FlowMobilityCache::find(const MnId& mn, std::uint16_t fid) const {
  auto it = by_mn_.find(mn);
  if (it == by_mn_.end()) return nullptr;
  auto f = it->second.find(fid);
  return f == it->second.end() ? nullptr : &f->second;
}

std::vector<const FlowEntry*> FlowMobilityCache::flows(const MnId& mn) const {
  std::vector<const FlowEntry*> out;
  auto it = by_mn_.find(mn);
  if (it == by_mn_.end()) return out;
  for (const auto& [fid, f] : it->second) out.push_back(&f);
  std::sort(out.begin(), out.end(), [](const FlowEntry* a, const FlowEntry* b) { return a->priority < b->priority; });
  return out;
}

bool FlowMobilityCache::active(const MnId& mn, const FlowEntry& f, const BindingCache& cache) const {
  if (f.action == FlowAction::kDrop) return true;
  return std::any_of(f.bids.begin(), f.bids.end(), [&](std::uint16_t bid) { return cache.by_bid(mn, bid) != nullptr; });
}

std::size_t FlowMobilityCache::size() const {
  std::size_t n = 0;
  for (const auto& [mn, flows] : by_mn_) n += flows.size();
  return n;
}

}  // namespace pmipx::core
