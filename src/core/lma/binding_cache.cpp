#include "core/lma/binding_cache.hpp"

#include <algorithm>
#include <set>

namespace pmipx::core {

template <class Index, class K>
void BindingCache::unindex(Index& index, const K& key, EntryId id) {
  auto [lo, hi] = index.equal_range(key);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == id) {
      index.erase(it);
      return;
    }
  }
}

BindingCacheEntry& BindingCache::insert(BindingCacheEntry entry, const std::set<std::uint16_t>& held) {
  entry.id = next_id_++;
  std::set<std::uint16_t> used = held;
  for (EntryId other : by_mn(entry.mn_id)) used.insert(entries_.at(other).bid);
  std::uint16_t bid = 1;
  while (used.count(bid)) ++bid;
  entry.bid = bid;
  if (entry.bid_priority == 0) entry.bid_priority = static_cast<std::uint8_t>(bid < 127 ? bid : 127);

  by_mn_.emplace(entry.mn_id.hash(), entry.id);
  for (const auto& p : entry.prefixes) by_prefix_.emplace(p, entry.id);
  auto [it, inserted] = entries_.emplace(entry.id, std::move(entry));
  index_coa(it->second);
  return it->second;
}

void BindingCache::erase(EntryId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const auto& e = it->second;
  auto [lo, hi] = by_mn_.equal_range(e.mn_id.hash());
  for (auto i = lo; i != hi; ++i) {
    if (i->second == id) {
      by_mn_.erase(i);
      break;
    }
  }
  for (const auto& p : e.prefixes) unindex(by_prefix_, p, id);
  unindex_coa(e);
  entries_.erase(it);
}

BindingCacheEntry* BindingCache::find(EntryId id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

const BindingCacheEntry* BindingCache::find(EntryId id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}


// In insertion order (ids only grow), so "the MN's first entry" means the same everywhere.
std::vector<EntryId> BindingCache::by_mn(const MnId& mn) const {
  std::vector<EntryId> out;
  auto [lo, hi] = by_mn_.equal_range(mn.hash());
  for (auto it = lo; it != hi; ++it) {
    if (entries_.at(it->second).mn_id == mn) out.push_back(it->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<EntryId> BindingCache::by_prefix(const wire::Ipv6Prefix& p) const {
  std::vector<EntryId> out;
  auto [lo, hi] = by_prefix_.equal_range(p);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<EntryId> BindingCache::by_proxy_coa(const wire::Ipv6Address& a) const {
  auto it = by_proxy_coa_.find(a);
  if (it == by_proxy_coa_.end()) return {};
  std::vector<EntryId> out = it->second;
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t BindingCache::AddressHash::operator()(const wire::Ipv6Address& a) const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (auto b : a.octets) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return static_cast<std::size_t>(h);
}

void BindingCache::index_coa(BindingCacheEntry& e) {
  auto& ids = by_proxy_coa_[e.proxy_coa];
  e.coa_slot = static_cast<std::uint32_t>(ids.size());
  ids.push_back(e.id);
}

// Swap-and-pop: the last entry of the CoA takes the leaving one's slot.
void BindingCache::unindex_coa(const BindingCacheEntry& e) {
  auto it = by_proxy_coa_.find(e.proxy_coa);
  if (it == by_proxy_coa_.end()) return;
  auto& ids = it->second;
  EntryId last = ids.back();
  ids[e.coa_slot] = last;
  if (last != e.id) entries_.at(last).coa_slot = e.coa_slot;
  ids.pop_back();
  if (ids.empty()) by_proxy_coa_.erase(it);
}

const BindingCacheEntry* BindingCache::by_bid(const MnId& mn, std::uint16_t bid) const {
  for (EntryId id : by_mn(mn)) {
    const auto& e = entries_.at(id);
    if (e.bid == bid) return &e;
  }
  return nullptr;
}

void BindingCache::set_prefixes(EntryId id, std::vector<wire::Ipv6Prefix> prefixes) {
  auto* e = find(id);
  if (!e) return;
  for (const auto& p : e->prefixes) unindex(by_prefix_, p, id);
  e->prefixes = std::move(prefixes);
  for (const auto& p : e->prefixes) by_prefix_.emplace(p, id);
}

void BindingCache::set_proxy_coa(EntryId id, const wire::Ipv6Address& a) {
  auto* e = find(id);
  if (!e) return;
  unindex_coa(*e);
  e->proxy_coa = a;
  index_coa(*e);
}

}  // namespace pmipx::core
