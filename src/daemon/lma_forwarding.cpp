#include "daemon/lma_forwarding.hpp"

#include <algorithm>

#include "core/overloaded.hpp"
#include "daemon/forwarding_json.hpp"

namespace pmipx::daemon {
namespace {

constexpr unsigned kEncapOverhead = 40;  // the outer IPv6 header

template <class F>
std::optional<std::string> guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

}  // namespace

LmaForwarding::LmaForwarding(const wire::Ipv6Address& lmaa, const std::string& pin_dir, io::Netlink& netlink,
                             std::shared_ptr<spdlog::logger> log)
    : lmaa_(lmaa), netlink_(netlink), log_(std::move(log)), bpf_(dataplane::BpfForwarding::Options{pin_dir}) {
  bpf_.set_mode(dataplane::Mode::kLma);
  bpf_.add_local_endpoint(lmaa_);
  log_->info("data plane: tc eBPF loaded{}, maps pinned under {}", bpf_.reused_pinned_maps() ? " (pinned maps reused)" : "",
             pin_dir.empty() ? "(nowhere)" : pin_dir);
}

std::uint32_t LmaForwarding::owner_of(const core::MnId& mn) {
  auto [it, fresh] = owners_.try_emplace(mn, next_owner_);
  if (fresh) ++next_owner_;
  return it->second;
}

std::optional<std::string> LmaForwarding::add_tunnel(const wire::Ipv6Address& coa) {
  auto route = netlink_.route_get(coa);
  if (!route) return "no route to proxy-CoA " + coa.to_string();
  Tunnel t{next_tunnel_++, route->oif, io::link_mtu(route->oif)};
  bpf_.add_tunnel(dataplane::Tunnel{t.id, lmaa_, coa, route->oif, 64});
  bpf_.add_peer(coa, t.id);
  // Encapsulate on egress of the link towards the MAG, decapsulate on its ingress.
  if (attached_.insert(route->oif).second) {
    bpf_.attach_encap(static_cast<int>(route->oif));
    bpf_.attach_decap(static_cast<int>(route->oif));
  }
  tunnels_[coa] = t;
  log_->info("data plane: tunnel {} {} -> {} on ifindex {} (MTU {})", t.id, lmaa_.to_string(), coa.to_string(), t.oif,
             t.mtu);
  return std::nullopt;
}

std::optional<std::string> LmaForwarding::remove_tunnel(const wire::Ipv6Address& coa) {
  auto it = tunnels_.find(coa);
  if (it == tunnels_.end()) return std::nullopt;
  bpf_.remove_peer(coa);
  bpf_.remove_tunnel(it->second.id);
  tunnels_.erase(it);
  return std::nullopt;
}

// The prefix's default tunnel is its first live entry's; its kernel route leads there.
std::optional<std::string> LmaForwarding::program_prefix(const wire::Ipv6Prefix& prefix, const core::MnId& mn) {
  auto& use = prefixes_[prefix];
  if (use.entries.empty()) {
    bpf_.remove_prefix(prefix);
    prefixes_.erase(prefix);
    return netlink_.route_delete(io::Route{prefix, 0, std::nullopt, 1024, 254, 0});
  }
  auto t = tunnels_.find(use.entries.front().second);
  if (t == tunnels_.end()) return "no tunnel to " + use.entries.front().second.to_string();
  bpf_.add_prefix(dataplane::PrefixRoute{prefix, owner_of(mn), dataplane::Target::tunnel(t->second.id), false});
  unsigned mtu = t->second.mtu > kEncapOverhead ? t->second.mtu - kEncapOverhead : 0;
  return netlink_.route_replace(io::Route{prefix, t->second.oif, t->first, 1024, 254, mtu});
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
  auto [it, fresh] = groups_.try_emplace(key, next_group_);
  if (fresh) ++next_group_;
  dataplane::TunnelGroup g;
  g.id = it->second;
  for (auto id : ids) g.members.push_back({id, 1});
  bpf_.set_group(g);
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
                                        [&](const auto& p) { return p.first == o.entry; });
              if (found == use.entries.end()) {
                use.entries.emplace_back(o.entry, o.proxy_coa);
              } else {
                found->second = o.proxy_coa;  // a handoff moved the entry to another MAG
              }
              return program_prefix(o.prefix, e->mn_id);
            },
            [&](const core::lma_op::RouteRemove& o) -> std::optional<std::string> {
              auto it = prefixes_.find(o.prefix);
              if (it == prefixes_.end()) return std::nullopt;
              auto& v = it->second.entries;
              v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& p) { return p.first == o.entry; }), v.end());
              const auto* e = cache.find(o.entry);
              core::MnId mn = e ? e->mn_id : core::MnId{};
              if (!v.empty()) {
                if (const auto* other = cache.find(v.front().first)) mn = other->mn_id;
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
              bpf_.set_flow_rule(owner_of(o.mn), r);
              return std::nullopt;
            },
            [&](const core::lma_op::FlowRuleRemove& o) -> std::optional<std::string> {
              bpf_.remove_flow_rule(owner_of(o.mn), o.fid);
              auto g = groups_.find({owner_of(o.mn), o.fid});
              if (g != groups_.end()) {
                bpf_.remove_group(g->second);
                groups_.erase(g);
              }
              return std::nullopt;
            },
            // Blocked entries, primary-HoA rewrites and multipath distribution reach the
            // data plane with the later parts of issue 5; the engine's plan is logged.
            [&](const auto&) -> std::optional<std::string> { return std::nullopt; },
        },
        op);
  });
}

dataplane::PacketCounters LmaForwarding::flow_counters(const core::MnId& mn, std::uint16_t fid) const {
  auto it = owners_.find(mn);
  if (it == owners_.end()) return {};
  try {
    return bpf_.rule_counters(it->second, fid);
  } catch (const std::exception&) {
    return {};
  }
}

nlohmann::ordered_json LmaForwarding::state() const {
  nlohmann::ordered_json tunnels = nlohmann::ordered_json::array();
  for (const auto& [coa, t] : tunnels_) {
    auto c = bpf_.tunnel_counters(t.id);
    nlohmann::ordered_json j{{"id", t.id}, {"local", lmaa_.to_string()}, {"remote", coa.to_string()}, {"ifindex", t.oif}};
    add_tunnel_counters(j, c);
    tunnels.push_back(std::move(j));
  }
  return {{"executed", true}, {"tunnels", tunnels}, {"stats", dataplane_stats_json(bpf_)}};
}

}  // namespace pmipx::daemon
