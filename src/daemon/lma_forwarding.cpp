#include "daemon/lma_forwarding.hpp"

#include <algorithm>

#include "core/overloaded.hpp"
#include "daemon/forwarding_json.hpp"

namespace pmipx::daemon {
namespace {

constexpr unsigned kEncapOverhead = 40;  // the outer IPv6 header
constexpr unsigned kRoutingHeader2 = 24;  // seed 003 downlink rewrite (RFC 6275 §6.4)
// Flow rule ids: FIDs are 16 bits; multipath label rules take the ids above them.
constexpr std::uint32_t kLabelRuleBase = 0x10000;

template <class F>
std::optional<std::string> guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

}  // namespace

LmaForwarding::LmaForwarding(const wire::Ipv6Address& lmaa, std::uint8_t hoa_option_type,
                             std::unique_ptr<dataplane::ForwardingPlane> plane, io::RoutingControl& routing,
                             std::shared_ptr<spdlog::logger> log)
    : lmaa_(lmaa), routing_(routing), log_(std::move(log)), plane_(std::move(plane)) {
  plane_->set_mode(dataplane::Mode::kLma);
  plane_->set_hoa_option_type(hoa_option_type);
  plane_->add_local_endpoint(lmaa_);
}

std::uint32_t LmaForwarding::owner_of(const core::MnId& mn) {
  auto [it, fresh] = owners_.try_emplace(mn, next_owner_);
  if (fresh) ++next_owner_;
  return it->second;
}

std::optional<std::string> LmaForwarding::add_tunnel(const wire::Ipv6Address& coa) {
  auto route = routing_.route_get(coa, std::nullopt);
  if (!route) return "no route to proxy-CoA " + coa.to_string();
  Tunnel t{next_tunnel_++, route->oif, routing_.link_mtu(route->oif)};
  plane_->add_tunnel(dataplane::Tunnel{t.id, lmaa_, coa, route->oif, 64});
  plane_->add_peer(coa, t.id);
  // Encapsulate on egress of the link towards the MAG, decapsulate on its ingress.
  if (attached_.insert(route->oif).second) {
    plane_->attach_encap(static_cast<int>(route->oif));
    plane_->attach_decap(static_cast<int>(route->oif));
  }
  tunnels_[coa] = t;
  log_->info("data plane: tunnel {} {} -> {} on ifindex {} (MTU {})", t.id, lmaa_.to_string(), coa.to_string(), t.oif,
             t.mtu);
  return std::nullopt;
}

std::optional<std::string> LmaForwarding::remove_tunnel(const wire::Ipv6Address& coa) {
  auto it = tunnels_.find(coa);
  if (it == tunnels_.end()) return std::nullopt;
  plane_->remove_peer(coa);
  plane_->remove_tunnel(it->second.id);
  tunnels_.erase(it);
  return std::nullopt;
}

std::uint32_t LmaForwarding::new_group_id() { return next_group_++; }

// The prefix's default tunnel is its first unblocked entry's (or the MN's multipath group);
// its kernel route leads there. Every entry blocked: the prefix stays routed here and the
// data plane drops its packets until the entries are deleted or revived (RFC 5213 §5.3.5).
std::optional<std::string> LmaForwarding::program_prefix(const wire::Ipv6Prefix& prefix, const core::MnId& mn) {
  auto& use = prefixes_[prefix];
  if (use.entries.empty()) {
    plane_->remove_prefix(prefix);
    prefixes_.erase(prefix);
    return routing_.route_delete(io::Route{prefix, 0, std::nullopt, 1024, 254, 0});
  }
  auto live = std::find_if(use.entries.begin(), use.entries.end(), [](const PrefixEntry& p) { return !p.blocked; });
  bool drop = live == use.entries.end();
  const auto& chosen = drop ? use.entries.front() : *live;
  auto t = tunnels_.find(chosen.proxy_coa);
  if (t == tunnels_.end()) return "no tunnel to " + chosen.proxy_coa.to_string();
  dataplane::Target target = dataplane::Target::tunnel(t->second.id);
  unsigned mtu = t->second.mtu;
  bool primary = false;
  auto ph = primary_.find(mn);
  if (ph != primary_.end() && ph->second.prefix == prefix) {
    primary = true;
    if (!drop && !ph->second.tunnels.empty()) {
      target = ph->second.group ? dataplane::Target::group(ph->second.group)
                                : dataplane::Target::tunnel(ph->second.tunnels.front());
      mtu = std::min(mtu, ph->second.mtu);
    }
  }
  auto mp = multipath_.find(mn);
  if (!drop && !primary && mp != multipath_.end() &&
      std::find(mp->second.prefixes.begin(), mp->second.prefixes.end(), prefix) != mp->second.prefixes.end()) {
    target = dataplane::Target::group(mp->second.group);
    mtu = std::min(mtu, mp->second.mtu);
  }
  dataplane::PrefixRoute route{prefix, owner_of(mn), target, drop};
  route.primary_hoa = primary;
  plane_->add_prefix(route);
  mtu = mtu > kEncapOverhead ? mtu - kEncapOverhead : 0;
  return routing_.route_replace(io::Route{prefix, t->second.oif, t->first, 1024, 254, mtu});
}

std::optional<std::string> LmaForwarding::block_entry(core::EntryId entry, const core::BindingCache& cache) {
  const auto* e = cache.find(entry);
  if (!e) return std::nullopt;
  std::optional<std::string> err;
  // Only the entry's own prefixes: a scan of every prefix made each de-registration cost
  // ~1 ms at 20,000 bindings (bench/signaling).
  for (const auto& prefix : e->prefixes) {
    auto it = prefixes_.find(prefix);
    if (it == prefixes_.end()) continue;
    bool hit = false;
    for (auto& p : it->second.entries) {
      if (p.entry == entry && !p.blocked) p.blocked = hit = true;
    }
    if (hit) {
      auto r = program_prefix(prefix, e->mn_id);
      if (r && !err) err = r;
    }
  }
  return err;
}

// Seed 004 (RFC 8278 §3.2): one group over the MN's path tunnels, weighted by label, for
// every prefix of the MN; each resolved label rule becomes a flow rule after the MN's flow
// mobility rules (priority 0x8000 + its own), targeting its paths.
std::optional<std::string> LmaForwarding::set_multipath(const core::lma_op::MultipathSet& o) {
  const std::uint32_t owner = owner_of(o.mn);
  auto [it, fresh] = multipath_.try_emplace(o.mn);
  Multipath& mp = it->second;
  if (fresh) mp.group = new_group_id();
  auto tunnel_of = [&](const core::TunnelPath& p) -> const Tunnel* {
    auto t = tunnels_.find(p.proxy_coa);
    return t == tunnels_.end() ? nullptr : &t->second;
  };
  const auto distribution = o.distribution == core::Distribution::kPerPacket ? dataplane::Distribution::kPerPacket
                                                                               : dataplane::Distribution::kPerFlow;
  auto make_group = [&](std::uint32_t id, const std::vector<std::size_t>& paths) -> std::optional<std::string> {
    dataplane::TunnelGroup g{id, distribution, {}};
    for (auto i : paths) {
      const Tunnel* t = i < o.paths.size() ? tunnel_of(o.paths[i]) : nullptr;
      if (!t) return "multipath: no tunnel for path " + std::to_string(i);
      g.members.push_back({t->id, o.paths[i].weight});
    }
    plane_->set_group(g);
    return std::nullopt;
  };
  std::vector<std::size_t> all(o.paths.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (auto err = make_group(mp.group, all)) return err;
  mp.mtu = ~0u;
  for (const auto& p : o.paths) {
    if (const Tunnel* t = tunnel_of(p)) mp.mtu = std::min(mp.mtu, t->mtu);
  }

  std::map<std::uint32_t, std::uint32_t> rules;
  for (const auto& r : o.rules) {
    if (r.paths.empty()) continue;  // no labelled path is up: the default distribution applies
    const auto* v6 = std::get_if<wire::Ipv6TrafficSelector>(&r.selector);
    if (!v6) return "multipath rule " + std::to_string(r.id) + ": only IPv6 selectors reach the data plane";
    dataplane::FlowRule fr;
    fr.id = kLabelRuleBase + r.id;
    fr.priority = static_cast<std::uint16_t>(0x8000u + std::min<std::uint32_t>(r.priority, 0x7fffu));
    fr.selector = *v6;
    std::uint32_t gid = 0;
    if (r.paths.size() == 1) {
      const Tunnel* t = r.paths.front() < o.paths.size() ? tunnel_of(o.paths[r.paths.front()]) : nullptr;
      if (!t) return "multipath rule " + std::to_string(r.id) + ": no tunnel for its path";
      fr.target = dataplane::Target::tunnel(t->id);
    } else {
      auto old = mp.rules.find(fr.id);
      gid = old != mp.rules.end() && old->second ? old->second : new_group_id();
      if (auto err = make_group(gid, r.paths)) return err;
      fr.target = dataplane::Target::group(gid);
    }
    plane_->set_flow_rule(owner, fr);
    rules[fr.id] = gid;
  }
  for (const auto& [id, gid] : mp.rules) {
    auto now = rules.find(id);
    if (now == rules.end()) plane_->remove_flow_rule(owner, id);
    if (gid && (now == rules.end() || now->second != gid)) plane_->remove_group(gid);
  }
  mp.rules = std::move(rules);

  // Prefixes that left the plan fall back to their entry's tunnel.
  std::vector<wire::Ipv6Prefix> touched = o.prefixes;
  for (const auto& p : mp.prefixes) {
    if (std::find(touched.begin(), touched.end(), p) == touched.end()) touched.push_back(p);
  }
  mp.prefixes = o.prefixes;
  std::optional<std::string> err;
  for (const auto& p : touched) {
    if (!prefixes_.count(p)) continue;  // its RouteAdd programs it
    auto r = program_prefix(p, o.mn);
    if (r && !err) err = r;
  }
  log_->info("data plane: {} multipath over {} path(s), {} label rule(s), group {}", o.mn.to_string(), o.paths.size(),
             mp.rules.size(), mp.group);
  return err;
}

// Seed 003 §4: downlink to the primary HoA follows the highest IFP. A target on another
// interface gets the destination rewritten into its own prefix plus a type 2 routing header
// (24 more octets: its kernel route's MTU leaves room for them).
std::optional<std::string> LmaForwarding::set_primary_hoa(const core::lma_op::PrimaryHoaSet& o) {
  const std::uint32_t owner = owner_of(o.mn);
  auto old = primary_.find(o.mn);
  PrimaryHoa next;
  next.prefix = o.primary_prefix;
  next.mtu = ~0u;
  for (const auto& t : o.targets) {
    auto tun = tunnels_.find(t.proxy_coa);
    if (tun == tunnels_.end()) return "primary HoA: no tunnel to " + t.proxy_coa.to_string();
    next.tunnels.push_back(tun->second.id);
    unsigned mtu = tun->second.mtu;
    if (t.rewrite) {
      next.rewrites[tun->second.id] = t.prefix;
      mtu = mtu > kRoutingHeader2 ? mtu - kRoutingHeader2 : 0;
    }
    next.mtu = std::min(next.mtu, mtu);
  }
  for (const auto& [tunnel, to] : next.rewrites) plane_->set_hoa_rewrite(owner, tunnel, to);
  if (next.tunnels.size() > 1) {
    next.group = old != primary_.end() && old->second.group ? old->second.group : new_group_id();
    dataplane::TunnelGroup g{next.group, dataplane::Distribution::kPerFlow, {}};
    for (auto id : next.tunnels) g.members.push_back({id, 1});
    plane_->set_group(g);
  }
  std::optional<wire::Ipv6Prefix> previous_prefix;
  if (old != primary_.end()) {
    for (const auto& [tunnel, to] : old->second.rewrites) {
      if (!next.rewrites.count(tunnel)) plane_->remove_hoa_rewrite(owner, tunnel);
    }
    if (old->second.group && !next.group) plane_->remove_group(old->second.group);
    if (old->second.prefix != next.prefix) previous_prefix = old->second.prefix;
  }
  primary_[o.mn] = std::move(next);
  std::optional<std::string> err;
  for (const auto& p : {std::optional<wire::Ipv6Prefix>(o.primary_prefix), previous_prefix}) {
    if (!p || !prefixes_.count(*p)) continue;
    auto r = program_prefix(*p, o.mn);
    if (r && !err) err = r;
  }
  log_->info("data plane: {} primary HoA prefix {} over {} tunnel(s), {} rewriting", o.mn.to_string(),
             o.primary_prefix.to_string(), o.targets.size(), primary_[o.mn].rewrites.size());
  return err;
}

std::optional<std::string> LmaForwarding::remove_primary_hoa(const core::MnId& mn) {
  auto it = primary_.find(mn);
  if (it == primary_.end()) return std::nullopt;
  PrimaryHoa ph = std::move(it->second);
  primary_.erase(it);
  const std::uint32_t owner = owner_of(mn);
  std::optional<std::string> err;
  if (prefixes_.count(ph.prefix)) err = program_prefix(ph.prefix, mn);
  for (const auto& [tunnel, to] : ph.rewrites) plane_->remove_hoa_rewrite(owner, tunnel);
  if (ph.group) plane_->remove_group(ph.group);
  return err;
}

std::optional<std::string> LmaForwarding::remove_multipath(const core::MnId& mn) {
  auto it = multipath_.find(mn);
  if (it == multipath_.end()) return std::nullopt;
  Multipath mp = std::move(it->second);
  multipath_.erase(it);
  const std::uint32_t owner = owner_of(mn);
  std::optional<std::string> err;
  for (const auto& p : mp.prefixes) {
    if (!prefixes_.count(p)) continue;
    auto r = program_prefix(p, mn);
    if (r && !err) err = r;
  }
  for (const auto& [id, gid] : mp.rules) {
    plane_->remove_flow_rule(owner, id);
    if (gid) plane_->remove_group(gid);
  }
  plane_->remove_group(mp.group);
  return err;
}

dataplane::Target LmaForwarding::target_for(const core::MnId& mn, std::uint16_t fid,
                                            const std::vector<core::EntryId>& entries,
                                            const core::BindingCache& cache) {
  std::vector<std::uint32_t> ids;
  for (auto id : entries) {
    const auto* e = cache.find(id);
    if (!e) continue;
    auto t = tunnels_.find(e->proxy_coa);
    if (t != tunnels_.end()) ids.push_back(t->second.id);
  }
  if (ids.size() == 1) return dataplane::Target::tunnel(ids.front());
  // Several BIDs: RFC 6089 sends a copy to each; the data plane spreads the flow's packets
  // over them per flow instead (a documented deviation until copies are implemented).
  auto key = std::make_pair(owner_of(mn), fid);
  auto it = groups_.find(key);
  if (it == groups_.end()) it = groups_.emplace(key, new_group_id()).first;
  dataplane::TunnelGroup g;
  g.id = it->second;
  for (auto id : ids) g.members.push_back({id, 1});
  plane_->set_group(g);
  return dataplane::Target::group(g.id);
}

std::optional<std::string> LmaForwarding::apply(const core::LmaDataplaneOp& op, const core::BindingCache& cache) {
  return guarded([&]() -> std::optional<std::string> {
    return std::visit(
        core::Overloaded{
            [&](const core::lma_op::TunnelAdd& o) { return add_tunnel(o.proxy_coa); },
            [&](const core::lma_op::TunnelRemove& o) { return remove_tunnel(o.proxy_coa); },
            [&](const core::lma_op::RouteAdd& o) -> std::optional<std::string> {
              const auto* e = cache.find(o.entry);
              if (!e) return "route for unknown entry " + std::to_string(o.entry);
              auto& use = prefixes_[o.prefix];
              auto found = std::find_if(use.entries.begin(), use.entries.end(),
                                        [&](const auto& p) { return p.entry == o.entry; });
              if (found == use.entries.end()) {
                use.entries.push_back({o.entry, o.proxy_coa, false});
              } else {
                found->proxy_coa = o.proxy_coa;  // a handoff moved the entry to another MAG
                found->blocked = false;          // or a re-registration revived it
              }
              return program_prefix(o.prefix, e->mn_id);
            },
            [&](const core::lma_op::RouteRemove& o) -> std::optional<std::string> {
              auto it = prefixes_.find(o.prefix);
              if (it == prefixes_.end()) return std::nullopt;
              auto& v = it->second.entries;
              v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& p) { return p.entry == o.entry; }), v.end());
              const auto* e = cache.find(o.entry);
              core::MnId mn = e ? e->mn_id : core::MnId{};
              if (!v.empty()) {
                if (const auto* other = cache.find(v.front().entry)) mn = other->mn_id;
              }
              return program_prefix(o.prefix, mn);
            },
            [&](const core::lma_op::FlowRuleSet& o) -> std::optional<std::string> {
              const auto* v6 = std::get_if<wire::Ipv6TrafficSelector>(&o.selector);
              if (!v6) return "flow " + std::to_string(o.fid) + ": only IPv6 selectors reach the data plane";
              dataplane::FlowRule r;
              r.id = o.fid;
              r.priority = o.priority;
              r.selector = *v6;
              r.action = o.action == core::FlowAction::kDrop ? dataplane::RuleAction::kDrop
                                                              : dataplane::RuleAction::kForward;
              if (o.action != core::FlowAction::kDrop) r.target = target_for(o.mn, o.fid, o.entries, cache);
              plane_->set_flow_rule(owner_of(o.mn), r);
              return std::nullopt;
            },
            [&](const core::lma_op::FlowRuleRemove& o) -> std::optional<std::string> {
              plane_->remove_flow_rule(owner_of(o.mn), o.fid);
              auto g = groups_.find({owner_of(o.mn), o.fid});
              if (g != groups_.end()) {
                plane_->remove_group(g->second);
                groups_.erase(g);
              }
              return std::nullopt;
            },
            [&](const core::lma_op::EntryBlock& o) { return block_entry(o.entry, cache); },
            [&](const core::lma_op::MultipathSet& o) { return set_multipath(o); },
            [&](const core::lma_op::MultipathRemove& o) { return remove_multipath(o.mn); },
            [&](const core::lma_op::PrimaryHoaSet& o) { return set_primary_hoa(o); },
            [&](const core::lma_op::PrimaryHoaRemove& o) { return remove_primary_hoa(o.mn); },
        },
        op);
  });
}

dataplane::PacketCounters LmaForwarding::flow_counters(const core::MnId& mn, std::uint16_t fid) const {
  auto it = owners_.find(mn);
  if (it == owners_.end()) return {};
  try {
    return plane_->rule_counters(it->second, fid);
  } catch (const std::exception&) {
    return {};
  }
}

nlohmann::ordered_json LmaForwarding::state() const {
  nlohmann::ordered_json tunnels = nlohmann::ordered_json::array();
  for (const auto& [coa, t] : tunnels_) {
    auto c = plane_->tunnel_counters(t.id);
    nlohmann::ordered_json j{{"id", t.id}, {"local", lmaa_.to_string()}, {"remote", coa.to_string()}, {"ifindex", t.oif}};
    add_tunnel_counters(j, c);
    tunnels.push_back(std::move(j));
  }
  nlohmann::ordered_json multipath = nlohmann::ordered_json::array();
  for (const auto& [mn, mp] : multipath_) {
    nlohmann::ordered_json prefixes = nlohmann::ordered_json::array();
    for (const auto& p : mp.prefixes) prefixes.push_back(p.to_string());
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const auto& [id, gid] : mp.rules) rules.push_back(id - kLabelRuleBase);
    multipath.push_back({{"mn", mn.to_string()}, {"group", mp.group}, {"prefixes", prefixes}, {"label_rules", rules}});
  }
  nlohmann::ordered_json primary = nlohmann::ordered_json::array();
  for (const auto& [mn, ph] : primary_) {
    nlohmann::ordered_json rewrites = nlohmann::ordered_json::array();
    for (const auto& [tunnel, to] : ph.rewrites) rewrites.push_back({{"tunnel", tunnel}, {"prefix", to.to_string()}});
    primary.push_back({{"mn", mn.to_string()}, {"prefix", ph.prefix.to_string()}, {"tunnels", ph.tunnels},
                       {"rewrites", rewrites}});
  }
  return {{"executed", true},
          {"tunnels", tunnels},
          {"multipath", multipath},
          {"primary_hoa", primary},
          {"stats", dataplane_stats_json(*plane_)}};
}

}  // namespace pmipx::daemon
