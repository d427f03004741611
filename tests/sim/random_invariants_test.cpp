// Seeded random walks over the simulated network (STYLE.md §13; quinn-proto's rng_seed): MN
// interfaces attach, hand off and detach on three MAGs (one of them multipath), the operator
// moves flows, WAN links fail, interfaces change priority and time jumps past lifetimes, all
// under loss, duplication and reordering. After every step the invariants below must hold;
// after a quiet period both views must agree; after everyone leaves nothing may remain.
//
// A failure prints the seed, the step, the violations, both tables and the event trace. Replay
// one seed with more steps (PMIPX_RND_WIRE=<part of an MN name> adds its messages and events):
//   PMIPX_RND_SEEDS=17-17 PMIPX_RND_STEPS=2000 sim_tests --gtest_filter='RandomInvariants.Soak'
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenario.hpp"
#include "wire/hex.hpp"
#include "wire/print.hpp"

namespace pmipx::sim {
namespace {

using namespace scenario;
using Violations = std::vector<std::string>;
using wire::HandoffIndicator;

// ---- the network every walk runs on ---------------------------------------------------------

constexpr std::uint32_t kLifetimeS = 40;  // short, so walks pass many lifetimes
const wire::Ipv6Address kWlan = a6("2001:db8:a:1::1");  // mag 2, WAN link 0 (RED)
const wire::Ipv6Address kLte = a6("2001:db8:a:2::1");   // mag 2, WAN link 1 (BLUE)
const std::string kMultipathMagId = "mag3@rnd.example";

struct MnSpec {
  const char* name;
  MnFeatures features;  // shared_prefixes, muho, multipath, primary_hoa
  int interfaces;
  bool link_layer_id;   // false: the MAG never learns an MN-LL-ID (RFC 5213 Case C)
};

const std::array<MnSpec, 6> kMns{{
    {"plain@rnd.example", MnFeatures{}, 2, true},
    {"nolli@rnd.example", MnFeatures{}, 1, false},
    {"share@rnd.example", MnFeatures{true, false, false, false}, 3, true},
    {"muho@rnd.example", MnFeatures{false, true, false, false}, 2, true},
    {"multi@rnd.example", MnFeatures{false, false, true, false}, 1, true},
    {"prim@rnd.example", MnFeatures{false, false, false, true}, 2, true},
}};

MnId mn_id(std::size_t mn) { return MnId::nai(kMns.at(mn).name); }

std::vector<MnId> all_mns() {
  std::vector<MnId> out;
  for (std::size_t i = 0; i < kMns.size(); ++i) out.push_back(mn_id(i));
  return out;
}

MultipathPolicy multipath_policy() {
  MultipathPolicy p;
  p.weight_by_label = {{1, 3}, {2, 1}};
  wire::Ipv6TrafficSelector web;
  web.next_header = wire::Bound<std::uint8_t>{6, std::nullopt};
  web.dst_port = wire::Bound<std::uint16_t>{80, std::nullopt};
  p.rules = {LabelRule{1, 10, web, {1, 2}}};
  return p;
}

PolicyStore policy() {
  PolicyStore p(PrefixPool::create(p6("2001:db8:1::/48"), 64));
  for (const auto& a : {kMag1, kMag2, kWlan, kLte}) p.authorize_mag(a);
  for (std::size_t i = 0; i < kMns.size(); ++i) {
    MnProfile mn;
    mn.id = mn_id(i);
    mn.features = kMns[i].features;
    mn.multipath = multipath_policy();
    p.add_mn(mn);
  }
  return p;
}

LmaConfig lma_config() {
  LmaConfig c = scenario::lma_config();
  c.max_lifetime_s = kLifetimeS;
  return c;
}

// Three MAGs: two single-path ones and a multipath one with two WAN links.
std::unique_ptr<SimLab> make_lab(std::uint64_t seed) {
  auto lab = std::make_unique<SimLab>(lma_config(), policy(), seed);
  MagConfig m;
  m.requested_lifetime_s = kLifetimeS;
  lab->add_mag(kMag1, m);
  lab->add_mag(kMag2, m);
  MagConfig mp = m;
  mp.wan_links = {WanLink{kWlan, wire::AccessTech::kWlan, 1}, WanLink{kLte, wire::AccessTech::kEutran, 2}};
  mp.mag_id = kMultipathMagId;
  mp.multipath = multipath_policy();
  lab->add_mag(kWlan, mp);
  return lab;
}
constexpr std::size_t kMags = 3;
constexpr std::size_t kMultipathMag = 2;

constexpr int kSteps = 1000;        // per seed
constexpr int kSegment = 100;       // random steps between two quiet periods
// Lossless and quiet this long, the views must agree. It must exceed a binding lifetime: a
// binding whose de-registration was lost lives on at the LMA until it expires (RFC 5213
// §6.9.1.4 lets the MAG give up after INITIAL_BINDACK_TIMEOUT). 35 s is too short.
const Duration kQuiet = seconds(60);

// ---- printing -------------------------------------------------------------------------------

std::string str(const std::vector<wire::Ipv6Prefix>& ps) {
  std::string s = "[";
  for (const auto& p : ps) s += (s.size() > 1 ? "," : "") + p.to_string();
  return s + "]";
}

const char* str(BuleState s) {
  switch (s) {
    case BuleState::kWaitPba: return "WaitPba";
    case BuleState::kRegistered: return "Registered";
    case BuleState::kRefreshing: return "Refreshing";
    case BuleState::kDeregistering: return "Deregistering";
    case BuleState::kRejected: return "Rejected";
    case BuleState::kPathDown: return "PathDown";
  }
  return "?";
}

std::string str(const BindingCacheEntry& e) {
  return fmt::format("bce#{} {} bid={} lli={} coa={} {}{}{}{}", e.id, e.mn_id.to_string(), e.bid,
                     wire::to_hex(e.mn_ll_id), e.proxy_coa.to_string(), str(e.prefixes),
                     e.state == BceState::kActive ? "" : " DELETE_PENDING", e.shares_prefixes ? " shared" : "",
                     e.path ? fmt::format(" path={}/{}", e.path->mag_id, e.path->bid) : "");
}

std::string str(const BindingUpdateListEntry& e) {
  return fmt::format("bule link={} path={} {} lli={} {} {}{}", e.link, e.path, e.mn_id.to_string(),
                     wire::to_hex(e.mn_ll_id), str(e.state), str(e.prefixes), e.multipath ? " multipath" : "");
}

// One line per message on the wire, for replaying a failure (PMIPX_RND_WIRE=<MN name part>).
std::string summary(const WireRecord& r) {
  const auto& m = r.message;
  std::string s = fmt::format("{}{} {} -> {}", r.dropped ? "x" : "", wire::message_name(m), r.src.to_string(), r.dst.to_string());
  if (const auto* bu = std::get_if<wire::BindingUpdate>(&m.body)) s += fmt::format(" seq={} life={}", bu->sequence, bu->lifetime.seconds());
  if (const auto* ba = std::get_if<wire::BindingAck>(&m.body)) {
    s += fmt::format(" seq={} status={} life={}", ba->sequence, static_cast<int>(ba->status), ba->lifetime.seconds());
  }
  if (const auto* un = std::get_if<wire::UpdateNotification>(&m.body)) s += fmt::format(" seq={} reason={}", un->sequence, static_cast<int>(un->reason));
  if (const auto* ua = std::get_if<wire::UpdateNotificationAck>(&m.body)) s += fmt::format(" seq={} status={}", ua->sequence, static_cast<int>(ua->status));
  if (const auto* hi = wire::find_option<wire::HandoffIndicatorOption>(m)) s += fmt::format(" hi={}", static_cast<int>(hi->value));
  for (const auto* h : wire::find_options<wire::HnpOption>(m)) s += " hnp=" + std::string(h->off_link ? "L:" : "") + h->prefix.to_string();
  if (const auto* lli = wire::find_option<wire::MnLinkLayerIdOption>(m)) s += " lli=" + wire::to_hex(lli->link_layer_id);
  if (const auto* mmb = wire::find_option<wire::MagMultipathBindingOption>(m)) s += fmt::format(" mmb={}", mmb->bid);
  if (const auto* acoa = wire::find_option<wire::AlternateCoaOption>(m)) s += " acoa=" + acoa->address.to_string();
  return s;
}

bool mentions(const wire::Message& m, const std::string& part) {
  const auto* id = wire::find_option<wire::MnIdOption>(m);
  return id && id->identifier.find(part) != std::string::npos;
}

// The cache's entries in id (creation) order, whatever container holds them.
std::vector<const BindingCacheEntry*> by_id(const BindingCache& cache) {
  std::vector<const BindingCacheEntry*> out;
  for (const auto& kv : cache.entries()) out.push_back(&kv.second);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  return out;
}

// ---- what the data planes were told, replayed -----------------------------------------------

// The LMA's operations so far: tunnels up, routes installed, the last rule per flow.
struct LmaLedger {
  std::size_t next = 0;
  std::set<wire::Ipv6Address> tunnels;
  std::size_t tunnels_added = 0;
  std::set<std::pair<wire::Ipv6Prefix, EntryId>> routes;
  // Per (MN, FID): the last FlowRuleSet, or nullopt after a FlowRuleRemove.
  std::map<std::pair<MnId, std::uint16_t>, std::optional<lma_op::FlowRuleSet>> rules;

  void feed(const std::vector<LmaDataplaneOp>& ops, Violations& out) {
    for (; next < ops.size(); ++next) {
      const auto& op = ops[next];
      if (const auto* a = std::get_if<lma_op::TunnelAdd>(&op)) {
        ++tunnels_added;
        if (!tunnels.insert(a->proxy_coa).second) {
          out.push_back(fmt::format("inv3: LMA op #{} adds tunnel {} already up", next, a->proxy_coa.to_string()));
        }
      } else if (const auto* r = std::get_if<lma_op::TunnelRemove>(&op)) {
        if (tunnels.erase(r->proxy_coa) == 0) {
          out.push_back(fmt::format("inv3: LMA op #{} removes tunnel {} never added", next, r->proxy_coa.to_string()));
        }
      } else if (const auto* ra = std::get_if<lma_op::RouteAdd>(&op)) {
        if (!routes.insert({ra->prefix, ra->entry}).second) {
          out.push_back(fmt::format("inv3: LMA op #{} adds route {} -> bce#{} twice", next, ra->prefix.to_string(), ra->entry));
        }
      } else if (const auto* rr = std::get_if<lma_op::RouteRemove>(&op)) {
        if (routes.erase({rr->prefix, rr->entry}) == 0) {
          out.push_back(fmt::format("inv3: LMA op #{} removes route {} -> bce#{} not installed", next,
                                    rr->prefix.to_string(), rr->entry));
        }
      } else if (const auto* fs = std::get_if<lma_op::FlowRuleSet>(&op)) {
        rules[{fs->mn, fs->fid}] = *fs;
      } else if (const auto* fr = std::get_if<lma_op::FlowRuleRemove>(&op)) {
        rules[{fr->mn, fr->fid}] = std::nullopt;
      }
    }
  }
};

// One MAG's operations so far: tunnels up (by proxy-CoA) and route references per link.
struct MagLedger {
  std::size_t next = 0;
  std::set<wire::Ipv6Address> tunnels;
  std::size_t tunnels_added = 0;
  std::map<std::pair<LinkId, wire::Ipv6Prefix>, int> routes;

  void feed(const std::vector<MagDataplaneOp>& ops, std::size_t mag, Violations& out) {
    for (; next < ops.size(); ++next) {
      const auto& op = ops[next];
      if (const auto* a = std::get_if<mag_op::TunnelAdd>(&op)) {
        ++tunnels_added;
        if (!tunnels.insert(a->proxy_coa).second) {
          out.push_back(fmt::format("inv3: mag{} op #{} adds tunnel {} already up", mag, next, a->proxy_coa.to_string()));
        }
      } else if (const auto* r = std::get_if<mag_op::TunnelRemove>(&op)) {
        if (tunnels.erase(r->proxy_coa) == 0) {
          out.push_back(fmt::format("inv3: mag{} op #{} removes tunnel {} never added", mag, next, r->proxy_coa.to_string()));
        }
      } else if (const auto* ra = std::get_if<mag_op::RouteAdd>(&op)) {
        ++routes[{ra->link, ra->prefix}];
      } else if (const auto* rr = std::get_if<mag_op::RouteRemove>(&op)) {
        if (--routes[{rr->link, rr->prefix}] < 0) {
          out.push_back(fmt::format("inv3: mag{} op #{} removes route {} on link {} not installed", mag, next,
                                    rr->prefix.to_string(), rr->link));
        }
      }
    }
    std::erase_if(routes, [](const auto& kv) { return kv.second == 0; });
  }
};

// The proxy-CoA a MAG registration goes over (MagEngine::wan).
wire::Ipv6Address path_coa(const MagConfig& c, PathIndex path) {
  return c.wan_links.empty() ? c.proxy_coa : c.wan_links.at(path).proxy_coa;
}

// ---- the invariants -------------------------------------------------------------------------

// 1. A prefix belongs to one binding-cache entry, unless the others holding it share it
// legitimately: created by HI 6 for an MN allowed to share prefixes (RFC 7864), or another
// WAN path of the same MAG's multipath binding (RFC 8278). A path already de-registered
// (DELETE_PENDING) may outlive its siblings' multipath identity: it only waits out
// MinDelayBeforeBCEDelete with its traffic blocked (RFC 5213 §5.3.5). Every holder is the
// same MN. The pool has exactly the prefixes the cache holds allocated.
void check_prefixes(const BindingCache& cache, const PolicyStore& policy, Violations& out) {
  std::map<wire::Ipv6Prefix, std::vector<const BindingCacheEntry*>> holders;
  for (const auto* e : by_id(cache)) {
    for (const auto& p : e->prefixes) holders[p].push_back(e);
  }
  for (const auto& [p, es] : holders) {
    if (es.size() < 2) continue;
    std::string who;
    for (const auto* e : es) who += "\n    " + str(*e);
    for (const auto* e : es) {
      if (e->mn_id != es.front()->mn_id) {
        out.push_back(fmt::format("inv1: prefix {} is held by different MNs:{}", p.to_string(), who));
        break;
      }
    }
    auto owners = std::count_if(es.begin(), es.end(), [](const auto* e) { return !e->shares_prefixes; });
    if (owners > 1) out.push_back(fmt::format("inv1: prefix {} has {} owning entries:{}", p.to_string(), owners, who));
    for (const auto* e : es) {
      if (!e->shares_prefixes) continue;
      const auto* profile = policy.find(e->mn_id);
      bool hi6 = profile && profile->features.shared_prefixes;
      bool sibling = e->path && std::any_of(es.begin(), es.end(), [&](const auto* o) {
                       return o != e && o->path && o->path->mag_id == e->path->mag_id;
                     });
      bool leaving_path = e->path && e->state == BceState::kDeletePending;
      if (!hi6 && !sibling && !leaving_path) {
        out.push_back(fmt::format("inv1: prefix {} shared without HI 6 or a multipath sibling by {}:{}",
                                  p.to_string(), str(*e), who));
      }
    }
  }
  if (const auto* pool = policy.pool()) {
    if (pool->used() != holders.size()) {
      out.push_back(fmt::format("inv1: pool has {} prefixes allocated, the cache holds {}", pool->used(), holders.size()));
    }
    for (const auto& [p, es] : holders) {
      if (!pool->in_use(p)) out.push_back(fmt::format("inv1: prefix {} is bound but free in the pool", p.to_string()));
    }
  }
}

// 2. Each flow of the flow mobility cache names live entries of its MN or is inactive, and
// the last rule the LMA programmed for it says the same: an active flow's rule goes to
// exactly its live entries with its current selector, priority and action; an inactive or
// removed flow has no rule. (A BID names whichever live entry holds it now: a new entry may
// take a deleted one's BID, and the flows naming it follow.)
void check_flows(const BindingCache& cache, const FlowMobilityCache& flows, const LmaLedger& ledger,
                 const std::vector<MnId>& mns, Violations& out) {
  for (const auto& mn : mns) {
    for (const auto* f : flows.flows(mn)) {
      std::set<EntryId> live;
      for (auto bid : f->bids) {
        if (const auto* e = cache.by_bid(mn, bid)) {
          if (e->mn_id != mn) out.push_back(fmt::format("inv2: BID {} of {} names {}", bid, mn.to_string(), str(*e)));
          live.insert(e->id);
        }
      }
      bool active = flows.active(mn, *f, cache);
      if (f->action == FlowAction::kForward && active == live.empty()) {
        out.push_back(fmt::format("inv2: flow {}/{} active={} with {} live entries", mn.to_string(), f->fid, active, live.size()));
      }
      auto it = ledger.rules.find({mn, f->fid});
      if (it == ledger.rules.end()) {
        out.push_back(fmt::format("inv2: flow {}/{} is cached but was never programmed", mn.to_string(), f->fid));
        continue;
      }
      const auto& rule = it->second;
      if (!active) {
        if (rule) out.push_back(fmt::format("inv2: inactive flow {}/{} still has a rule", mn.to_string(), f->fid));
        continue;
      }
      std::set<EntryId> programmed;
      if (rule) programmed.insert(rule->entries.begin(), rule->entries.end());
      if (programmed != live) {
        std::string a, b;
        for (auto id : programmed) a += fmt::format(" bce#{}", id);
        for (auto id : live) b += fmt::format(" bce#{}", id);
        out.push_back(fmt::format("inv2: active flow {}/{} {} [{} ] but its live entries are [{} ]", mn.to_string(),
                                  f->fid, rule ? "has its rule going to" : "has no rule (removed), programmed", a, b));
      }
      if (rule && (rule->priority != f->priority || rule->selector != f->selector || rule->action != f->action)) {
        out.push_back(fmt::format("inv2: flow {}/{} rule differs from the cached flow", mn.to_string(), f->fid));
      }
    }
  }
  for (const auto& [key, rule] : ledger.rules) {
    if (rule && !flows.find(key.first, key.second)) {
      out.push_back(fmt::format("inv2: rule for flow {}/{} not in the cache", key.first.to_string(), key.second));
    }
  }
}

// 3 (beyond the replay itself). Tunnels up are exactly the proxy-CoAs the tables use: at the
// LMA every entry's, at a MAG every registration holding a tunnel; routes at the LMA are
// exactly every entry's prefixes, and at a MAG what its advertised entries route (on-link,
// off-link for moved flows, MuHo).
void check_lma_dataplane(const BindingCache& cache, const LmaLedger& ledger, Violations& out) {
  std::set<wire::Ipv6Address> used;
  std::set<std::pair<wire::Ipv6Prefix, EntryId>> routes;
  for (const auto& [id, e] : cache.entries()) {
    used.insert(e.proxy_coa);
    for (const auto& p : e.prefixes) routes.insert({p, id});
  }
  for (const auto& a : used) {
    if (!ledger.tunnels.count(a)) out.push_back(fmt::format("inv3: LMA entries use {} but no tunnel is up", a.to_string()));
  }
  for (const auto& a : ledger.tunnels) {
    if (!used.count(a)) out.push_back(fmt::format("inv3: LMA tunnel {} is up with no entry using it", a.to_string()));
  }
  if (routes != ledger.routes) {
    std::string diff;
    for (const auto& r : routes) {
      if (!ledger.routes.count(r)) diff += fmt::format(" missing {}->bce#{}", r.first.to_string(), r.second);
    }
    for (const auto& r : ledger.routes) {
      if (!routes.count(r)) diff += fmt::format(" stale {}->bce#{}", r.first.to_string(), r.second);
    }
    out.push_back("inv3: LMA routes differ from the binding cache:" + diff);
  }
}

void check_mag_dataplane(std::size_t mag, const MagConfig& config, const BindingUpdateList& bul, const MagLedger& ledger,
                         Violations& out) {
  std::map<wire::Ipv6Address, int> held;
  std::map<std::pair<LinkId, wire::Ipv6Prefix>, int> routes;
  bul.for_each([&](const BindingUpdateListEntry& e) {
    if (e.tunnel_held) ++held[path_coa(config, e.path)];
    if (!e.advertised) return;
    for (const auto* list : {&e.prefixes, &e.off_link_prefixes, &e.muho_prefixes}) {
      for (const auto& p : *list) ++routes[{e.link, p}];
    }
  });
  for (const auto& [a, n] : held) {
    if (!ledger.tunnels.count(a)) out.push_back(fmt::format("inv3: mag{} holds {} refs on tunnel {} not up", mag, n, a.to_string()));
  }
  for (const auto& a : ledger.tunnels) {
    if (!held.count(a)) out.push_back(fmt::format("inv3: mag{} tunnel {} is up with no registration holding it", mag, a.to_string()));
  }
  if (routes != ledger.routes) {
    std::string diff;
    for (const auto& [k, n] : routes) {
      auto it = ledger.routes.find(k);
      int have = it == ledger.routes.end() ? 0 : it->second;
      if (have != n) diff += fmt::format(" link {} {}: want {} have {};", k.first, k.second.to_string(), n, have);
    }
    for (const auto& [k, n] : ledger.routes) {
      if (!routes.count(k)) diff += fmt::format(" link {} {}: want 0 have {};", k.first, k.second.to_string(), n);
    }
    out.push_back(fmt::format("inv3: mag{} routes differ from its binding update list:{}", mag, diff));
  }
}

// One MAG as the view checks see it.
struct MagSide {
  const MagConfig* config;
  const BindingUpdateList* bul;
};

bool registered(const BindingUpdateListEntry& e) {
  return e.state == BuleState::kRegistered || e.state == BuleState::kRefreshing;
}

// The prefixes a MAG registration stands for: path 0 keeps them; another WAN path of a
// multipath binding registers its anchor's.
std::vector<wire::Ipv6Prefix> registered_prefixes(const BindingUpdateList& bul, const BindingUpdateListEntry& e) {
  if (e.path == 0) return e.prefixes;
  const auto* anchor = bul.find(e.link, 0);
  return anchor ? anchor->prefixes : e.requested;
}

bool same_set(std::vector<wire::Ipv6Prefix> a, std::vector<wire::Ipv6Prefix> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// 5. Once quiet, every registered MAG entry has exactly one active LMA entry of its MN over
// the same proxy-CoA with the same MN-LL-ID, prefixes and multipath identity, and every
// active LMA entry is some MAG's registered entry.
void check_views(const BindingCache& cache, const std::vector<MagSide>& mags, Violations& out) {
  std::map<EntryId, int> claimed;
  for (std::size_t m = 0; m < mags.size(); ++m) {
    const auto& config = *mags[m].config;
    mags[m].bul->for_each([&](const BindingUpdateListEntry& e) {
      if (!registered(e)) return;
      auto coa = path_coa(config, e.path);
      std::vector<const BindingCacheEntry*> match;
      for (EntryId id : cache.by_mn(e.mn_id)) {
        const auto* b = cache.find(id);
        if (b->state == BceState::kActive && b->proxy_coa == coa && b->mn_ll_id == e.mn_ll_id) match.push_back(b);
      }
      if (e.multipath) {
        std::erase_if(match, [&](const auto* b) {
          return !b->path || b->path->mag_id != config.mag_id || b->path->bid != e.path + 1;
        });
      }
      if (match.size() != 1) {
        out.push_back(fmt::format("inv5: mag{} {} matches {} active LMA entries", m, str(e), match.size()));
        return;
      }
      const auto& b = *match.front();
      ++claimed[b.id];
      auto want = registered_prefixes(*mags[m].bul, e);
      if (!same_set(b.prefixes, want)) {
        out.push_back(fmt::format("inv5: mag{} {} registered {} but the LMA has {}", m, str(e), str(want), str(b)));
      }
      if (static_cast<bool>(b.path) != e.multipath) {
        out.push_back(fmt::format("inv5: mag{} {} multipath={} but the LMA has {}", m, str(e), e.multipath, str(b)));
      }
    });
  }
  for (const auto* b : by_id(cache)) {
    if (b->state != BceState::kActive) continue;
    auto it = claimed.find(b->id);
    if (it == claimed.end()) out.push_back(fmt::format("inv5: active {} has no registered MAG entry", str(*b)));
    else if (it->second > 1) out.push_back(fmt::format("inv5: active {} is claimed by {} MAG entries", str(*b), it->second));
  }
}

// 4. Nothing is left once every MN has gone: no entries, tunnels, routes, allocated prefixes,
// flow rules or timers.
void check_leaks(const LmaEngine& lma, const LmaLedger& lma_ledger, const std::vector<const MagEngine*>& mags,
                 const std::vector<MagLedger>& mag_ledgers, const std::vector<MnId>& mns, Violations& out) {
  for (const auto* e : by_id(lma.bindings())) out.push_back("inv4: LMA still has " + str(*e));
  for (const auto& a : lma_ledger.tunnels) out.push_back("inv4: LMA tunnel still up to " + a.to_string());
  for (const auto& r : lma_ledger.routes) {
    out.push_back(fmt::format("inv4: LMA route {} -> bce#{} still installed", r.first.to_string(), r.second));
  }
  // A drop flow is active without any binding (FlowMobilityCache::active), so its rule stays
  // while the operator keeps the flow; check_flows verifies it matches the cache. Forward
  // flows must all have lost their rules.
  for (const auto& [key, rule] : lma_ledger.rules) {
    if (rule && rule->action != FlowAction::kDrop) out.push_back(fmt::format("inv4: LMA flow rule {}/{} still set", key.first.to_string(), key.second));
  }
  if (const auto* pool = lma.policy().pool(); pool && pool->used() != 0) {
    out.push_back(fmt::format("inv4: {} prefixes still allocated", pool->used()));
  }
  for (const auto& mn : mns) {
    if (lma.flow_move_pending(mn)) out.push_back("inv4: a flow move is still pending for " + mn.to_string());
  }
  if (lma.poll_timeout()) out.push_back("inv4: the LMA still has a timer armed");
  for (std::size_t m = 0; m < mags.size(); ++m) {
    mags[m]->bindings().for_each([&](const BindingUpdateListEntry& e) {
      out.push_back(fmt::format("inv4: mag{} still has {}", m, str(e)));
    });
    for (const auto& a : mag_ledgers[m].tunnels) out.push_back(fmt::format("inv4: mag{} tunnel still up over {}", m, a.to_string()));
    for (const auto& [k, n] : mag_ledgers[m].routes) {
      out.push_back(fmt::format("inv4: mag{} route {} on link {} still installed ({})", m, k.second.to_string(), k.first, n));
    }
    if (mags[m]->poll_timeout()) out.push_back(fmt::format("inv4: mag{} still has a timer armed", m));
  }
}

// ---- the random walk ------------------------------------------------------------------------

struct Interface {
  std::size_t mn = 0;
  int index = 0;
  wire::Bytes lli;
  wire::AccessTech att = wire::AccessTech::kEthernet;
  std::optional<std::size_t> mag;  // where it is attached
  LinkId link() const { return static_cast<LinkId>(mn * 10 + static_cast<std::size_t>(index) + 1); }
  std::string name() const { return fmt::format("{}#{}", kMns.at(mn).name, index); }
};

const std::array<wire::AccessTech, 3> kAtt{wire::AccessTech::kWlan, wire::AccessTech::kEutran, wire::AccessTech::kEthernet};

class RandomWalk {
 public:
  RandomWalk(std::uint64_t seed, int steps) : seed_(seed), steps_(steps), rng_(seed * 0x9e3779b97f4a7c15ull + 1) {
    lab_ = make_lab(seed);
    mag_ledgers_.resize(kMags);
    for (std::size_t m = 0; m < kMns.size(); ++m) {
      for (int i = 0; i < kMns[m].interfaces; ++i) {
        Interface f;
        f.mn = m;
        f.index = i;
        if (kMns[m].link_layer_id) f.lli = {2, 0, 0, 0, static_cast<std::uint8_t>(m), static_cast<std::uint8_t>(i + 1)};
        f.att = kAtt.at(static_cast<std::size_t>(i));
        interfaces_.push_back(f);
      }
    }
  }

  // Runs the walk; false after the first violation (reported with the trace).
  bool run() {
    for (step_ = 1; step_ <= steps_; ++step_) {
      random_step();
      if (!check("after the step", safety())) return false;
      if (step_ % kSegment == 0 || step_ == steps_) {
        quiet(kQuiet);
        Violations v = safety();
        check_views(lma().bindings(), mag_sides(), v);
        served(v);
        if (!check("after a quiet period", v)) return false;
      }
    }
    leave_and_drain();
    Violations v = safety();
    std::vector<const MagEngine*> mags;
    for (std::size_t m = 0; m < kMags; ++m) mags.push_back(&lab_->mag(m));
    check_leaks(lma(), lma_ledger_, mags, mag_ledgers_, all_mns(), v);
    if (lab_->decode_failures() != 0) v.push_back(fmt::format("{} messages failed to encode or decode", lab_->decode_failures()));
    return check("after every MN left", v);
  }

 private:
  const LmaEngine& lma() const { return lab_->lma(); }
  template <class T>
  T pick(const std::vector<T>& v) {
    return v.at(std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng_));
  }
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  // A gap that never lands two actions on the same 48.16 timestamp.
  Duration gap(Duration base) { return base + std::chrono::microseconds(uniform(1, 999)); }

  void note(const std::string& what) {
    if (const char* part = std::getenv("PMIPX_RND_WIRE")) {
      // Debugging: the engines' events about that MN since the last line.
      for (; events_seen_ < lab_->events().size(); ++events_seen_) {
        const auto& e = lab_->events()[events_seen_];
        if (e.mn.find(part) == std::string::npos) continue;
        trace_.push_back(fmt::format("         event {} entry={} status={} {}", to_string(e.kind), e.entry, e.status, e.detail));
      }
    }
    auto t = std::chrono::duration_cast<std::chrono::milliseconds>(lab_->now().mono - Instant{}).count();
    trace_.push_back(fmt::format("[{:>4}] t={}.{:03}s {}", step_, t / 1000, t % 1000, what));
  }

  Violations safety() {
    Violations v;
    lma_ledger_.feed(lab_->lma_ops(), v);
    for (std::size_t m = 0; m < kMags; ++m) mag_ledgers_[m].feed(lab_->mag_ops(m), m, v);
    check_prefixes(lma().bindings(), lma().policy(), v);
    check_flows(lma().bindings(), lma().flows(), lma_ledger_, all_mns(), v);
    check_lma_dataplane(lma().bindings(), lma_ledger_, v);
    for (std::size_t m = 0; m < kMags; ++m) {
      check_mag_dataplane(m, lab_->mag(m).config(), lab_->mag(m).bindings(), mag_ledgers_[m], v);
    }
    return v;
  }

  bool check(const char* when, const Violations& v) {
    if (v.empty()) return true;
    std::string text;
    for (const auto& s : v) text += "  " + s + "\n";
    std::string state;
    for (const auto* e : by_id(lma().bindings())) state += "  LMA " + str(*e) + "\n";
    for (std::size_t m = 0; m < kMags; ++m) {
      lab_->mag(m).bindings().for_each([&](const BindingUpdateListEntry& e) { state += fmt::format("  mag{} {}\n", m, str(e)); });
    }
    std::string lines;
    for (const auto& s : trace_) lines += "  " + s + "\n";
    if (const char* part = std::getenv("PMIPX_RND_WIRE")) {
      lines += "wire:\n";
      for (const auto& r : lab_->wire_log()) {
        if (!mentions(r.message, part)) continue;
        auto t = std::chrono::duration_cast<std::chrono::milliseconds>(r.sent - Instant{}).count();
        lines += fmt::format("  t={}.{:03}s {}\n", t / 1000, t % 1000, summary(r));
      }
    }
    ADD_FAILURE() << "seed " << seed_ << " step " << step_ << " (" << when << "): " << v.size() << " violation(s)\n"
                  << text << "state:\n" << state << "trace:\n" << lines;
    return false;
  }

  std::vector<MagSide> mag_sides() const {
    std::vector<MagSide> out;
    for (std::size_t m = 0; m < kMags; ++m) out.push_back(MagSide{&lab_->mag(m).config(), &lab_->mag(m).bindings()});
    return out;
  }

  // 6 (model check). Once quiet, every interface the walk attached is served at its MAG, and
  // a multipath one over both WAN links.
  void served(Violations& out) {
    for (const auto& f : interfaces_) {
      if (!f.mag) continue;
      const auto* e = lab_->mag(*f.mag).bindings().find(f.link(), 0);
      if (!e || e->mn_id != mn_id(f.mn) || !registered(*e)) {
        out.push_back(fmt::format("inv6: {} attached at mag{} link {} is not served: {}", f.name(), *f.mag, f.link(),
                                  e ? str(*e) + fmt::format(" last status {}", e->last_status ? static_cast<int>(*e->last_status) : -1)
                                    : "no entry"));
        continue;
      }
      if (e->multipath) {
        const auto* p1 = lab_->mag(*f.mag).bindings().find(f.link(), 1);
        if (!p1 || !registered(*p1)) {
          out.push_back(fmt::format("inv6: {} at mag{} is multipath but WAN path 1 is {}", f.name(), *f.mag, p1 ? str(*p1) : "missing"));
        }
      }
    }
  }

  // The wire turns lossless, failed WAN links return, and nothing new happens for `d`.
  void quiet(Duration d) {
    lab_->conditions = WireConditions{};
    for (PathIndex p = 0; p < 2; ++p) {
      if (!wan_up_[p]) {
        lab_->wan_link_up(kMultipathMag, p);
        wan_up_[p] = true;
      }
    }
    note(fmt::format("quiet for {} s (lossless, WAN links up)", std::chrono::duration_cast<seconds>(d).count()));
    lab_->run_for(d);
  }

  void leave_and_drain() {
    ++step_;
    for (auto& f : interfaces_) {
      if (!f.mag) continue;
      note(fmt::format("detach {} from mag{}", f.name(), *f.mag));
      lab_->detach(*f.mag, f.link());
      f.mag.reset();
      lab_->run_for(gap(milliseconds(10)));
    }
    note("drain for 120 s");
    lab_->run_for(seconds(120));
  }

  // ---- the random events ----

  std::vector<std::size_t> attached(bool yes) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
      if (interfaces_[i].mag.has_value() == yes) out.push_back(i);
    }
    return out;
  }

  Attachment attachment(const Interface& f, HandoffIndicator hi) {
    Attachment a;
    a.link = f.link();
    a.mn_id = mn_id(f.mn);
    a.mn_ll_id = f.lli;
    a.att = f.att;
    a.hi = hi;
    a.muho = kMns[f.mn].features.muho;
    a.multipath = kMns[f.mn].features.multipath;
    if (kMns[f.mn].features.primary_hoa) {
      a.ifp = static_cast<std::uint8_t>(uniform(0, 9));
      a.primary = f.index == 0;
    }
    return a;
  }

  void do_attach(Interface& f, std::size_t mag, const Attachment& a) {
    note(fmt::format("attach {} at mag{} link {} hi={} ifp={}{} {}", f.name(), mag, a.link, static_cast<int>(a.hi), a.ifp,
                    a.primary ? " P" : "", a.prefixes.empty() ? "" : str(a.prefixes)));
    lab_->attach(mag, a);
    f.mag = mag;
  }

  void do_detach(Interface& f) {
    note(fmt::format("detach {} from mag{} link {}", f.name(), *f.mag, f.link()));
    lab_->detach(*f.mag, f.link());
    f.mag.reset();
  }

  // The MAGs an interface may attach to: any but `except`.
  std::vector<std::size_t> mags_except(std::optional<std::size_t> except = std::nullopt) const {
    std::vector<std::size_t> out;
    for (std::size_t m = 0; m < kMags; ++m) {
      if (m == except) continue;
      out.push_back(m);
    }
    return out;
  }

  // Free to attach. While an HI 2 registration of the MN is outstanding no other interface
  // of it comes up: HI 2 promises the LMA that the MN moved its one session to the new
  // interface, and the LMA hands the MN's only session to it whenever the (retransmitted)
  // PBU arrives (RFC 5213 §5.4.1 Case B.2), even one a newer interface got meanwhile. That
  // would be the walk breaking the MAG's promise, not a fault of the engines.
  bool idle(const Interface& f) const {
    if (f.mag) return false;
    for (const auto& g : interfaces_) {
      if (g.mn != f.mn || !g.mag) continue;
      const auto* e = lab_->mag(*g.mag).bindings().find(g.link());
      if (e && e->mn_id == mn_id(g.mn) && e->attach_hi == HandoffIndicator::kInterfaceHandoff &&
          e->state == BuleState::kWaitPba) {
        return false;
      }
    }
    return true;
  }

  std::vector<std::size_t> idle_interfaces() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
      if (idle(interfaces_[i])) out.push_back(i);
    }
    return out;
  }

  // A new interface comes up: HI 1, or HI 6 with the prefixes of a registered sibling.
  void attach_new() {
    auto candidates = idle_interfaces();
    if (candidates.empty()) return advance();
    auto& f = interfaces_[pick(candidates)];
    auto mags = mags_except();
    if (mags.empty()) return advance();
    std::size_t mag = pick(mags);
    Attachment a = attachment(f, HandoffIndicator::kNewInterface);
    if (kMns[f.mn].features.shared_prefixes && coin(0.7)) {
      for (const auto& g : interfaces_) {
        if (g.mn != f.mn || !g.mag) continue;
        const auto* e = lab_->mag(*g.mag).bindings().find(g.link());
        if (e && registered(*e) && !e->prefixes.empty()) {
          a.hi = HandoffIndicator::kNewInterfaceSharingPrefixes;
          a.prefixes = e->prefixes;
          break;
        }
      }
    }
    do_attach(f, mag, a);
  }

  // The interface moves to another MAG (HI 3 or 4), or another interface of the MN takes
  // over (HI 2); the old attachment goes before or after, with a gap.
  void handoff() {
    auto busy = attached(true);
    if (busy.empty()) return attach_new();
    std::size_t from = pick(busy);
    std::size_t to = from;
    HandoffIndicator hi = coin(0.6) ? HandoffIndicator::kInterMagSameInterface : HandoffIndicator::kUnknown;
    // HI 2 says the MN moved its one session to another interface; the LMA then updates the
    // MN's only entry, whoever holds it (RFC 5213 §5.4.1 B.2). Only a single-homed MN can
    // promise that, so the walk uses HI 2 only when `from` is the MN's one attachment.
    bool single = std::none_of(interfaces_.begin(), interfaces_.end(), [&](const Interface& g) {
      return &g != &interfaces_[from] && g.mn == interfaces_[from].mn && g.mag;
    });
    if (single && coin(0.3)) {
      std::vector<std::size_t> spare;
      for (std::size_t i : idle_interfaces()) {
        if (interfaces_[i].mn == interfaces_[from].mn) spare.push_back(i);
      }
      if (!spare.empty()) {
        to = pick(spare);
        hi = HandoffIndicator::kInterfaceHandoff;
      }
    }
    std::size_t old_mag = *interfaces_[from].mag;
    // The same interface moves to another MAG; another interface may come up anywhere.
    auto mags = mags_except(to == from ? std::optional<std::size_t>(old_mag) : std::nullopt);
    if (mags.empty()) return advance();
    std::size_t new_mag = pick(mags);
    static const std::array<Duration, 5> kGaps{milliseconds(1), milliseconds(30), milliseconds(400), milliseconds(1200),
                                               milliseconds(2500)};
    Duration between = gap(kGaps.at(below(kGaps.size())));
    Attachment a = attachment(interfaces_[to], hi);
    // Make-before-break leaves the old attachment up for `between`. For the same interface
    // that is the old MAG not having noticed yet, and RFC 5213 §6.9.1.3 forbids it to refresh
    // a binding without checking the MN is still there; the engines leave that check to the
    // daemon, so the walk breaks first when the old MAG would refresh (or retransmit) in the gap.
    bool make_first = coin(0.6);
    if (make_first && to == from) {
      const auto* e = lab_->mag(old_mag).bindings().find(interfaces_[from].link());
      if (!e || e->state != BuleState::kRegistered) {
        make_first = false;
      } else {
        auto granted = seconds(e->granted.seconds());
        auto refresh_at = e->expires - granted + granted * lab_->mag(old_mag).config().refresh_percent / 100;
        if (refresh_at <= lab_->now().mono + between + milliseconds(100)) make_first = false;
      }
    }
    if (!make_first) {
      do_detach(interfaces_[from]);
      lab_->run_for(between);
      do_attach(interfaces_[to], new_mag, a);
    } else {
      // The new attachment comes first; the old one stays meanwhile (same link id on another MAG).
      Interface& f = interfaces_[from];
      note(fmt::format("attach {} at mag{} link {} hi={} (handoff from mag{})", interfaces_[to].name(), new_mag, a.link,
                       static_cast<int>(hi), old_mag));
      lab_->attach(new_mag, a);
      lab_->run_for(between);
      note(fmt::format("detach {} from mag{} link {}", f.name(), old_mag, f.link()));
      lab_->detach(old_mag, f.link());
      f.mag.reset();
      interfaces_[to].mag = new_mag;
    }
  }

  void detach() {
    auto busy = attached(true);
    if (busy.empty()) return attach_new();
    do_detach(interfaces_[pick(busy)]);
  }

  std::vector<std::uint16_t> bids_of(std::size_t mn) const {
    std::vector<std::uint16_t> out;
    for (EntryId id : lma().bindings().by_mn(mn_id(mn))) out.push_back(lma().bindings().find(id)->bid);
    return out;
  }

  std::uint16_t some_bid(std::size_t mn) {
    auto bids = bids_of(mn);
    if (bids.empty() || coin(0.1)) return static_cast<std::uint16_t>(uniform(1, 5));
    return pick(bids);
  }

  void set_flow() {
    std::size_t mn = below(kMns.size());
    FlowEntry f;
    f.fid = static_cast<std::uint16_t>(uniform(1, 4));
    f.priority = coin(0.9) ? static_cast<std::uint16_t>(f.fid * 10) : static_cast<std::uint16_t>(uniform(1, 4) * 10);
    wire::Ipv6TrafficSelector ts;
    auto entries = lma().bindings().by_mn(mn_id(mn));
    if (!entries.empty() && coin(0.6)) {
      auto host = lma().bindings().find(pick(entries))->prefixes.front().address;
      host.octets[15] = 1;
      ts.dst = wire::Bound<wire::Ipv6Address>{host, std::nullopt};
    }
    ts.dst_port = wire::Bound<std::uint16_t>{static_cast<std::uint16_t>(uniform(1, 3) * 1000), std::nullopt};
    f.selector = ts;
    f.action = coin(0.15) ? FlowAction::kDrop : FlowAction::kForward;
    int n = f.action == FlowAction::kDrop ? uniform(0, 1) : uniform(1, 2);
    for (int i = 0; i < n; ++i) {
      auto bid = some_bid(mn);
      if (std::find(f.bids.begin(), f.bids.end(), bid) == f.bids.end()) f.bids.push_back(bid);
    }
    auto refused = lab_->at_lma([&](LmaEngine& l, const Now& now) { return l.set_flow(now, mn_id(mn), f); });
    std::string bids;
    for (auto b : f.bids) bids += fmt::format(" {}", b);
    note(fmt::format("set_flow {} fid={} pri={} {} bids[{} ]{} -> {}", kMns[mn].name, f.fid, f.priority,
                    ts.dst ? "dst " + ts.dst->start.to_string() : "any dst", bids,
                    f.action == FlowAction::kDrop ? " drop" : "", refused.value_or("ok")));
  }

  void move_flow() {
    std::size_t mn = below(kMns.size());
    auto fid = static_cast<std::uint16_t>(uniform(1, 4));
    auto bid = some_bid(mn);
    auto refused = lab_->at_lma([&](LmaEngine& l, const Now& now) { return l.move_flow(now, mn_id(mn), fid, bid); });
    note(fmt::format("move_flow {} fid={} -> bid {} -> {}", kMns[mn].name, fid, bid, refused.value_or("ok")));
  }

  void remove_flow() {
    std::size_t mn = below(kMns.size());
    auto fid = static_cast<std::uint16_t>(uniform(1, 4));
    auto refused = lab_->at_lma([&](LmaEngine& l, const Now&) { return l.remove_flow(mn_id(mn), fid); });
    note(fmt::format("remove_flow {} fid={} -> {}", kMns[mn].name, fid, refused.value_or("ok")));
  }

  void toggle_wan() {
    auto p = static_cast<PathIndex>(uniform(0, 1));
    if (wan_up_[p]) {
      note(fmt::format("WAN link {} of mag{} down", p, kMultipathMag));
      lab_->wan_link_down(kMultipathMag, p);
    } else {
      note(fmt::format("WAN link {} of mag{} up", p, kMultipathMag));
      lab_->wan_link_up(kMultipathMag, p);
    }
    wan_up_[p] = !wan_up_[p];
  }

  void update_priority() {
    auto busy = attached(true);
    if (busy.empty()) return attach_new();
    const auto& f = interfaces_[pick(busy)];
    auto ifp = static_cast<std::uint8_t>(uniform(0, 9));
    bool primary = coin(0.5);
    auto refused = lab_->at_mag(*f.mag, [&](MagEngine& m, const Now& now) { return m.update_priority(now, f.link(), ifp, primary); });
    note(fmt::format("update_priority {} at mag{} ifp={}{} -> {}", f.name(), *f.mag, ifp, primary ? " P" : "",
                    refused.value_or("ok")));
  }

  void change_conditions() {
    static const std::array<std::pair<const char*, WireConditions>, 4> kConditions{{
        {"lossless", WireConditions{}},
        {"mild", WireConditions{milliseconds(5), milliseconds(10), 0.05, 0.05}},
        {"harsh", WireConditions{milliseconds(5), milliseconds(30), 0.3, 0.2}},
        {"blackout", WireConditions{milliseconds(5), milliseconds(0), 1.0, 0.0}},
    }};
    std::size_t i = below(10);
    const auto& c = kConditions.at(i < 3 ? 0u : i < 6 ? 1u : i < 9 ? 2u : 3u);
    note(fmt::format("wire {}", c.first));
    lab_->conditions = c.second;
  }

  void advance() {
    static const std::array<Duration, 6> kJumps{milliseconds(10), milliseconds(300), milliseconds(1500), seconds(5),
                                                seconds(11), seconds(45)};
    std::size_t i = below(20);
    Duration d = kJumps.at(i < 5 ? 0u : i < 10 ? 1u : i < 14 ? 2u : i < 17 ? 3u : i < 19 ? 4u : 5u);
    note(fmt::format("advance {} ms", std::chrono::duration_cast<milliseconds>(d).count()));
    lab_->run_for(gap(d));
  }

  void random_step() {
    int r = uniform(0, 99);
    if (r < 14) attach_new();
    else if (r < 26) handoff();
    else if (r < 36) detach();
    else if (r < 42) set_flow();
    else if (r < 47) move_flow();
    else if (r < 50) remove_flow();
    else if (r < 54) toggle_wan();
    else if (r < 58) update_priority();
    else if (r < 63) change_conditions();
    else return advance();
    // Let the action's messages interleave with the next one.
    static const std::array<Duration, 3> kAfter{milliseconds(2), milliseconds(20), milliseconds(200)};
    lab_->run_for(gap(kAfter.at(below(kAfter.size()))));
  }

  std::uint64_t seed_;
  int steps_;
  std::mt19937_64 rng_;
  std::unique_ptr<SimLab> lab_;
  std::vector<Interface> interfaces_;
  std::array<bool, 2> wan_up_{true, true};
  std::vector<std::string> trace_;
  int step_ = 0;
  LmaLedger lma_ledger_;
  std::vector<MagLedger> mag_ledgers_;
  std::size_t events_seen_ = 0;
};

class RandomInvariantsSeed : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RandomInvariantsSeed, HoldAfterEveryStepAndAgreeWhenQuiet) {
  RandomWalk walk(GetParam(), kSteps);
  EXPECT_TRUE(walk.run());
}

INSTANTIATE_TEST_SUITE_P(RandomInvariants, RandomInvariantsSeed, ::testing::Range<std::uint64_t>(1, 11),
                         [](const auto& p) { return "seed" + std::to_string(p.param); });

// More seeds or steps on demand: PMIPX_RND_SEEDS=FIRST-LAST, PMIPX_RND_STEPS=N.
TEST(RandomInvariants, Soak) {
  const char* seeds = std::getenv("PMIPX_RND_SEEDS");
  if (!seeds) GTEST_SKIP() << "set PMIPX_RND_SEEDS=FIRST-LAST (and PMIPX_RND_STEPS) to soak";
  std::string s = seeds;
  auto dash = s.find('-');
  std::uint64_t first = std::stoull(s.substr(0, dash));
  std::uint64_t last = dash == std::string::npos ? first : std::stoull(s.substr(dash + 1));
  const char* steps = std::getenv("PMIPX_RND_STEPS");
  int n = steps ? std::stoi(steps) : kSteps;
  int failed = 0;
  for (std::uint64_t seed = first; seed <= last && failed < 3; ++seed) failed += !RandomWalk(seed, n).run();
}


// ---- the checks can fail: each one on a deliberately broken copy of a settled network ------

bool has(const Violations& v, const std::string& part) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

std::string all(const Violations& v) { return fmt::format("{}", fmt::join(v, "\n")); }

// The plain MN on mag 0 (BID 1) and mag 1 (BID 2) with a flow via BID 1, and the
// shared-prefix MN on mag 0.
class RandomInvariantsCheckers : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = make_lab(1);
    lab_->attach(0, Attachment{1, mn_id(0), {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan, HandoffIndicator::kNewInterface,
                               {}, 0, false, false, false});
    lab_->attach(1, Attachment{2, mn_id(0), {2, 0, 0, 0, 0, 2}, wire::AccessTech::kEutran,
                               HandoffIndicator::kNewInterface, {}, 0, false, false, false});
    lab_->attach(0, Attachment{21, mn_id(2), {2, 0, 0, 0, 2, 1}, wire::AccessTech::kWlan,
                               HandoffIndicator::kNewInterface, {}, 0, false, false, false});
    lab_->run_for(seconds(1));
    wire::Ipv6TrafficSelector web;
    web.dst_port = wire::Bound<std::uint16_t>{80, std::nullopt};
    ASSERT_FALSE(lab_->at_lma([&](LmaEngine& l, const Now& now) {
      return l.set_flow(now, mn_id(0), FlowEntry{1, 10, web, {1}, FlowAction::kForward});
    }));
    lab_->run_for(seconds(1));
    ASSERT_EQ(lab_->lma().bindings().size(), 3u);
    plain1_ = *lab_->lma().bindings().by_bid(mn_id(0), 1);
  }
  LmaLedger lma_ledger(const std::vector<LmaDataplaneOp>& ops) {
    LmaLedger l;
    l.feed(ops, replay_);
    return l;
  }
  MagLedger mag_ledger(std::size_t m, const std::vector<MagDataplaneOp>& ops) {
    MagLedger l;
    l.feed(ops, m, replay_);
    return l;
  }
  std::vector<MagSide> sides(const BindingUpdateList* mag0 = nullptr) {
    std::vector<MagSide> out;
    for (std::size_t m = 0; m < kMags; ++m) {
      out.push_back(MagSide{&lab_->mag(m).config(), m == 0 && mag0 ? mag0 : &lab_->mag(m).bindings()});
    }
    return out;
  }

  std::unique_ptr<SimLab> lab_;
  BindingCacheEntry plain1_;  // the plain MN's entry with BID 1
  Violations replay_;         // what replaying the op logs reported
};

TEST_F(RandomInvariantsCheckers, PrefixOwnershipAndPool) {
  const auto& cache = lab_->lma().bindings();
  Violations v;
  check_prefixes(cache, lab_->lma().policy(), v);
  ASSERT_TRUE(v.empty()) << all(v);

  BindingCacheEntry other = plain1_;
  other.mn_id = mn_id(1);  // another MN holding the plain MN's prefix
  BindingCache c1 = cache;
  c1.insert(other);
  check_prefixes(c1, lab_->lma().policy(), v);
  EXPECT_TRUE(has(v, "is held by different MNs")) << all(v);

  v.clear();
  BindingCache c2 = cache;
  c2.insert(plain1_);  // a second owner of the same prefix, same MN
  check_prefixes(c2, lab_->lma().policy(), v);
  EXPECT_TRUE(has(v, "owning entries")) << all(v);

  v.clear();
  BindingCacheEntry shared = plain1_;
  shared.shares_prefixes = true;  // the plain MN may not share prefixes and this is no path
  BindingCache c3 = cache;
  c3.insert(shared);
  check_prefixes(c3, lab_->lma().policy(), v);
  EXPECT_TRUE(has(v, "shared without HI 6 or a multipath sibling")) << all(v);

  v.clear();
  PolicyStore leaky = lab_->lma().policy();
  ASSERT_TRUE(leaky.pool()->allocate());  // allocated but bound to no entry
  check_prefixes(cache, leaky, v);
  EXPECT_TRUE(has(v, "pool has 4 prefixes allocated, the cache holds 3")) << all(v);
}

TEST_F(RandomInvariantsCheckers, FlowsAgreeWithTheirRules) {
  const auto& cache = lab_->lma().bindings();
  const auto& flows = lab_->lma().flows();
  auto ops = lab_->lma_ops();
  Violations v;
  check_flows(cache, flows, lma_ledger(ops), all_mns(), v);
  ASSERT_TRUE(v.empty() && replay_.empty()) << all(v) << all(replay_);

  FlowMobilityCache unprogrammed = flows;
  ASSERT_FALSE(unprogrammed.upsert(mn_id(0), FlowEntry{2, 20, wire::Ipv6TrafficSelector{}, {2}, FlowAction::kForward}));
  check_flows(cache, unprogrammed, lma_ledger(ops), all_mns(), v);
  EXPECT_TRUE(has(v, "is cached but was never programmed")) << all(v);

  v.clear();
  auto removed = ops;
  removed.push_back(lma_op::FlowRuleRemove{mn_id(0), 1});  // an active flow loses its rule
  check_flows(cache, flows, lma_ledger(removed), all_mns(), v);
  EXPECT_TRUE(has(v, "has no rule (removed)")) << all(v);

  v.clear();
  auto elsewhere = ops;
  const auto* f = flows.find(mn_id(0), 1);
  elsewhere.push_back(lma_op::FlowRuleSet{mn_id(0), 1, f->priority, f->selector, {999}, f->action});
  check_flows(cache, flows, lma_ledger(elsewhere), all_mns(), v);
  EXPECT_TRUE(has(v, "has its rule going to [ bce#999 ]")) << all(v);

  v.clear();
  BindingCache gone = cache;
  gone.erase(plain1_.id);  // the flow's only entry goes, silently
  check_flows(gone, flows, lma_ledger(ops), all_mns(), v);
  EXPECT_TRUE(has(v, "inactive flow plain@rnd.example/1 still has a rule")) << all(v);

  v.clear();
  auto stray = ops;
  stray.push_back(lma_op::FlowRuleSet{mn_id(0), 9, 90, wire::Ipv6TrafficSelector{}, {plain1_.id}, FlowAction::kForward});
  check_flows(cache, flows, lma_ledger(stray), all_mns(), v);
  EXPECT_TRUE(has(v, "rule for flow plain@rnd.example/9 not in the cache")) << all(v);
}

TEST_F(RandomInvariantsCheckers, TunnelsAndRoutesReplayAndMatchTheTables) {
  const auto& cache = lab_->lma().bindings();
  Violations v;
  check_lma_dataplane(cache, lma_ledger(lab_->lma_ops()), v);
  for (std::size_t m = 0; m < kMags; ++m) {
    check_mag_dataplane(m, lab_->mag(m).config(), lab_->mag(m).bindings(), mag_ledger(m, lab_->mag_ops(m)), v);
  }
  ASSERT_TRUE(v.empty() && replay_.empty()) << all(v) << all(replay_);

  auto twice = lab_->lma_ops();
  twice.push_back(lma_op::TunnelAdd{kMag1});
  twice.push_back(lma_op::TunnelRemove{a6("2001:db8:a::99")});
  twice.push_back(lma_op::RouteRemove{plain1_.prefixes.at(0), 999});
  lma_ledger(twice);
  EXPECT_TRUE(has(replay_, "adds tunnel 2001:db8:a::1 already up")) << all(replay_);
  EXPECT_TRUE(has(replay_, "removes tunnel 2001:db8:a::99 never added")) << all(replay_);
  EXPECT_TRUE(has(replay_, "bce#999 not installed")) << all(replay_);

  replay_.clear();
  auto removed = lab_->lma_ops();
  removed.push_back(lma_op::TunnelRemove{kMag2});  // mag 1's entry still uses it
  check_lma_dataplane(cache, lma_ledger(removed), v);
  EXPECT_TRUE(has(v, "LMA entries use 2001:db8:a::2 but no tunnel is up")) << all(v);

  v.clear();
  BindingCache moved = cache;
  moved.set_proxy_coa(plain1_.id, a6("2001:db8:a::99"));  // moved without tunnel or routes
  check_lma_dataplane(moved, lma_ledger(lab_->lma_ops()), v);
  EXPECT_TRUE(has(v, "LMA entries use 2001:db8:a::99 but no tunnel is up")) << all(v);

  v.clear();
  BindingCache lost = cache;
  lost.erase(plain1_.id);  // gone without its routes
  check_lma_dataplane(lost, lma_ledger(lab_->lma_ops()), v);
  EXPECT_TRUE(has(v, "LMA routes differ from the binding cache: stale")) << all(v);

  v.clear();
  auto mag_ops = lab_->mag_ops(0);
  mag_ops.push_back(mag_op::TunnelRemove{kLmaa, kMag1});
  mag_ops.push_back(mag_op::TunnelRemove{kLmaa, kMag1});
  mag_ops.push_back(mag_op::RouteRemove{1, plain1_.prefixes.at(0)});
  auto m0 = mag_ledger(0, mag_ops);
  EXPECT_TRUE(has(replay_, "mag0 op #")) << all(replay_);
  EXPECT_TRUE(has(replay_, "removes tunnel 2001:db8:a::1 never added")) << all(replay_);
  check_mag_dataplane(0, lab_->mag(0).config(), lab_->mag(0).bindings(), m0, v);
  EXPECT_TRUE(has(v, "mag0 holds 2 refs on tunnel 2001:db8:a::1 not up")) << all(v);
  EXPECT_TRUE(has(v, "mag0 routes differ from its binding update list")) << all(v);
}

TEST_F(RandomInvariantsCheckers, LeaksAreFoundUntilEveryoneHasLeftAndTheNetworkDrained) {
  auto leaks = [&] {
    Violations v;
    std::vector<const MagEngine*> mags;
    std::vector<MagLedger> ledgers;
    for (std::size_t m = 0; m < kMags; ++m) {
      mags.push_back(&lab_->mag(m));
      ledgers.push_back(mag_ledger(m, lab_->mag_ops(m)));
    }
    check_leaks(lab_->lma(), lma_ledger(lab_->lma_ops()), mags, ledgers, all_mns(), v);
    return v;
  };
  auto v = leaks();
  EXPECT_TRUE(has(v, "LMA still has bce#")) << all(v);
  EXPECT_TRUE(has(v, "LMA tunnel still up to 2001:db8:a::1")) << all(v);
  EXPECT_TRUE(has(v, "LMA route")) << all(v);
  EXPECT_TRUE(has(v, "LMA flow rule plain@rnd.example/1 still set")) << all(v);
  EXPECT_TRUE(has(v, "3 prefixes still allocated")) << all(v);
  EXPECT_TRUE(has(v, "the LMA still has a timer armed")) << all(v);
  EXPECT_TRUE(has(v, "mag0 still has bule link=1")) << all(v);
  EXPECT_TRUE(has(v, "mag1 tunnel still up")) << all(v);
  EXPECT_TRUE(has(v, "mag0 route")) << all(v);
  EXPECT_TRUE(has(v, "mag0 still has a timer armed")) << all(v);
  // Everyone leaves; the LMA waits MinDelayBeforeBCEDelete, then nothing may remain.
  lab_->detach(0, 1);
  lab_->detach(1, 2);
  lab_->detach(0, 21);
  lab_->run_for(seconds(5));
  EXPECT_TRUE(has(leaks(), "DELETE_PENDING"));
  lab_->run_for(seconds(120));
  v = leaks();
  EXPECT_TRUE(v.empty() && replay_.empty()) << all(v) << all(replay_);
}

TEST_F(RandomInvariantsCheckers, ViewsDisagreeingAreFound) {
  const auto& cache = lab_->lma().bindings();
  Violations v;
  check_views(cache, sides(), v);
  ASSERT_TRUE(v.empty()) << all(v);

  BindingUpdateList renumbered = lab_->mag(0).bindings();
  BindingUpdateListEntry e = *renumbered.find(1);
  e.prefixes = {p6("2001:db8:1:ff::/64")};  // the MAG thinks it got another prefix
  renumbered.add(e);
  check_views(cache, sides(&renumbered), v);
  EXPECT_TRUE(has(v, "registered [2001:db8:1:ff::/64] but the LMA has bce#")) << all(v);

  v.clear();
  BindingUpdateList phantom = lab_->mag(0).bindings();
  e = *phantom.find(1);
  e.link = 7;
  e.mn_ll_id = {2, 0, 0, 0, 0, 7};  // registered at the MAG only
  phantom.add(e);
  check_views(cache, sides(&phantom), v);
  EXPECT_TRUE(has(v, "bule link=7 path=0 plain@rnd.example lli=020000000007 Registered")) << all(v);
  EXPECT_TRUE(has(v, "matches 0 active LMA entries")) << all(v);

  v.clear();
  BindingCache orphan = cache;
  BindingCacheEntry extra = plain1_;
  extra.mn_ll_id = {2, 0, 0, 0, 0, 9};
  extra.prefixes = {p6("2001:db8:1:fe::/64")};
  orphan.insert(extra);  // active at the LMA only
  check_views(orphan, sides(), v);
  EXPECT_TRUE(has(v, "has no registered MAG entry")) << all(v);

  v.clear();
  BindingUpdateList twin = lab_->mag(0).bindings();
  e = *twin.find(1);
  e.link = 8;  // a second MAG entry claiming the same LMA entry
  twin.add(e);
  check_views(cache, sides(&twin), v);
  EXPECT_TRUE(has(v, "is claimed by 2 MAG entries")) << all(v);
}

// ---- engine bugs the walks found: minimal repros, kept as regression tests --------------------

// The last FlowRuleSet/FlowRuleRemove the LMA emitted for (mn, fid), if any.
std::optional<std::optional<lma_op::FlowRuleSet>> last_rule(const SimLab& lab, const MnId& mn, std::uint16_t fid) {
  std::optional<std::optional<lma_op::FlowRuleSet>> out;
  for (const auto& op : lab.lma_ops()) {
    if (const auto* s = std::get_if<lma_op::FlowRuleSet>(&op); s && s->mn == mn && s->fid == fid) out = *s;
    if (const auto* r = std::get_if<lma_op::FlowRuleRemove>(&op); r && r->mn == mn && r->fid == fid) out = std::optional<lma_op::FlowRuleSet>{};
  }
  return out;
}

// Found by the walk, fixed in 5824152 (the flow was reprogrammed to the new entry), then
// changed: a new entry that inherited the BID could hold other prefixes than the flow's, on a
// MAG that does not route them. Now a BID named by a cached flow is never handed out again,
// and the flow stays inactive, in the cache and in the data plane.
TEST(RandomInvariantsRepro, FlowNamingADeletedEntrysBidStaysInactiveWhenTheMnReturns) {
  SimLab lab(lma_config(), policy(), 1);
  auto mag = lab.add_mag(kMag1);
  const MnId mn = mn_id(0);
  Attachment a{1, mn, {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan, HandoffIndicator::kNewInterface, {}, 0, false, false, false};
  lab.attach(mag, a);
  lab.run_for(seconds(1));
  wire::Ipv6TrafficSelector web;
  web.dst_port = wire::Bound<std::uint16_t>{80, std::nullopt};
  ASSERT_FALSE(lab.at_lma([&](LmaEngine& l, const Now& now) { return l.set_flow(now, mn, FlowEntry{1, 10, web, {1}, FlowAction::kForward}); }));
  // The interface leaves: its entry (BID 1) is deleted and the flow turns inactive.
  lab.detach(mag, 1);
  lab.run_for(seconds(12));
  ASSERT_EQ(lab.lma().bindings().size(), 0u);
  ASSERT_FALSE(lab.lma().flows().active(mn, *lab.lma().flows().find(mn, 1), lab.lma().bindings()));
  auto removed = last_rule(lab, mn, 1);
  ASSERT_TRUE(removed && !removed->has_value());  // FlowRuleRemove
  // It comes back: the new entry gets BID 2, as BID 1 is still named by flow 1.
  lab.attach(mag, a);
  lab.run_for(seconds(1));
  ASSERT_EQ(lab.lma().bindings().size(), 1u);
  EXPECT_EQ(lab.lma().bindings().by_bid(mn, 1), nullptr);
  EXPECT_NE(lab.lma().bindings().by_bid(mn, 2), nullptr);
  EXPECT_FALSE(lab.lma().flows().active(mn, *lab.lma().flows().find(mn, 1), lab.lma().bindings()));
  auto rule = last_rule(lab, mn, 1);
  ASSERT_TRUE(rule);
  EXPECT_FALSE(rule->has_value()) << "the data plane must not program the inactive flow";
}

// The multipath MN on the multipath MAG with both WAN paths registered.
Attachment multipath_mn() {
  return Attachment{41, mn_id(4), {2, 0, 0, 0, 4, 1}, wire::AccessTech::kWlan, HandoffIndicator::kNewInterface, {}, 0,
                    false, false, true};
}

// Found by the walk, fixed in 5824152. Was:
// MagEngine::wan_link_down with no live WAN link left releases the tunnel and cancels the
// refresh/expiry timers but leaves the entry Registered; MagEngine::wan_link_up only re-registers a
// PathDown anchor or starts a path that has no entry, so the path stays 'Registered' with no
// tunnel, no timer and no LMA binding (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, LastWanLinkDownStrandsItsPathsForever) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  ASSERT_EQ(lab->lma().bindings().size(), 2u);
  // WLAN fails (its path is de-registered over LTE), then LTE fails too: no live link is
  // left to signal over, so the LMA's LTE binding runs out.
  lab->wan_link_down(kMultipathMag, 0);
  lab->run_for(seconds(1));
  lab->wan_link_down(kMultipathMag, 1);
  lab->run_for(seconds(60));
  ASSERT_EQ(lab->lma().bindings().size(), 0u);
  // Both links return.
  lab->wan_link_up(kMultipathMag, 0);
  lab->wan_link_up(kMultipathMag, 1);
  lab->run_for(seconds(5));
  const auto* lte = lab->mag(kMultipathMag).bindings().find(41, 1);
  ASSERT_NE(lte, nullptr);
  // The MAG still calls the LTE path registered, but it holds no tunnel, arms no timer and
  // the LMA has no binding for it: the path never comes back.
  EXPECT_EQ(lab->lma().bindings().by_proxy_coa(kLte).size(), registered(*lte) ? 1u : 0u) << str(*lte);
  EXPECT_TRUE(!registered(*lte) || lte->tunnel_held) << str(*lte);
}

// Found by the walk, fixed in 5824152. Was:
// MagEngine::attach returns early ('already serving it') when the link's entry for the same MN is
// Deregistering; the de-registration then completes and removes the entry, leaving the returned MN
// attached with no registration (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, ReattachWhileDeregisteringIsIgnored) {
  SimLab lab(lma_config(), policy(), 1);
  auto mag = lab.add_mag(kMag1);
  Attachment a{1, mn_id(0), {2, 0, 0, 0, 0, 1}, wire::AccessTech::kWlan, HandoffIndicator::kNewInterface, {}, 0, false, false, false};
  lab.attach(mag, a);
  lab.run_for(seconds(1));
  lab.detach(mag, 1);
  lab.run_for(milliseconds(2));  // the de-registration is on its way
  lab.attach(mag, a);            // the MN is back on the link
  lab.run_for(seconds(5));
  const auto* e = lab.mag(mag).bindings().find(1);
  ASSERT_NE(e, nullptr) << "the new attachment was dropped along with the old registration";
  EXPECT_TRUE(registered(*e)) << str(*e);
}

// Found by the walk, fixed in 5824152. Was:
// LmaEngine::grant sets BindingCacheEntry::path from an MMB option but never clears it, so an entry
// taken over by a PBU without MMB (handoff to a single-path MAG) stays a path of the old MAG's
// multipath binding and refresh_downlink publishes a MultipathSet over the new MAG's tunnel
// (src/core/lma/lma_engine.cpp)
TEST(RandomInvariantsRepro, HandoffToASinglePathMagKeepsTheMultipathIdentity) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  ASSERT_EQ(lab->lma().bindings().size(), 2u);
  // The MN's interface moves to mag 0, which has one WAN link and sends no MMB option.
  Attachment moved = multipath_mn();
  moved.hi = HandoffIndicator::kInterMagSameInterface;
  lab->attach(0, moved);
  lab->run_for(seconds(1));
  lab->detach(kMultipathMag, 41);
  lab->run_for(seconds(12));
  auto ids = lab->lma().bindings().by_proxy_coa(kMag1);
  ASSERT_EQ(ids.size(), 1u);
  const auto& e = *lab->lma().bindings().find(ids.front());
  EXPECT_FALSE(static_cast<bool>(e.path)) << str(e);
  // The LMA's downlink plan for the MN must not spread traffic over mag 0 as if it were a
  // WAN path of mag 2's multipath binding.
  std::optional<lma_op::MultipathSet> plan;
  for (const auto& op : lab->lma_ops()) {
    if (const auto* o = std::get_if<lma_op::MultipathSet>(&op)) plan = *o;
    if (std::holds_alternative<lma_op::MultipathRemove>(op)) plan.reset();
  }
  EXPECT_FALSE(plan) << "multipath plan still set with " << (plan ? plan->paths.size() : 0u) << " path(s), first via "
                     << (plan && !plan->paths.empty() ? plan->paths[0].proxy_coa.to_string() : "-");
}

// Found by the walk, fixed in 5824152. Was:
// MagEngine::wan_link_up starts a path only when the link has no entry for it; when the link flaps
// back while the path's de-registration (sent by wan_link_down) is still out, the entry exists
// (Deregistering), nothing starts, and the PBA/timeout then removes it: the path stays unused until
// the MN attaches again (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, WanLinkBackBeforeItsPathIsDeregisteredIsNeverUsedAgain) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  ASSERT_EQ(lab->lma().bindings().size(), 2u);
  lab->wan_link_down(kMultipathMag, 1);  // LTE: its path is de-registered over WLAN
  lab->run_for(milliseconds(2));         // the PBA is not back yet
  lab->wan_link_up(kMultipathMag, 1);    // LTE flaps back
  lab->run_for(seconds(5));
  const auto* lte = lab->mag(kMultipathMag).bindings().find(41, 1);
  ASSERT_NE(lte, nullptr) << "the LTE path was never registered again";
  EXPECT_TRUE(registered(*lte)) << str(*lte);
  EXPECT_EQ(lab->lma().bindings().by_proxy_coa(kLte).size(), 1u);
}

// Found by the walk, fixed in 5824152. Was:
// When a binding runs out, MagEngine::handle_timeout (kExpire) registers again with the
// attachment's original handoff indicator; for an HI 2 attachment that repeats 'the MN moved its
// session to this interface' long after the handoff, and the LMA (RFC 5213 §5.4.1 A.4: HI 2 updates
// any entry holding the prefixes) takes over the HI 6 entry of another interface sharing the
// prefix, whose MAG then gets 155 and drops the MN (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, ReRegistrationAfterExpiryRepeatsAStaleHi2AndStealsASibling) {
  SimLab lab(lma_config(), policy(), 1);
  MagConfig m;
  m.requested_lifetime_s = kLifetimeS;
  auto mag0 = lab.add_mag(kMag1, m);
  auto mag1 = lab.add_mag(kMag2, m);
  const MnId mn = mn_id(2);  // may share prefixes
  auto iface = [&](LinkId link, std::uint8_t n, HandoffIndicator hi, std::vector<wire::Ipv6Prefix> prefixes = {}) {
    return Attachment{link, mn, {2, 0, 0, 0, 2, n}, wire::AccessTech::kWlan, hi, std::move(prefixes), 0, false, false, false};
  };
  lab.attach(mag0, iface(21, 1, HandoffIndicator::kNewInterface));
  lab.run_for(seconds(1));
  auto prefix = lab.mag(mag0).bindings().find(21)->prefixes;
  // Interface 2 takes over the session (HI 2); interface 1 leaves.
  lab.attach(mag1, iface(22, 2, HandoffIndicator::kInterfaceHandoff));
  lab.run_for(seconds(1));
  lab.detach(mag0, 21);
  lab.run_for(seconds(1));
  ASSERT_EQ(lab.mag(mag1).bindings().find(22)->prefixes, prefix);
  // Interface 3 comes up at mag0 sharing the prefix (HI 6).
  lab.attach(mag0, iface(23, 3, HandoffIndicator::kNewInterfaceSharingPrefixes, prefix));
  lab.run_for(seconds(1));
  ASSERT_EQ(lab.lma().bindings().size(), 2u);
  // mag1 is cut off long enough for interface 2's binding to run out at both ends.
  lab.drop_if = [&](const WireRecord& r) { return r.src == kMag2 || r.dst == kMag2; };
  lab.run_for(seconds(45));
  lab.drop_if = nullptr;
  lab.run_for(seconds(60));
  const auto* e3 = lab.mag(mag0).bindings().find(23);
  ASSERT_NE(e3, nullptr);
  EXPECT_TRUE(registered(*e3)) << str(*e3) << " last status "
                               << (e3->last_status ? static_cast<int>(*e3->last_status) : -1);
  EXPECT_EQ(lab.lma().bindings().size(), 2u);
}

// Found by the walk, fixed in 5824152. Was:
// MagEngine::handle_timeout (kExpire) re-registers with requested = prefixes, but an entry for WAN
// path != 0 never stores prefixes (registered() returns before setting them; start_path puts the
// anchor's in `requested`), so the path asks for ALL_ZERO; reaching the LMA first it gets a fresh
// prefix, and the anchor's re-registration with the MN's prefix is then refused with 159
// (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, NonAnchorPathExpiryReRegistersWithoutItsPrefix) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  auto prefix = lab->mag(kMultipathMag).bindings().find(41, 0)->prefixes;
  ASSERT_EQ(lab->lma().bindings().by_prefix(prefix.at(0)).size(), 2u);
  // Both WAN links lose everything long enough for both bindings to run out...
  lab->drop_if = [](const WireRecord&) { return true; };
  lab->run_for(seconds(45));
  // ...and the LTE path gets through first.
  lab->drop_if = [](const WireRecord& r) { return r.src == kWlan || r.dst == kWlan; };
  lab->run_for(seconds(20));
  lab->drop_if = nullptr;
  lab->run_for(seconds(60));
  const auto* anchor = lab->mag(kMultipathMag).bindings().find(41, 0);
  ASSERT_NE(anchor, nullptr);
  EXPECT_TRUE(registered(*anchor)) << str(*anchor) << " last status "
                                   << (anchor->last_status ? static_cast<int>(*anchor->last_status) : -1);
  EXPECT_EQ(anchor->prefixes, prefix);
  auto lte = lab->lma().bindings().by_proxy_coa(kLte);
  ASSERT_EQ(lte.size(), 1u);
  EXPECT_EQ(lab->lma().bindings().find(lte[0])->prefixes, prefix) << str(*lab->lma().bindings().find(lte[0]));
}

// Found by the walk, fixed in 5824152. Was:
// MagEngine::registered starts the other WAN paths of a newly registered multipath anchor only
// where the link has no entry for them; an entry of the previous attachment still de-registering
// (detach removed the anchor at once because it was WaitPba) blocks it, then goes, and the path is
// never registered again (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, ReattachWhileAPathIsDeregisteringLosesThatPath) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  // WLAN loses everything until the anchor's binding runs out: it registers again (WaitPba)
  // while the LTE path stays registered.
  lab->drop_if = [](const WireRecord& r) { return r.src == kWlan || r.dst == kWlan; };
  lab->run_for(seconds(45));
  ASSERT_EQ(lab->mag(kMultipathMag).bindings().find(41, 0)->state, BuleState::kWaitPba);
  // The MN leaves and comes straight back; the LTE path's de-registration is slow to answer.
  lab->drop_if = [](const WireRecord& r) { return r.dst == kLte && std::holds_alternative<wire::BindingAck>(r.message.body); };
  lab->detach(kMultipathMag, 41);
  lab->run_for(milliseconds(1));
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(milliseconds(100));
  lab->drop_if = nullptr;
  lab->run_for(seconds(15));
  ASSERT_TRUE(registered(*lab->mag(kMultipathMag).bindings().find(41, 0)));
  const auto* lte = lab->mag(kMultipathMag).bindings().find(41, 1);
  EXPECT_TRUE(lte && registered(*lte)) << (lte ? str(*lte) : "no LTE path");
  EXPECT_EQ(lab->lma().bindings().by_proxy_coa(kLte).size(), 1u);
}

// Found by the walk, fixed in b7088fc. Was:
// When a PBU without MMB takes over one path of a multipath binding (handoff to a single-path MAG),
// LmaEngine::update_session clears that entry's multipath identity but leaves the binding's other
// paths active: they keep the MN's prefix (two sessions on two MAGs, no HI 6) and refresh_downlink
// keeps a MultipathSet sending the prefix to the old MAG's tunnel (src/core/lma/lma_engine.cpp)
TEST(RandomInvariantsRepro, PathsLeftBehindByAHandoffToASinglePathMagKeepThePrefix) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  auto prefix = lab->mag(kMultipathMag).bindings().find(41, 0)->prefixes.at(0);
  // The MN's interface moves to mag 0 (one WAN link, no MMB); mag 2 has not noticed yet.
  Attachment moved = multipath_mn();
  moved.hi = HandoffIndicator::kInterMagSameInterface;
  lab->attach(0, moved);
  lab->run_for(seconds(1));
  ASSERT_EQ(lab->mag(0).bindings().find(41)->prefixes, std::vector<wire::Ipv6Prefix>{prefix});
  std::vector<std::string> holders;
  for (EntryId id : lab->lma().bindings().by_prefix(prefix)) {
    const auto* e = lab->lma().bindings().find(id);
    if (e->state == BceState::kActive) holders.push_back(str(*e));
  }
  EXPECT_EQ(holders.size(), 1u) << "active holders of " << prefix.to_string() << ": "
                                << fmt::format("{}", fmt::join(holders, " | "));
  std::optional<lma_op::MultipathSet> plan;
  for (const auto& op : lab->lma_ops()) {
    if (const auto* o = std::get_if<lma_op::MultipathSet>(&op)) plan = *o;
    if (std::holds_alternative<lma_op::MultipathRemove>(op)) plan.reset();
  }
  EXPECT_FALSE(plan) << "downlink still spread over " << (plan ? plan->paths.size() : 0u) << " path(s), first via "
                     << (plan && !plan->paths.empty() ? plan->paths[0].proxy_coa.to_string() : "-");
}

// Found by the walk, fixed in b7088fc. Was:
// MagEngine::deregistered removes the anchor (path 0) of an MN that is still attached when both WAN
// links fail while a path's de-registration is out: (a) link 1 fails (its path is de-registered
// over link 0), link 0 fails before the answer: wan_link_down parks the anchor in PathDown and the
// path's timeout removes it as 'last path gone'; (b) link 0 fails (the anchor is de-registered over
// link 1), link 1 fails: path 1 is removed and the anchor's timeout removes it since no other path
// is left. When the links return nothing registers the MN again (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, BothWanLinksLostWhileAPathDeregistersDropsTheAttachedMn) {
  for (PathIndex first : {PathIndex{1}, PathIndex{0}}) {
    SCOPED_TRACE(fmt::format("WAN link {} fails first", first));
    auto lab = make_lab(1);
    lab->attach(kMultipathMag, multipath_mn());
    lab->run_for(seconds(1));
    // One link fails: its path is de-registered over the other, and the answer is lost...
    lab->drop_if = [](const WireRecord& r) { return std::holds_alternative<wire::BindingAck>(r.message.body); };
    lab->wan_link_down(kMultipathMag, first);
    lab->run_for(milliseconds(2));
    // ...then the other fails too, before that de-registration times out.
    lab->wan_link_down(kMultipathMag, first == 0 ? 1 : 0);
    lab->run_for(seconds(2));
    lab->drop_if = nullptr;
    EXPECT_NE(lab->mag(kMultipathMag).bindings().find(41, 0), nullptr) << "the attached MN's anchor is gone";
    lab->wan_link_up(kMultipathMag, 0);
    lab->wan_link_up(kMultipathMag, 1);
    lab->run_for(seconds(5));
    const auto* anchor = lab->mag(kMultipathMag).bindings().find(41, 0);
    EXPECT_TRUE(anchor && registered(*anchor)) << (anchor ? str(*anchor) : "no anchor");
  }
}

// Found by the walk, fixed in e7271a2. Was:
// MagEngine::detach skips a path already Deregistering, so when the MN leaves while its anchor is
// being de-registered over another WAN path (failover after wan_link_down), MagEngine::deregistered
// later treats the PBA as a WAN failure, parks the anchor in PathDown for the 'attached' MN, and
// wan_link_up registers the departed MN again: its bindings, tunnels and prefix live on at both
// ends (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, DetachDuringAFailoverDeregistrationIsForgotten) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  lab->wan_link_down(kMultipathMag, 0);  // the anchor is de-registered over LTE
  lab->run_for(milliseconds(1));
  lab->detach(kMultipathMag, 41);        // and the MN leaves before the answer
  lab->run_for(seconds(2));
  lab->wan_link_up(kMultipathMag, 0);
  lab->run_for(seconds(60));
  std::string left;
  lab->mag(kMultipathMag).bindings().for_each([&](const BindingUpdateListEntry& e) { left += " | " + str(e); });
  EXPECT_EQ(lab->mag(kMultipathMag).bindings().size(), 0u) << left;
  EXPECT_EQ(lab->lma().bindings().size(), 0u);
}

// Found by the walk, fixed in dae15d0. Was:
// MagEngine::wan_link_up registers again a path whose de-registration is still out (the
// flapping-link rule) without looking at BindingUpdateListEntry::detaching: when the MN detached
// while its anchor's failover de-registration was out and the WAN link returns before that ends,
// the departed MN is registered again and kept alive at both ends (src/core/mag/mag_engine.cpp)
TEST(RandomInvariantsRepro, WanLinkBackAfterADetachDuringFailoverRevivesTheMn) {
  auto lab = make_lab(1);
  lab->attach(kMultipathMag, multipath_mn());
  lab->run_for(seconds(1));
  lab->drop_if = [](const WireRecord& r) { return std::holds_alternative<wire::BindingAck>(r.message.body); };
  lab->wan_link_down(kMultipathMag, 0);  // the anchor is de-registered over LTE...
  lab->run_for(milliseconds(1));
  lab->detach(kMultipathMag, 41);        // ...the MN leaves...
  lab->run_for(milliseconds(1));
  lab->wan_link_up(kMultipathMag, 0);    // ...and WLAN returns before the answer
  lab->drop_if = nullptr;
  lab->run_for(seconds(60));
  std::string left;
  lab->mag(kMultipathMag).bindings().for_each([&](const BindingUpdateListEntry& e) { left += " | " + str(e); });
  EXPECT_EQ(lab->mag(kMultipathMag).bindings().size(), 0u) << left;
  EXPECT_EQ(lab->lma().bindings().size(), 0u);
}

}  // namespace
}  // namespace pmipx::sim
