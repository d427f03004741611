// The LMA's flow mobility cache (seed 001 §5.2, RFC 6089 flow bindings): per MN, flows in
// FID-PRI order, each a traffic selector, the BIDs its packets go to, and an action. A flow
// is active while at least one of its BIDs names a live binding-cache entry; it becomes
// inactive, not deleted, when all are gone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/lma/binding_cache.hpp"
#include "core/mn_id.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::core {

enum class FlowAction : std::uint8_t { kForward, kDrop };

struct FlowEntry {
  std::uint16_t fid = 0;       // unique per MN, 1..65535
  std::uint16_t priority = 0;  // FID-PRI: lower wins, unique per MN
  wire::TrafficSelector selector;
  std::vector<std::uint16_t> bids;  // every listed BID gets a copy (RFC 6089 §4.2)
  FlowAction action = FlowAction::kForward;
  bool operator==(const FlowEntry&) const = default;
};

class FlowMobilityCache {
 public:
  // Adds or replaces flow `f.fid` of `mn`. Fails (with the reason) on FID 0, a priority
  // another flow of the MN already uses, or a forward flow without BIDs.
  std::optional<std::string> upsert(const MnId& mn, FlowEntry f);
  bool remove(const MnId& mn, std::uint16_t fid);

  const FlowEntry* find(const MnId& mn, std::uint16_t fid) const;
  // The MN's flows in FID-PRI order.
  std::vector<const FlowEntry*> flows(const MnId& mn) const;
  bool active(const MnId& mn, const FlowEntry& f, const BindingCache& cache) const;
  std::size_t size() const;

 private:
  std::map<MnId, std::map<std::uint16_t, FlowEntry>> by_mn_;  // MN -> FID -> flow
};

}  // namespace pmipx::core
