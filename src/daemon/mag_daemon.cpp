#include "daemon/mag_daemon.hpp"

#include <net/if.h>

#include <algorithm>
#include <stdexcept>

#include "core/overloaded.hpp"
#include "daemon/json_util.hpp"
#include "daemon/logging.hpp"
#include "wire/hex.hpp"

namespace pmipx::daemon {
namespace {

const wire::Ipv6Address kAllRouters = *wire::Ipv6Address::parse("ff02::2");
const wire::Ipv6Address kAllNodes = *wire::Ipv6Address::parse("ff02::1");

const char* bule_state_name(core::BuleState s) {
  switch (s) {
    case core::BuleState::kWaitPba: return "wait-pba";
    case core::BuleState::kRegistered: return "registered";
    case core::BuleState::kRefreshing: return "refreshing";
    case core::BuleState::kDeregistering: return "deregistering";
    case core::BuleState::kRejected: return "rejected";
    case core::BuleState::kPathDown: return "path-down";
  }
  return "?";
}

const char* op_name(const core::MagDataplaneOp& op) {
  static constexpr const char* kNames[] = {"tunnel_add",          "tunnel_remove",  "route_add",       "route_remove",
                                           "router_advertisement", "multipath_set", "multipath_remove"};
  return kNames[op.index()];
}

core::MagConfig engine_config(const MagDaemonConfig& c) { return c.engine; }

}  // namespace

MagDaemon::MagDaemon(MagDaemonConfig config, std::string config_path)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      log_(make_logger("mag", config_.log)),
      engine_(engine_config(config_)),
      signaling_(log_, metrics_, config_.engine.codec),
      nd_(io::RawSocket::icmpv6(wire::kIcmpRouterSolicitation)),
      timer_(loop_.io(), [this] { on_timer(); }),
      ra_timer_(loop_.io()),
      api_(loop_, config_.api) {
  metrics_.describe("events_total", "engine events by kind");
  metrics_.describe("router_solicitations_total", "RSs received on access links, by outcome");
  metrics_.describe("router_advertisements_total", "RAs sent on access links");
  metrics_.describe("dataplane_ops_total", "forwarding changes requested, by kind");
  metrics_.describe("dataplane_errors_total", "forwarding changes the kernel refused");
  core::LinkId next = 1;
  for (const auto& a : config_.access_links) {
    AccessLink l;
    l.id = next++;
    l.config = a;
    auto state = io::link_state(a.interface);
    if (state.ifindex == 0) {
      throw std::runtime_error("access link " + a.interface + ": no such interface in this network namespace");
    }
    l.ifindex = state.ifindex;
    l.running = state.running;
    nd_.join(kAllRouters, l.ifindex);
    links_.emplace(l.id, std::move(l));
  }
  for (const auto& w : config_.wan_links) {
    auto state = io::link_state(w.interface);
    if (state.ifindex == 0) throw std::runtime_error("WAN link " + w.interface + ": no such interface");
    wan_running_[w.interface] = state.running;
  }
  if (config_.dataplane.enabled) {
    const auto& pin_dir = config_.dataplane.pin_dir;
    auto plane = std::make_unique<dataplane::BpfForwarding>(dataplane::BpfForwarding::Options{pin_dir});
    log_->info("data plane: tc eBPF loaded{}, maps pinned under {}",
               plane->reused_pinned_maps() ? " (pinned maps reused)" : "", pin_dir.empty() ? "(nowhere)" : pin_dir);
    forwarding_ = std::make_unique<MagForwarding>(config_.engine, std::move(plane), netlink_, log_);
    if (config_.mtu == 0) {
      // The MN's packets gain 40 octets in the tunnel: advertise what fits every WAN link.
      unsigned smallest = 0;
      std::vector<wire::Ipv6Address> coas;
      for (const auto& w : config_.engine.wan_links) coas.push_back(w.proxy_coa);
      if (coas.empty()) coas.push_back(config_.engine.proxy_coa);
      for (const auto& coa : coas) {
        auto route = netlink_.route_get(config_.engine.lmaa, coa);
        unsigned mtu = route ? io::link_mtu(route->oif) : 0;
        if (mtu && (!smallest || mtu < smallest)) smallest = mtu;
      }
      if (smallest > 1280 + 40) config_.mtu = smallest - 40;
    }
  }
  register_api();
}

MagDaemon::~MagDaemon() { api_.stop(); }

int MagDaemon::run() {
  loop_.on_error([this](const std::string& what) {
    log_->error("internal error while handling input: {}", what);
    metrics_.add("internal_errors_total");
  });
  loop_.watch(signaling_.fd(), [this] { on_signaling(); });
  loop_.watch(nd_.fd(), [this] { on_router_solicitation(); });
  loop_.watch(links_monitor_.fd(), [this] { on_link_events(); });
  api_.start();
  log_->info("MAG {} up: LMA {}, {} access links, {} WAN links, API http://{}:{}",
             config_.engine.mag_id.empty() ? config_.engine.proxy_coa.to_string() : config_.engine.mag_id,
             config_.engine.lmaa.to_string(), links_.size(), std::max<std::size_t>(1, config_.wan_links.size()),
             config_.api.address, config_.api.port);
  on_ra_timer();
  drain();
  loop_.run();
  log_->info("MAG stopping");
  api_.stop();
  return 0;
}

void MagDaemon::on_signaling() {
  auto now = clock_now();
  signaling_.receive([&](const io::Datagram& d, const wire::Message& m) { engine_.handle_message(now, d.src, d.dst, m); },
                     [&](const io::Datagram& d) { engine_.handle_datagram(now, d.src, d.dst, d.payload); });
  drain();
}

const MagMnConfig* MagDaemon::mn_config(const core::MnId& id) const {
  for (const auto& m : config_.mns) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

MagDaemon::AccessLink* MagDaemon::link_by_ifindex(unsigned ifindex) {
  for (auto& [id, l] : links_) {
    if (l.ifindex == ifindex) return &l;
  }
  return nullptr;
}

MagDaemon::AccessLink* MagDaemon::link_by_name(const std::string& name) {
  for (auto& [id, l] : links_) {
    if (l.config.interface == name) return &l;
  }
  return nullptr;
}

void MagDaemon::on_router_solicitation() {
  while (auto d = nd_.receive()) {
    AccessLink* link = link_by_ifindex(d->ifindex);
    if (!link) {
      metrics_.add("router_solicitations_total", {{"outcome", "not_access_link"}});
      continue;
    }
    // RFC 4861 §6.1.1: hop limit 255 proves the RS was not forwarded.
    if (d->control_truncated || d->hop_limit != 255) {
      metrics_.add("router_solicitations_total", {{"outcome", "bad_hop_limit"}});
      log_->warn("rx RS on {} from {}: hop limit {} (not 255), dropped", link->config.interface, d->src.to_string(),
                 d->hop_limit);
      continue;
    }
    std::string why;
    auto rs = wire::decode_router_solicitation(d->payload, &why);
    // RFC 4861 §6.1.1: an RS from the unspecified address carries no link-layer address.
    if (rs && d->src.is_zero() && rs->source_link_layer) {
      rs.reset();
      why = "source link-layer address option from the unspecified address";
    }
    if (!rs) {
      metrics_.add("router_solicitations_total", {{"outcome", "malformed"}});
      log_->warn("rx RS on {} from {}: malformed: {}", link->config.interface, d->src.to_string(), why);
      continue;
    }
    // Who is it? The RS's link-layer address names the MN; the link's configured MN otherwise.
    std::optional<core::MnId> mn;
    bool known_mac = false;
    if (rs->source_link_layer) {
      auto mac = wire::to_string(*rs->source_link_layer);
      for (const auto& m : config_.mns) {
        if (std::find(m.link_layer.begin(), m.link_layer.end(), mac) != m.link_layer.end()) mn = m.id;
      }
      known_mac = mn.has_value();
    }
    // The link's fallback identity never displaces an MN identified by its own address: a
    // second host on the link would make the binding flap.
    if (!mn && !link->config.mn_id.empty() && !(link->mn && link->mac_known)) {
      mn = core::MnId::nai(link->config.mn_id);
    }
    if (!mn) {
      metrics_.add("router_solicitations_total", {{"outcome", "unknown_mn"}});
      log_->warn("rx RS on {} from {}: unknown MN (link-layer {}), ignored", link->config.interface,
                 d->src.to_string(), rs->source_link_layer ? wire::to_string(*rs->source_link_layer) : "none");
      continue;
    }
    metrics_.add("router_solicitations_total", {{"outcome", "accepted"}});
    log_->info("rx RS on {} from {} mn={} lla={} ifp={} P={} S={}", link->config.interface, d->src.to_string(),
               mn->to_string(), rs->source_link_layer ? wire::to_string(*rs->source_link_layer) : "none",
               rs->preference ? rs->preference->ifp : 0, rs->preference && rs->preference->primary,
               rs->preference && rs->preference->share_prefixes);
    if (!d->src.is_zero()) link->mn_address = d->src;
    auto now = clock_now();
    // The same interface showing up on another of our links has moved: end the old attachment.
    if (rs->source_link_layer) {
      for (auto& [id, other] : links_) {
        if (&other != link && other.mn && other.mac == rs->source_link_layer) {
          detach(other, ("moved to " + link->config.interface).c_str());
        }
      }
    }
    if (link->mn && *link->mn != *mn) detach(*link, "another MN on the link");
    if (link->mn && rs->source_link_layer && link->mac && *link->mac != *rs->source_link_layer) {
      detach(*link, "new link-layer address");
    }
    // A registration the LMA refused (or that is gone) is tried again when the MN solicits,
    // at most once per initial retransmission timeout: a fixed policy needs no link flap.
    if (link->mn) {
      const auto* e = engine_.bindings().find(link->id);
      bool dead = !e || e->state == core::BuleState::kRejected;
      if (dead && (!link->last_attach || now.mono - *link->last_attach >= config_.engine.initial_bindack_timeout)) {
        detach(*link, "registration refused or lost; the MN solicits again");
      }
    }
    if (!link->mn) {
      link->mac = rs->source_link_layer;
      link->mac_known = known_mac;
      link->preference = rs->preference;
      attach(*link, *mn);
    } else {
      // Attached already: a changed preference is a seed 003 handover indication.
      if (rs->preference && (!link->preference || link->preference->ifp != rs->preference->ifp ||
                             link->preference->primary != rs->preference->primary)) {
        link->preference = rs->preference;
        if (auto err = engine_.update_priority(now, link->id, rs->preference->ifp, rs->preference->primary)) {
          log_->warn("interface preference on {} refused: {}", link->config.interface, *err);
        }
      }
      // RFC 4861 §6.2.6: an RS from the unspecified address is answered by multicast.
      send_ra(*link, d->src.is_zero());
    }
  }
  drain();
}

void MagDaemon::attach(AccessLink& link, const core::MnId& mn, std::optional<wire::HandoffIndicator> hi) {
  const auto* cfg = mn_config(mn);
  core::Attachment a;
  a.link = link.id;
  a.mn_id = mn;
  if (link.mac) a.mn_ll_id.assign(link.mac->begin(), link.mac->end());
  a.att = link.config.att;
  bool share = (cfg && cfg->shared_prefixes) || (link.preference && link.preference->share_prefixes);
  a.hi = hi ? *hi : share ? wire::HandoffIndicator::kNewInterfaceSharingPrefixes : wire::HandoffIndicator::kNewInterface;
  if (link.preference) {
    a.ifp = link.preference->ifp;
    a.primary = link.preference->primary;
  }
  a.muho = cfg && cfg->muho;
  a.multipath = cfg && cfg->multipath;
  link.mn = mn;
  link.last_attach = core::MonoClock::now();
  log_->info("attach {} on {} (HI {}, ATT {}, IFP {})", mn.to_string(), link.config.interface,
             static_cast<int>(a.hi), att_name(a.att), a.ifp);
  engine_.attach(clock_now(), a);
}

void MagDaemon::detach(AccessLink& link, const char* why) {
  if (!link.mn) return;
  log_->info("detach {} from {}: {}", link.mn->to_string(), link.config.interface, why);
  engine_.detach(clock_now(), link.id);
  link.mn.reset();
  link.mac.reset();
  link.mac_known = false;
  link.preference.reset();
  link.mn_address = wire::Ipv6Address{};
  drain();
}

void MagDaemon::on_link_events() {
  auto events = links_monitor_.read();
  if (links_monitor_.take_overrun()) {
    // Events were lost: read the state of every interface we manage instead.
    log_->warn("link events lost (netlink overrun): re-reading interface state");
    metrics_.add("link_event_overruns_total");
    for (const auto& [id, l] : links_) events.push_back(io::link_state(l.config.interface));
    for (const auto& w : config_.wan_links) events.push_back(io::link_state(w.interface));
  }
  for (const auto& ev : events) {
    if (auto* link = link_by_ifindex(ev.ifindex)) {
      if (link->running && (!ev.running || ev.removed)) {
        link->running = false;
        detach(*link, "access link down");
      } else if (!link->running && ev.running) {
        link->running = true;
        // A link that went down lost its IPv6 addresses, our router link-local among them.
        link->local_addresses.clear();
        log_->info("access link {} up", link->config.interface);
      }
    }
    for (std::size_t i = 0; i < config_.wan_links.size(); ++i) {
      const auto& w = config_.wan_links[i];
      if (w.interface != ev.name) continue;
      bool& was = wan_running_[w.interface];
      bool now_up = ev.running && !ev.removed;
      if (was == now_up) continue;
      was = now_up;
      auto now = clock_now();
      auto path = static_cast<core::PathIndex>(i);
      auto err = now_up ? engine_.wan_link_up(now, path) : engine_.wan_link_down(now, path);
      log_->info("WAN link {} {}{}", w.interface, now_up ? "up" : "down", err ? ": " + *err : "");
    }
  }
  drain();
}

void MagDaemon::on_timer() {
  engine_.handle_timeout(clock_now());
  drain();
}

void MagDaemon::on_ra_timer() {
  for (auto& [id, l] : links_) {
    if (l.mn && l.ra && !l.ra->prefixes.empty()) send_ra(l);
  }
  ra_timer_.expires_after(std::chrono::seconds(config_.ra_interval_s));
  ra_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) on_ra_timer();
  });
}

bool MagDaemon::ensure_router_address(AccessLink& l, const wire::Ipv6Address& a) {
  if (a.is_zero() || l.local_addresses.count(a)) return true;
  if (auto err = netlink_.address_add(l.ifindex, wire::Ipv6Prefix{a, 64})) {
    log_->error("router address {} on {}: {}", a.to_string(), l.config.interface, *err);
    metrics_.add("dataplane_errors_total", {{"op", "router_address"}});
    return false;
  }
  l.local_addresses.insert(a);
  return true;
}

void MagDaemon::send_ra(AccessLink& link, bool multicast) {
  if (!link.ra) return;
  const auto& op = *link.ra;
  // Prefix lifetimes never exceed what is left of the binding (PROTOCOL.md §8.8).
  std::uint32_t remaining = op.lifetime_s;
  if (const auto* e = engine_.bindings().find(link.id)) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(e->expires - core::MonoClock::now()).count();
    remaining = static_cast<std::uint32_t>(std::clamp<long long>(left, 0, op.lifetime_s));
  }
  wire::RouterAdvertisement ra;
  ra.router_lifetime_s = op.prefixes.empty() ? 0 : static_cast<std::uint16_t>(std::min<std::uint32_t>(config_.router_lifetime_s, 9000));
  if (config_.mtu) ra.mtu = config_.mtu;
  for (const auto& p : op.prefixes) {
    std::uint32_t valid = std::min(config_.prefix_valid_lifetime_s, remaining);
    ra.prefixes.push_back({p, true, true, valid, std::min(config_.prefix_preferred_lifetime_s, valid)});
  }
  // Withdrawn prefixes leave with lifetime 0 (the pmipx MN agent drops them at once; an RFC
  // 4862 host keeps the address up to two hours but stops preferring it).
  for (const auto& p : link.advertised) {
    if (std::find(op.prefixes.begin(), op.prefixes.end(), p) == op.prefixes.end()) {
      ra.prefixes.push_back({p, true, true, 0, 0});
    }
  }
  if (ra.prefixes.empty() && ra.router_lifetime_s == 0) return;
  auto dst = multicast || link.mn_address.is_zero() ? kAllNodes : link.mn_address;
  auto bytes = wire::encode_router_advertisement(ra);
  if (!ensure_router_address(link, op.router_link_local)) return;
  auto err = nd_.send(op.router_link_local, dst, bytes, link.ifindex);
  if (err) {
    // The address may have gone with a link flap we did not see: install it and try once more.
    link.local_addresses.erase(op.router_link_local);
    if (ensure_router_address(link, op.router_link_local)) err = nd_.send(op.router_link_local, dst, bytes, link.ifindex);
  }
  if (err) {
    log_->error("tx RA on {}: {}", link.config.interface, *err);
    metrics_.add("dataplane_errors_total", {{"op", "router_advertisement"}});
    return;  // `advertised` stays: the withdrawal goes out with the next RA
  }
  link.advertised = {op.prefixes.begin(), op.prefixes.end()};
  metrics_.add("router_advertisements_total");
  std::string prefixes;
  for (const auto& p : ra.prefixes) {
    prefixes += (prefixes.empty() ? "" : ",") + p.prefix.to_string() + (p.valid_lifetime_s ? "" : "(withdrawn)");
  }
  log_->info("tx RA on {} {} -> {}: router_lifetime={} prefixes={}", link.config.interface,
             op.router_link_local.to_string(), dst.to_string(), ra.router_lifetime_s, prefixes.empty() ? "none" : prefixes);
}

void MagDaemon::drain() {
  // Routes before messages: an FMA tells the LMA to send the flow here, so the off-link
  // route must exist when it leaves (packets in between were lost, measured by
  // bench/latency/flow_move.py).
  while (auto op = engine_.poll_dataplane()) apply(*op);
  while (auto t = engine_.poll_transmit()) signaling_.send(*t);
  while (auto e = engine_.poll_event()) {
    metrics_.add("events_total", {{"kind", core::to_string(e->kind)}});
    auto level = e->kind == core::EventKind::kMessageDropped || e->kind == core::EventKind::kMnRejected ||
                         e->kind == core::EventKind::kRegistrationUnanswered
                     ? spdlog::level::warn
                     : spdlog::level::info;
    log_->log(level, "event {} mn={} status={} {}", core::to_string(e->kind), e->mn, e->status, e->detail);
  }
  timer_.arm(engine_.poll_timeout());
}

void MagDaemon::apply(const core::MagDataplaneOp& op) {
  metrics_.add("dataplane_ops_total", {{"op", op_name(op)}});
  auto fail = [&](const std::optional<std::string>& err) {
    if (!err) return;
    log_->error("dataplane {}: {}", op_name(op), *err);
    metrics_.add("dataplane_errors_total", {{"op", op_name(op)}});
  };
  if (forwarding_) fail(forwarding_->apply(op));
  std::visit(core::Overloaded{
                 [&](const core::mag_op::TunnelAdd& o) {
                   tunnels_.insert(o.proxy_coa);
                   log_->info("dataplane: tunnel {} <-> {} added", o.proxy_coa.to_string(), o.lmaa.to_string());
                 },
                 [&](const core::mag_op::TunnelRemove& o) {
                   tunnels_.erase(o.proxy_coa);
                   log_->info("dataplane: tunnel {} <-> {} removed", o.proxy_coa.to_string(), o.lmaa.to_string());
                 },
                 [&](const core::mag_op::RouteAdd& o) {
                   auto it = links_.find(o.link);
                   if (it == links_.end()) return;
                   // Every prefix of the MN is routed via its link-local address when we know
                   // it: an off-link prefix (another interface's HNP, seed 001 §3.2.2; MuHo)
                   // is not on this link, and an on-link one may hold addresses the MN
                   // configured on another interface (seed 001 §3.2.1: each address valid
                   // on every interface), for which it answers no neighbor solicitation here.
                   std::optional<wire::Ipv6Address> via;
                   if (!it->second.mn_address.is_zero()) via = it->second.mn_address;
                   fail(netlink_.route_replace(io::Route{o.prefix, it->second.ifindex, via, 1024, 254}));
                   log_->info("dataplane: route {} dev {}{}", o.prefix.to_string(), it->second.config.interface,
                              o.advertise ? " (on-link, advertised)" : " (off-link)");
                 },
                 [&](const core::mag_op::RouteRemove& o) {
                   auto it = links_.find(o.link);
                   if (it == links_.end()) return;
                   fail(netlink_.route_delete(io::Route{o.prefix, it->second.ifindex, std::nullopt, 1024, 254}));
                   log_->info("dataplane: route {} dev {} removed", o.prefix.to_string(), it->second.config.interface);
                 },
                 [&](const core::mag_op::RouterAdvertisement& o) {
                   auto it = links_.find(o.link);
                   if (it == links_.end()) return;
                   auto& l = it->second;
                   // The router address is ours on the link (RFC 6543: one shared by all
                   // MAGs); send_ra installs it when missing.
                   l.ra = o;
                   send_ra(l);
                 },
                 [&](const core::mag_op::MultipathSet& o) {
                   multipath_[o.link] = o;
                   log_->info("dataplane: multipath on link {}: {} paths", o.link, o.paths.size());
                 },
                 [&](const core::mag_op::MultipathRemove& o) {
                   multipath_.erase(o.link);
                   log_->info("dataplane: multipath on link {} removed", o.link);
                 },
             },
             op);
}

Json MagDaemon::bindings_json() const {
  auto now = core::MonoClock::now();
  Json out = Json::array();
  engine_.bindings().for_each([&](const core::BindingUpdateListEntry& e) {
    Json j;
    auto it = links_.find(e.link);
    j["link"] = it == links_.end() ? std::to_string(e.link) : it->second.config.interface;
    j["path"] = e.path;
    j["mn"] = e.mn_id.to_string();
    j["state"] = bule_state_name(e.state);
    j["mn_ll_id"] = wire::to_hex(e.mn_ll_id);
    j["att"] = att_name(e.att);
    j["hi"] = static_cast<int>(e.attach_hi);
    j["prefixes"] = prefixes_json(e.prefixes);
    j["off_link_prefixes"] = prefixes_json(e.off_link_prefixes);
    j["muho_prefixes"] = prefixes_json(e.muho_prefixes);
    // Seed 001 §3.4: the flows the LMA said use this link, as of its last FMI or PBA.
    j["flows"] = Json::array();
    for (const auto& f : e.flows) j["flows"].push_back({{"fid", f.fid}, {"priority", f.priority}, {"bids", f.bid_refs}});
    j["ifp"] = e.ifp;
    j["primary"] = e.primary;
    j["multipath"] = e.multipath;
    j["lifetime_s"] = e.granted.seconds();
    j["expires_in_s"] = seconds_until(e.expires, now);
    j["transmissions"] = e.transmissions;
    if (e.last_status) j["last_status"] = static_cast<int>(*e.last_status);
    out.push_back(std::move(j));
  });
  return out;
}

Json MagDaemon::links_json() const {
  Json out = Json::array();
  for (const auto& [id, l] : links_) {
    Json j;
    j["interface"] = l.config.interface;
    j["ifindex"] = l.ifindex;
    j["running"] = l.running;
    j["att"] = att_name(l.config.att);
    j["mn"] = l.mn ? l.mn->to_string() : "";
    j["link_layer"] = l.mac ? wire::to_string(*l.mac) : "";
    j["mn_address"] = l.mn_address.is_zero() ? "" : l.mn_address.to_string();
    Json adv = Json::array();
    for (const auto& p : l.advertised) adv.push_back(p.to_string());
    j["advertised"] = adv;
    out.push_back(std::move(j));
  }
  return out;
}

Json MagDaemon::counters_json() const {
  const auto& c = engine_.counters();
  return Json{{"pbu_sent", c.pbu_sent},
              {"retransmissions", c.retransmissions},
              {"pba_accepted", c.pba_accepted},
              {"pba_rejected", c.pba_rejected},
              {"pba_ignored", c.pba_ignored},
              {"malformed", c.malformed},
              {"unexpected", c.unexpected},
              {"unanswered", c.unanswered},
              {"fmi_received", c.fmi_received},
              {"fma_failures_sent", c.fma_failures_sent},
              {"multipath_refused", c.multipath_refused},
              {"path_failovers", c.path_failovers}};
}

std::string MagDaemon::metrics_text() {
  std::size_t n = 0;
  engine_.bindings().for_each([&](const core::BindingUpdateListEntry&) { ++n; });
  metrics_.set("bindings", {}, static_cast<double>(n));
  metrics_.set("tunnels", {}, static_cast<double>(tunnels_.size()));
  const auto& c = engine_.counters();
  metrics_.set("engine_retransmissions", {}, static_cast<double>(c.retransmissions));
  metrics_.set("engine_pba_rejected", {}, static_cast<double>(c.pba_rejected));
  metrics_.set("engine_malformed", {}, static_cast<double>(c.malformed));
  metrics_.set("engine_unexpected", {}, static_cast<double>(c.unexpected));
  metrics_.set("engine_unanswered", {}, static_cast<double>(c.unanswered));
  return metrics_.render();
}

MagDaemon::AccessLink& MagDaemon::link_arg(const Json& body) {
  if (!body.contains("link") || !body["link"].is_string()) throw ApiError{400, "missing \"link\" (access interface name)"};
  auto* l = link_by_name(body["link"].get<std::string>());
  if (!l) throw ApiError{404, "no access link " + body["link"].get<std::string>()};
  return *l;
}

void MagDaemon::register_api() {
  api_.get("/health", [](const Json&) { return Json{{"role", "mag"}, {"ok", true}}; });
  api_.get("/bindings", [this](const Json&) { return bindings_json(); });
  api_.get("/links", [this](const Json&) { return links_json(); });
  api_.get("/counters", [this](const Json&) { return counters_json(); });
  api_.get("/wan", [this](const Json&) {
    Json out = Json::array();
    if (config_.wan_links.empty()) {
      out.push_back({{"interface", ""}, {"proxy_coa", config_.engine.proxy_coa.to_string()}, {"running", true}});
    }
    for (const auto& w : config_.wan_links) {
      out.push_back({{"interface", w.interface}, {"proxy_coa", w.link.proxy_coa.to_string()},
                     {"att", att_name(w.link.att)}, {"label", w.link.label},
                     {"running", wan_running_.count(w.interface) ? wan_running_.at(w.interface) : false},
                     {"tunnel", tunnels_.count(w.link.proxy_coa) != 0}});
    }
    return out;
  });
  // Lab operations: attach or detach an MN on an access link without an RS or a link event.
  api_.post("/attach", [this](const Json& body) {
    auto& link = link_arg(body);
    core::MnId mn = body.contains("mn") && body["mn"].is_string() ? core::MnId::nai(body["mn"].get<std::string>())
                    : !link.config.mn_id.empty()                 ? core::MnId::nai(link.config.mn_id)
                                                                 : throw ApiError{400, "missing \"mn\""};
    if (!mn_config(mn)) throw ApiError{404, "MN " + mn.to_string() + " is not configured on this MAG"};
    if (link.mn) throw ApiError{409, "link " + link.config.interface + " already has " + link.mn->to_string()};
    std::optional<wire::HandoffIndicator> hi;
    if (body.contains("hi")) {
      if (!body["hi"].is_number_unsigned() || body["hi"].get<unsigned>() < 1 || body["hi"].get<unsigned>() > 6) {
        throw ApiError{400, "\"hi\" must be 1..6"};
      }
      hi = static_cast<wire::HandoffIndicator>(body["hi"].get<unsigned>());
    }
    attach(link, mn, hi);
    drain();
    return Json{{"ok", true}};
  });
  api_.post("/detach", [this](const Json& body) {
    auto& link = link_arg(body);
    if (!link.mn) throw ApiError{409, "no MN attached on " + link.config.interface};
    detach(link, "operator request");
    return Json{{"ok", true}};
  });
  api_.post("/ifp", [this](const Json& body) {
    auto& link = link_arg(body);
    if (!body.contains("ifp") || !body["ifp"].is_number_unsigned() || body["ifp"].get<unsigned>() > 255) {
      throw ApiError{400, "missing or bad \"ifp\" (0..255)"};
    }
    if (body.contains("primary") && !body["primary"].is_boolean()) throw ApiError{400, "\"primary\" is true or false"};
    bool primary = body.value("primary", false);
    if (auto err = engine_.update_priority(clock_now(), link.id, body["ifp"].get<std::uint8_t>(), primary)) {
      throw ApiError{409, *err};
    }
    drain();
    return Json{{"ok", true}};
  });
  api_.get("/tunnels", [this](const Json&) -> Json {
    if (!forwarding_) return Json::array();
    return forwarding_->state()["tunnels"];
  });
  api_.get("/dataplane", [this](const Json&) -> Json {
    if (!forwarding_) return Json{{"executed", false}};
    return forwarding_->state();
  });
  api_.text("/metrics", [this] { return metrics_text(); });
}

}  // namespace pmipx::daemon
