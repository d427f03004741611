#include "core/lma/binding_cache.hpp"

#include <algorithm>
#include <set>

namespace pmipx::core {

template <class K>
void BindingCache::unindex(std::multimap<K, EntryId>& index, const K& key, EntryId id) {
  auto [lo, hi] = index.equal_range(key);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == id) {
      index.erase(it);
      return;
    }
  }
}

BindingCacheEntry& BindingCache::insert(BindingCacheEntry entry) {
  entry.id = next_id_++;
  std::set<std::uint16_t> used;
  for (EntryId other : by_mn(entry.mn_id)) used.insert(entries_.at(other).bid);
  std::uint16_t bid = 1;
  while (used.count(bid)) ++bid;
  entry.bid = bid;
  if (entry.bid_priority == 0) entry.bid_priority = static_cast<std::uint8_t>(bid < 127 ? bid : 127);

  by_mn_.emplace(entry.mn_id.hash(), entry.id);
  for (const auto& p : entry.prefixes) by_prefix_.emplace(p, entry.id);
  by_proxy_coa_.emplace(entry.proxy_coa, entry.id);
  auto [it, inserted] = entries_.emplace(entry.id, std::move(entry));
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
  unindex(by_proxy_coa_, e.proxy_coa, id);
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

namespace {
template <class K>
std::vector<EntryId> collect(const std::multimap<K, EntryId>& index, const K& key) {
  std::vector<EntryId> out;
  auto [lo, hi] = index.equal_range(key);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}
}  // namespace

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
std::vector<EntryId> BindingCache::by_prefix(const wire::Ipv6Prefix& p) const { return collect(by_prefix_, p); }
std::vector<EntryId> BindingCache::by_proxy_coa(const wire::Ipv6Address& a) const {
  return collect(by_proxy_coa_, a);
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
  unindex(by_proxy_coa_, e->proxy_coa, id);
  e->proxy_coa = a;
  by_proxy_coa_.emplace(a, id);
}

}  // namespace pmipx::core
