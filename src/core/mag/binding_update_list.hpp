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
  BindingUpdateListEntry& add(BindingUpdateListEntry e) { return entries_[e.link] = std::move(e); }
  void erase(LinkId link) { entries_.erase(link); }
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
    for (auto& [link, e] : entries_) {
      if (e.mn_id == mn) return &e;
    }
    return nullptr;
  }
  // The entry a PBA answers: same MN and the sequence number of its outstanding PBU.
  BindingUpdateListEntry* match(const MnId& mn, std::uint16_t sequence) {
    for (auto& [link, e] : entries_) {
      if (e.mn_id == mn && e.last_sequence == sequence) return &e;
    }
    return nullptr;
  }
  std::size_t size() const { return entries_.size(); }
  const std::map<LinkId, BindingUpdateListEntry>& entries() const { return entries_; }

 private:
  std::map<LinkId, BindingUpdateListEntry> entries_;
};

}  // namespace pmipx::core
