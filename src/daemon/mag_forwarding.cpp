#include "daemon/mag_forwarding.hpp"

#include "core/overloaded.hpp"
#include "daemon/forwarding_json.hpp"

namespace pmipx::daemon {
namespace {

constexpr unsigned kEncapOverhead = 40;
constexpr std::uint32_t kFirstTable = 1000;   // one routing table per proxy-CoA
constexpr std::uint32_t kRulePriority = 1000;  // before the main table (32766)

}  // namespace

MagForwarding::MagForwarding(const core::MagConfig& config, const std::string& pin_dir, io::Netlink& netlink,
                             std::shared_ptr<spdlog::logger> log)
    : primary_coa_(config.wan_links.empty() ? config.proxy_coa : config.wan_links.front().proxy_coa),
      netlink_(netlink),
      log_(std::move(log)),
      bpf_(dataplane::BpfForwarding::Options{pin_dir}) {
  bpf_.set_mode(dataplane::Mode::kMag);
  if (config.wan_links.empty()) bpf_.add_local_endpoint(config.proxy_coa);
  for (const auto& w : config.wan_links) bpf_.add_local_endpoint(w.proxy_coa);
  log_->info("data plane: tc eBPF loaded{}, maps pinned under {}", bpf_.reused_pinned_maps() ? " (pinned maps reused)" : "",
             pin_dir.empty() ? "(nowhere)" : pin_dir);
}

std::optional<std::string> MagForwarding::add_tunnel(const wire::Ipv6Address& lmaa, const wire::Ipv6Address& coa) {
  auto route = netlink_.route_get(lmaa, coa);
  if (!route) return "no route from " + coa.to_string() + " to the LMA " + lmaa.to_string();
  Tunnel t{next_tunnel_++, lmaa, route->oif, kFirstTable + static_cast<std::uint32_t>(tunnels_.size())};
  bpf_.add_tunnel(dataplane::Tunnel{t.id, coa, lmaa, route->oif, 64});
  bpf_.add_peer(lmaa, t.id);
  if (attached_.insert(route->oif).second) {
    bpf_.attach_encap(static_cast<int>(route->oif));
    bpf_.attach_decap(static_cast<int>(route->oif));
  }
  // The uplink table: everything towards the LMA's side, with room for the outer header.
  unsigned mtu = io::link_mtu(route->oif);
  mtu = mtu > kEncapOverhead ? mtu - kEncapOverhead : 0;
  tunnels_[coa] = t;
  log_->info("data plane: tunnel {} {} -> {} on ifindex {}, uplink table {}", t.id, coa.to_string(), lmaa.to_string(),
             t.oif, t.table);
  return netlink_.route_replace(io::Route{wire::Ipv6Prefix{}, route->oif, route->gateway, 1024, t.table, mtu});
}

std::optional<std::string> MagForwarding::remove_tunnel(const wire::Ipv6Address& coa) {
  auto it = tunnels_.find(coa);
  if (it == tunnels_.end()) return std::nullopt;
  bpf_.remove_peer(it->second.lmaa);
  bpf_.remove_tunnel(it->second.id);
  auto err = netlink_.route_delete(io::Route{wire::Ipv6Prefix{}, it->second.oif, std::nullopt, 1024, it->second.table, 0});
  tunnels_.erase(it);
  return err;
}

std::optional<std::string> MagForwarding::apply(const core::MagDataplaneOp& op) {
  try {
    return std::visit(
        core::Overloaded{
            [&](const core::mag_op::TunnelAdd& o) { return add_tunnel(o.lmaa, o.proxy_coa); },
            [&](const core::mag_op::TunnelRemove& o) { return remove_tunnel(o.proxy_coa); },
            [&](const core::mag_op::RouteAdd& o) -> std::optional<std::string> {
              auto t = tunnels_.find(primary_coa_);
              if (t == tunnels_.end()) return "no tunnel from " + primary_coa_.to_string();
              bpf_.add_prefix(dataplane::PrefixRoute{o.prefix, o.link, dataplane::Target::tunnel(t->second.id), false});
              uplink_[{o.link, o.prefix}] = t->second.table;
              return netlink_.rule_add(io::SourceRule{o.prefix, t->second.table, kRulePriority});
            },
            [&](const core::mag_op::RouteRemove& o) -> std::optional<std::string> {
              auto it = uplink_.find({o.link, o.prefix});
              if (it == uplink_.end()) return std::nullopt;
              std::uint32_t table = it->second;
              uplink_.erase(it);
              bpf_.remove_prefix(o.prefix);
              return netlink_.rule_delete(io::SourceRule{o.prefix, table, kRulePriority});
            },
            // RAs are the daemon's; multipath distribution comes with the rest of issue 5.
            [&](const auto&) -> std::optional<std::string> { return std::nullopt; },
        },
        op);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

nlohmann::ordered_json MagForwarding::state() const {
  nlohmann::ordered_json tunnels = nlohmann::ordered_json::array();
  for (const auto& [coa, t] : tunnels_) {
    auto c = bpf_.tunnel_counters(t.id);
    nlohmann::ordered_json j{{"id", t.id}, {"local", coa.to_string()}, {"remote", t.lmaa.to_string()}, {"ifindex", t.oif},
                             {"uplink_table", t.table}};
    add_tunnel_counters(j, c);
    tunnels.push_back(std::move(j));
  }
  return {{"executed", true}, {"tunnels", tunnels}, {"stats", dataplane_stats_json(bpf_)}};
}

}  // namespace pmipx::daemon
