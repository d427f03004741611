#include "daemon/mag_forwarding.hpp"

#include <algorithm>

#include "core/mn/uplink_selector.hpp"
#include "core/overloaded.hpp"
#include "daemon/forwarding_json.hpp"

namespace pmipx::daemon {
namespace {

constexpr unsigned kEncapOverhead = 40;
constexpr std::uint32_t kFirstTable = 1000;   // one routing table per proxy-CoA
constexpr std::uint32_t kRulePriority = 1000;  // before the main table (32766)

}  // namespace

MagForwarding::MagForwarding(const core::MagConfig& config, std::unique_ptr<dataplane::ForwardingPlane> plane,
                             io::RoutingControl& routing, std::shared_ptr<spdlog::logger> log)
    : primary_coa_(config.wan_links.empty() ? config.proxy_coa : config.wan_links.front().proxy_coa),
      routing_(routing),
      log_(std::move(log)),
      plane_(std::move(plane)) {
  plane_->set_mode(dataplane::Mode::kMag);
  if (config.wan_links.empty()) plane_->add_local_endpoint(config.proxy_coa);
  for (const auto& w : config.wan_links) plane_->add_local_endpoint(w.proxy_coa);
}

std::optional<std::string> MagForwarding::add_tunnel(const wire::Ipv6Address& lmaa, const wire::Ipv6Address& coa) {
  auto route = routing_.route_get(lmaa, coa);
  if (!route) return "no route from " + coa.to_string() + " to the LMA " + lmaa.to_string();
  // The smallest table no live tunnel uses: a WAN link that went and came back must not
  // take over the table of one that stayed.
  std::uint32_t table = kFirstTable;
  while (std::any_of(tunnels_.begin(), tunnels_.end(), [&](const auto& kv) { return kv.second.table == table; })) ++table;
  Tunnel t{next_tunnel_++, lmaa, route->oif, table};
  plane_->add_tunnel(dataplane::Tunnel{t.id, coa, lmaa, route->oif, 64});
  plane_->add_peer(lmaa, t.id);
  if (attached_.insert(route->oif).second) {
    plane_->attach_encap(static_cast<int>(route->oif));
    plane_->attach_decap(static_cast<int>(route->oif));
  }
  // The uplink table: everything towards the LMA's side, with room for the outer header.
  unsigned mtu = routing_.link_mtu(route->oif);
  mtu = mtu > kEncapOverhead ? mtu - kEncapOverhead : 0;
  tunnels_[coa] = t;
  log_->info("data plane: tunnel {} {} -> {} on ifindex {}, uplink table {}", t.id, coa.to_string(), lmaa.to_string(),
             t.oif, t.table);
  return routing_.route_replace(io::Route{wire::Ipv6Prefix{}, route->oif, route->gateway, 1024, t.table, mtu});
}

std::optional<std::string> MagForwarding::remove_tunnel(const wire::Ipv6Address& coa) {
  auto it = tunnels_.find(coa);
  if (it == tunnels_.end()) return std::nullopt;
  // Decapsulation knows the LMA by its address alone, and every WAN tunnel has the same
  // LMA: while another tunnel to it remains, the LMA stays a known peer (answering for it).
  auto other = std::find_if(tunnels_.begin(), tunnels_.end(),
                            [&](const auto& kv) { return kv.first != coa && kv.second.lmaa == it->second.lmaa; });
  if (other != tunnels_.end()) {
    plane_->add_peer(it->second.lmaa, other->second.id);
  } else {
    plane_->remove_peer(it->second.lmaa);
  }
  plane_->remove_tunnel(it->second.id);
  auto err = routing_.route_delete(io::Route{wire::Ipv6Prefix{}, it->second.oif, std::nullopt, 1024, it->second.table, 0});
  tunnels_.erase(it);
  return err;
}

dataplane::Target MagForwarding::uplink_target(core::LinkId link) const {
  auto mp = multipath_.find(link);
  if (mp != multipath_.end()) return dataplane::Target::group(mp->second.group);
  auto t = tunnels_.find(primary_coa_);
  return dataplane::Target::tunnel(t == tunnels_.end() ? 0 : t->second.id);
}

// The table the MN's source rules lead to: the primary WAN link's, or for a multipath MN
// the first live path's (the primary link may be the one that failed); 0 when none exists.
std::uint32_t MagForwarding::uplink_table(core::LinkId link) const {
  auto mp = multipath_.find(link);
  auto t = tunnels_.find(mp != multipath_.end() ? mp->second.first_path : primary_coa_);
  return t == tunnels_.end() ? 0 : t->second.table;
}

// Moves the link's source rules to uplink_table(): the new rule first, so the MN's uplink
// always has one.
std::optional<std::string> MagForwarding::repoint_uplink(core::LinkId link) {
  std::uint32_t want = uplink_table(link);
  if (want == 0) return std::nullopt;
  std::optional<std::string> err;
  for (auto& [key, table] : uplink_) {
    if (key.first != link || table == want) continue;
    auto r = routing_.rule_add(io::SourceRule{key.second, want, kRulePriority});
    if (!r) r = routing_.rule_delete(io::SourceRule{key.second, table, kRulePriority});
    if (r && !err) err = r;
    if (!r) table = want;
  }
  return err;
}

// RFC 8278 §3.2 at the MAG: the MN's uplink is spread over the WAN tunnels by weight; the
// packet leaves through the primary WAN link's table and the encap program redirects it to
// the chosen tunnel's link.
std::optional<std::string> MagForwarding::set_multipath(const core::mag_op::MultipathSet& o) {
  auto [it, fresh] = multipath_.try_emplace(o.link);
  Multipath& mp = it->second;
  if (fresh) mp.group = next_group_++;
  const auto distribution = o.distribution == core::Distribution::kPerPacket ? dataplane::Distribution::kPerPacket
                                                                               : dataplane::Distribution::kPerFlow;
  auto make_group = [&](std::uint32_t id, const std::vector<std::size_t>& paths) -> std::optional<std::string> {
    dataplane::TunnelGroup g{id, distribution, {}};
    for (auto i : paths) {
      auto t = i < o.paths.size() ? tunnels_.find(o.paths[i].proxy_coa) : tunnels_.end();
      if (t == tunnels_.end()) return "multipath: no tunnel for path " + std::to_string(i);
      g.members.push_back({t->second.id, o.paths[i].weight});
    }
    plane_->set_group(g);
    return std::nullopt;
  };
  std::vector<std::size_t> all(o.paths.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  if (o.paths.empty()) return remove_multipath(o.link);
  mp.first_path = o.paths.front().proxy_coa;
  if (auto err = make_group(mp.group, all)) return err;

  std::map<std::uint32_t, std::uint32_t> rules;
  for (const auto& r : o.rules) {
    if (r.paths.empty()) continue;  // no labelled path is up: the default distribution applies
    // Configured for what the MN sends (MN -> CN); the tc program matches CN -> MN.
    const auto network = core::uplink_view(r.selector);
    const auto* v6 = std::get_if<wire::Ipv6TrafficSelector>(&network);
    if (!v6) return "multipath rule " + std::to_string(r.id) + ": only IPv6 selectors reach the data plane";
    dataplane::FlowRule fr;
    fr.id = r.id;
    fr.priority = r.priority;
    fr.selector = *v6;
    std::uint32_t gid = 0;
    if (r.paths.size() == 1) {
      auto t = r.paths.front() < o.paths.size() ? tunnels_.find(o.paths[r.paths.front()].proxy_coa) : tunnels_.end();
      if (t == tunnels_.end()) return "multipath rule " + std::to_string(r.id) + ": no tunnel for its path";
      fr.target = dataplane::Target::tunnel(t->second.id);
    } else {
      auto old = mp.rules.find(fr.id);
      gid = old != mp.rules.end() && old->second ? old->second : next_group_++;
      if (auto err = make_group(gid, r.paths)) return err;
      fr.target = dataplane::Target::group(gid);
    }
    plane_->set_flow_rule(o.link, fr);
    rules[fr.id] = gid;
  }
  for (const auto& [id, gid] : mp.rules) {
    auto now = rules.find(id);
    if (now == rules.end()) plane_->remove_flow_rule(o.link, id);
    if (gid && (now == rules.end() || now->second != gid)) plane_->remove_group(gid);
  }
  mp.rules = std::move(rules);
  for (const auto& [key, table] : uplink_) {
    if (key.first == o.link) plane_->add_prefix(dataplane::PrefixRoute{key.second, o.link, uplink_target(o.link), false});
  }
  log_->info("data plane: link {} multipath over {} path(s), {} label rule(s), group {}", o.link, o.paths.size(),
             mp.rules.size(), mp.group);
  return repoint_uplink(o.link);
}

std::optional<std::string> MagForwarding::remove_multipath(core::LinkId link) {
  auto it = multipath_.find(link);
  if (it == multipath_.end()) return std::nullopt;
  Multipath mp = std::move(it->second);
  multipath_.erase(it);
  for (const auto& [key, table] : uplink_) {
    if (key.first == link) plane_->add_prefix(dataplane::PrefixRoute{key.second, link, uplink_target(link), false});
  }
  for (const auto& [id, gid] : mp.rules) {
    plane_->remove_flow_rule(link, id);
    if (gid) plane_->remove_group(gid);
  }
  plane_->remove_group(mp.group);
  if (auto err = repoint_uplink(link)) return err;
  return std::nullopt;
}

std::optional<std::string> MagForwarding::apply(const core::MagDataplaneOp& op) {
  try {
    return std::visit(
        core::Overloaded{
            [&](const core::mag_op::TunnelAdd& o) { return add_tunnel(o.lmaa, o.proxy_coa); },
            [&](const core::mag_op::TunnelRemove& o) { return remove_tunnel(o.proxy_coa); },
            [&](const core::mag_op::RouteAdd& o) -> std::optional<std::string> {
              std::uint32_t table = uplink_table(o.link);
              if (table == 0) return "no tunnel for the uplink of link " + std::to_string(o.link);
              plane_->add_prefix(dataplane::PrefixRoute{o.prefix, o.link, uplink_target(o.link), false});
              uplink_[{o.link, o.prefix}] = table;
              return routing_.rule_add(io::SourceRule{o.prefix, table, kRulePriority});
            },
            [&](const core::mag_op::RouteRemove& o) -> std::optional<std::string> {
              auto it = uplink_.find({o.link, o.prefix});
              if (it == uplink_.end()) return std::nullopt;
              std::uint32_t table = it->second;
              uplink_.erase(it);
              plane_->remove_prefix(o.prefix);
              return routing_.rule_delete(io::SourceRule{o.prefix, table, kRulePriority});
            },
            [&](const core::mag_op::MultipathSet& o) { return set_multipath(o); },
            [&](const core::mag_op::MultipathRemove& o) { return remove_multipath(o.link); },
            // RAs are the daemon's.
            [&](const core::mag_op::RouterAdvertisement&) -> std::optional<std::string> { return std::nullopt; },
        },
        op);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

nlohmann::ordered_json MagForwarding::state() const {
  nlohmann::ordered_json tunnels = nlohmann::ordered_json::array();
  for (const auto& [coa, t] : tunnels_) {
    auto c = plane_->tunnel_counters(t.id);
    nlohmann::ordered_json j{{"id", t.id}, {"local", coa.to_string()}, {"remote", t.lmaa.to_string()}, {"ifindex", t.oif},
                             {"uplink_table", t.table}};
    add_tunnel_counters(j, c);
    tunnels.push_back(std::move(j));
  }
  nlohmann::ordered_json multipath = nlohmann::ordered_json::array();
  for (const auto& [link, mp] : multipath_) {
    nlohmann::ordered_json rules = nlohmann::ordered_json::array();
    for (const auto& [id, gid] : mp.rules) rules.push_back(id);
    multipath.push_back({{"link", link}, {"group", mp.group}, {"label_rules", rules}});
  }
  return {{"executed", true}, {"tunnels", tunnels}, {"multipath", multipath}, {"stats", dataplane_stats_json(*plane_)}};
}

}  // namespace pmipx::daemon
