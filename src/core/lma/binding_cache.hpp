// The LMA's binding cache (RFC 5213 §5.1, extended by RFC 7864 §3.2): one entry per attached
// MN interface, several per MN. Indexed by MN-ID, prefix (several entries share a prefix
// under HI 6), proxy-CoA and BID. Entries change only through this class so the indexes
// stay true.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "core/mn_id.hpp"
#include "core/time.hpp"
#include "wire/address.hpp"
#include "wire/bytes.hpp"
#include "wire/codepoints.hpp"
#include "wire/message.hpp"

namespace pmipx::core {

using EntryId = std::uint64_t;

enum class BceState : std::uint8_t {
  kActive,
  kDeletePending,  // de-registered; kept MinDelayBeforeBCEDelete for a handoff (§5.3.5)
};

struct BindingCacheEntry {
  // Fields are ordered by alignment: a million of these live in the cache.
  EntryId id = 0;
  Instant registered{};
  Instant expires{};
  // The lifetime timer as armed. A refresh only moves `expires`; the timer fires at this
  // older deadline and re-arms itself, so refreshes touch no timer structure.
  Instant lifetime_deadline{};
  MnId mn_id;
  wire::Bytes mn_ll_id;  // empty: the PBU carried no MN-LL-ID (the ALL_ZERO of RFC 5213)
  std::vector<wire::Ipv6Prefix> prefixes;
  // Other entries' prefixes this entry's MAG routes off-link for moved flows (seed 001
  // §3.2.2), as last acknowledged by an FMA or sent in a PBA (§3.3).
  std::vector<wire::Ipv6Prefix> off_link_prefixes;
  std::optional<wire::Timestamp> timestamp;  // last accepted (timestamp mode)
  // Seed 004 (RFC 8278): the entry is one WAN path of a MAG's multipath binding; its
  // siblings from the same MAG share its prefixes.
  struct MultipathPath {
    std::string mag_id;
    std::uint8_t bid = 0;  // the MAG's Binding-Id for the path, 1..254
    wire::AccessTech if_att = wire::AccessTech::kReserved;
    std::uint8_t label = 0;
    bool operator==(const MultipathPath&) const = default;
  };
  std::shared_ptr<const MultipathPath> path;  // shared: entries are copied, paths are rare
  wire::Ipv6Address proxy_coa;
  wire::Ipv6Address mag_link_local;
  std::optional<std::uint16_t> sequence;     // last accepted (sequence mode)
  std::uint16_t last_pbu_sequence = 0;       // of the last accepted PBU, to spot duplicates
  std::uint32_t coa_slot = 0;  // its place in the proxy-CoA index (BindingCache only)
  std::uint16_t bid = 0;          // RFC 7864: the LMA names each entry of an MN
  wire::Lifetime lifetime;
  wire::AccessTech att = wire::AccessTech::kReserved;
  std::uint8_t bid_priority = 0;  // lower is preferred
  std::uint8_t ifp = 0;           // seed 003 interface priority
  bool primary = false;           // seed 003 P flag
  bool shares_prefixes = false;   // created by HI 6 (RFC 7864) or another multipath path
  bool muho = false;  // seed 002: its MAG asked for the prefixes of the MN's other entries
  BceState state = BceState::kActive;
};

class BindingCache {
 public:
  // Assigns the id and the smallest BID free for this MN and not in `held` (BIDs the caller
  // still refers to, such as those named by cached flows of a deleted entry).
  BindingCacheEntry& insert(BindingCacheEntry entry, const std::set<std::uint16_t>& held = {});
  void erase(EntryId id);

  BindingCacheEntry* find(EntryId id);
  const BindingCacheEntry* find(EntryId id) const;
  std::vector<EntryId> by_mn(const MnId& mn) const;
  std::vector<EntryId> by_prefix(const wire::Ipv6Prefix& p) const;
  std::vector<EntryId> by_proxy_coa(const wire::Ipv6Address& a) const;
  const BindingCacheEntry* by_bid(const MnId& mn, std::uint16_t bid) const;

  void set_prefixes(EntryId id, std::vector<wire::Ipv6Prefix> prefixes);
  void set_proxy_coa(EntryId id, const wire::Ipv6Address& a);

  std::size_t size() const { return entries_.size(); }
  const std::unordered_map<EntryId, BindingCacheEntry>& entries() const { return entries_; }

 private:
  template <class Index, class K>
  static void unindex(Index& index, const K& key, EntryId id);
  void index_coa(BindingCacheEntry& e);
  void unindex_coa(const BindingCacheEntry& e);
  struct AddressHash {
    std::size_t operator()(const wire::Ipv6Address& a) const;
  };

  // Hashed: refreshes look entries up by id and MN at a million bindings. by_mn_ keys on the
  // MN-ID's hash so the index holds no copy of the identifier; lookups confirm the match.
  std::unordered_map<EntryId, BindingCacheEntry> entries_;
  std::unordered_multimap<std::uint64_t, EntryId> by_mn_;
  std::multimap<wire::Ipv6Prefix, EntryId> by_prefix_;  // hashed was slower at 1M (measured)
  // Thousands of entries share one proxy-CoA: a vector per CoA, each entry knowing its slot,
  // costs 8 bytes an entry instead of a tree node.
  std::unordered_map<wire::Ipv6Address, std::vector<EntryId>, AddressHash> by_proxy_coa_;
  EntryId next_id_ = 1;
};

}  // namespace pmipx::core
