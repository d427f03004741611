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
using PathIndex = std::uint8_t;  // the MAG's WAN link a registration goes over (seed 004)

enum class BuleState : std::uint8_t {
  kWaitPba,         // initial PBU sent
  kRegistered,
  kRefreshing,      // refresh PBU sent, binding still valid
  kDeregistering,   // lifetime-0 PBU sent
  kRejected,        // PBA >= 128: nothing advertised, no retries until a new attach
  kPathDown,        // path 0 de-registered because its WAN link is down; still anchors the
                    // MN's access-side state while other paths carry its traffic
};

struct BindingUpdateListEntry {
  LinkId link = 0;
  PathIndex path = 0;  // index into MagConfig::wan_links; the MMB Binding-Id is path + 1
  // Seed 004: this registration carries the MAG Multipath Binding option. Cleared when the
  // LMA refuses (180) or ignores it.
  bool multipath = false;
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
  // A de-registration for a path whose WAN link is down goes out over this other path, with
  // an Alternate Care-of Address option naming the dead proxy-CoA.
  std::optional<PathIndex> via;
  bool detaching = false;    // the MN left: a de-registration in flight ends the entry
  bool tunnel_held = false;  // this registration holds a reference on its WAN tunnel
  bool advertised = false;   // path 0: the MN's routes and RA are installed on the access link
};

class BindingUpdateList {
 public:
  BindingUpdateListEntry& add(BindingUpdateListEntry e) {
    erase(e.link, e.path);
    by_mn_.emplace(e.mn_id, Key{e.link, e.path});
    return entries_[Key{e.link, e.path}] = std::move(e);
  }
  void erase(LinkId link, PathIndex path = 0) {
    auto it = entries_.find(Key{link, path});
    if (it == entries_.end()) return;
    auto [lo, hi] = by_mn_.equal_range(it->second.mn_id);
    for (auto i = lo; i != hi; ++i) {
      if (i->second == it->first) {
        by_mn_.erase(i);
        break;
      }
    }
    entries_.erase(it);
  }
  // The registration of `link` over WAN path `path` (0: the first, or only, path).
  BindingUpdateListEntry* find(LinkId link, PathIndex path = 0) {
    auto it = entries_.find(Key{link, path});
    return it == entries_.end() ? nullptr : &it->second;
  }
  const BindingUpdateListEntry* find(LinkId link, PathIndex path = 0) const {
    auto it = entries_.find(Key{link, path});
    return it == entries_.end() ? nullptr : &it->second;
  }
  // Every registration of one access link, path 0 first.
  std::vector<BindingUpdateListEntry*> paths(LinkId link) {
    std::vector<BindingUpdateListEntry*> out;
    for (auto it = entries_.lower_bound(Key{link, 0}); it != entries_.end() && it->first.link == link; ++it) {
      out.push_back(&it->second);
    }
    return out;
  }
  // The MN's anchor entry (path 0) on its first link (FMIs and UPNs name the MN, not the link).
  BindingUpdateListEntry* by_mn(const MnId& mn) {
    auto [lo, hi] = by_mn_.equal_range(mn);
    for (auto i = lo; i != hi; ++i) {
      if (i->second.path == 0) return find(i->second.link, 0);
    }
    return nullptr;
  }
  // The entry a PBA answers: same MN and the sequence number of its outstanding PBU.
  BindingUpdateListEntry* match(const MnId& mn, std::uint16_t sequence) {
    auto [lo, hi] = by_mn_.equal_range(mn);
    for (auto i = lo; i != hi; ++i) {
      auto* e = find(i->second.link, i->second.path);
      if (e->last_sequence == sequence) return e;
    }
    return nullptr;
  }
  // Every registration over WAN path `path`.
  std::vector<BindingUpdateListEntry*> on_path(PathIndex path) {
    std::vector<BindingUpdateListEntry*> out;
    for (auto& [k, e] : entries_) {
      if (k.path == path) out.push_back(&e);
    }
    return out;
  }
  std::size_t size() const { return entries_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [k, e] : entries_) f(e);
  }

 private:
  struct Key {
    LinkId link;
    PathIndex path;
    auto operator<=>(const Key&) const = default;
  };
  std::map<Key, BindingUpdateListEntry> entries_;
  std::multimap<MnId, Key> by_mn_;  // PBAs and FMIs name the MN
};

}  // namespace pmipx::core
