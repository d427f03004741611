// The MAG's binding update list (RFC 5213 §6.1): one entry per attached MN interface, keyed
// by the access link it is on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/mn_id.hpp"
#include "core/time.hpp"
#include "wire/address.hpp"
#include "wire/bytes.hpp"
#include "wire/codepoints.hpp"
#include "wire/message.hpp"

namespace pmipx::core {

using LinkId = std::uint32_t;  // the MAG's access link (one MN interface per p2p link)

enum class BuleState : std::uint8_t {
  kWaitPba,         // initial PBU sent
  kRegistered,
  kRefreshing,      // refresh PBU sent, binding still valid
  kDeregistering,   // lifetime-0 PBU sent
  kRejected,        // PBA >= 128: nothing advertised, no retries until a new attach
};

struct BindingUpdateListEntry {
  LinkId link = 0;
  MnId mn_id;
  wire::Bytes mn_ll_id;
  wire::AccessTech att = wire::AccessTech::kReserved;
  wire::HandoffIndicator attach_hi = wire::HandoffIndicator::kNewInterface;
  std::vector<wire::Ipv6Prefix> requested;  // empty: ask the LMA to assign
  std::vector<wire::Ipv6Prefix> prefixes;   // from the last accepted PBA
  // Other interfaces' prefixes routed to this MN link for moved flows (FMI, HNP L = 1):
  // routed, never advertised (seed 001 §4.1).
  std::vector<wire::Ipv6Prefix> off_link_prefixes;
  std::vector<wire::FlowIdOption> flows;    // flow-level information from the last FMI
  bool muho = false;                        // seed 002: ask for the MN's other prefixes
  std::vector<wire::Ipv6Prefix> muho_prefixes;  // other interfaces' prefixes, routed here
  std::uint8_t ifp = 0;
  bool primary = false;
  wire::Ipv6Address mag_link_local;
  BuleState state = BuleState::kWaitPba;
  std::uint16_t last_sequence = 0;
  wire::HandoffIndicator last_hi = wire::HandoffIndicator::kNewInterface;
  Duration retransmit_timeout{};
  std::uint32_t transmissions = 0;  // of the current request
  wire::Lifetime granted;
  Instant expires{};
  std::optional<wire::BaStatus> last_status;
};

class BindingUpdateList {
 public:
  BindingUpdateListEntry& add(BindingUpdateListEntry e) {
    erase(e.link);
    by_mn_.emplace(e.mn_id, e.link);
    return entries_[e.link] = std::move(e);
  }
  void erase(LinkId link) {
    auto it = entries_.find(link);
    if (it == entries_.end()) return;
    auto [lo, hi] = by_mn_.equal_range(it->second.mn_id);
    for (auto i = lo; i != hi; ++i) {
      if (i->second == link) {
        by_mn_.erase(i);
        break;
      }
    }
    entries_.erase(it);
  }
  BindingUpdateListEntry* find(LinkId link) {
    auto it = entries_.find(link);
    return it == entries_.end() ? nullptr : &it->second;
  }
  const BindingUpdateListEntry* find(LinkId link) const {
    auto it = entries_.find(link);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // The first entry of an MN (FMIs name the MN, not the link).
  BindingUpdateListEntry* by_mn(const MnId& mn) {
    auto it = by_mn_.find(mn);
    return it == by_mn_.end() ? nullptr : find(it->second);
  }
  // The entry a PBA answers: same MN and the sequence number of its outstanding PBU.
  BindingUpdateListEntry* match(const MnId& mn, std::uint16_t sequence) {
    auto [lo, hi] = by_mn_.equal_range(mn);
    for (auto i = lo; i != hi; ++i) {
      auto* e = find(i->second);
      if (e->last_sequence == sequence) return e;
    }
    return nullptr;
  }
  std::size_t size() const { return entries_.size(); }
  const std::map<LinkId, BindingUpdateListEntry>& entries() const { return entries_; }

 private:
  std::map<LinkId, BindingUpdateListEntry> entries_;
  std::multimap<MnId, LinkId> by_mn_;  // PBAs and FMIs name the MN
};

}  // namespace pmipx::core
