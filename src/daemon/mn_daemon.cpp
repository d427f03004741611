#include "daemon/mn_daemon.hpp"

#include <net/if.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/overloaded.hpp"
#include "daemon/json_util.hpp"
#include "daemon/logging.hpp"
#include "daemon/mn_uplink_rules.hpp"
#include "wire/print.hpp"

namespace pmipx::daemon {
namespace {

const wire::Ipv6Address kAllRouters = *wire::Ipv6Address::parse("ff02::2");
const wire::Ipv6Address kUnspecified{};

wire::MacAddress48 read_mac(const std::string& name) {
  wire::MacAddress48 mac{};
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return mac;
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &req) == 0) std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, 6);
  ::close(fd);
  return mac;
}

// The agent owns addresses and default routes on managed interfaces; the kernel's SLAAC
// would install a second copy with its own lifetimes.
void disable_kernel_ra(const std::string& name, spdlog::logger& log) {
  std::string path = "/proc/sys/net/ipv6/conf/" + name + "/accept_ra";
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, "0\n", 2) == 2;
  if (fd >= 0 && ::close(fd) != 0) ok = false;
  if (!ok) log.warn("cannot turn off the kernel's RA processing on {} ({}): addresses may appear twice", name,
                    std::strerror(errno));
}

constexpr std::uint32_t kSourceTableBase = kMnTableBase;  // + ifindex: one routing table per interface
constexpr std::uint32_t kSourceRulePriority = kMnSourceRulePriority;
// Seed 003: packets from the primary HoA use their own table (the best interface's router,
// MTU - 24 when the egress program adds the destination option), chosen by a source rule
// after the uplink rules and before the per-address ones.
constexpr std::uint32_t kHoaTable = 3000;
constexpr std::uint32_t kHoaRulePriority = kMnSourceRulePriority - 1;
constexpr unsigned kHoaOptionOverhead = 24;  // Destination Options header with the option

const char* op_name(const core::MnDataplaneOp& op) {
  static constexpr const char* kNames[] = {"address_add",   "address_remove",     "default_route",
                                           "default_route_remove", "default_uplink", "uplink_rule_set",
                                           "uplink_rule_remove", "primary_hoa_egress_set",
                                           "primary_hoa_egress_remove", "routing_header_policy"};
  return kNames[op.index()];
}

}  // namespace

MnDaemon::MnDaemon(MnDaemonConfig config, std::string config_path)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      log_(make_logger("mn", config_.log)),
      agent_(config_.agent),
      nd_(io::RawSocket::icmpv6(wire::kIcmpRouterAdvertisement)),
      timer_(loop_.io(), [this] { on_timer(); }),
      rs_timer_(loop_.io()),
      api_(loop_, config_.api) {
  metrics_.describe("router_advertisements_total", "RAs received, by outcome");
  metrics_.describe("router_solicitations_total", "RSs sent");
  metrics_.describe("dataplane_ops_total", "address, route and rule changes, by kind");
  metrics_.describe("dataplane_errors_total", "changes the kernel refused or cannot express (uplink rules)");
  for (const auto& c : config_.interfaces) {
    auto state = io::link_state(c.interface);
    if (state.ifindex == 0) throw std::runtime_error("interface " + c.interface + ": no such interface");
    Interface i;
    i.config = c;
    i.ifindex = state.ifindex;
    i.running = state.running;
    i.mac = read_mac(c.interface);
    disable_kernel_ra(c.interface, *log_);
    ifaces_.emplace(i.ifindex, std::move(i));
  }
  if (config_.agent.primary_hoa && !ifaces_.empty()) {
    // The LMA builds the rewritten destination from the target interface's prefix and the
    // primary HoA's interface identifier (seed 003 §5: "as the MN does"): one IID for all.
    const Interface* source = &ifaces_.begin()->second;
    for (const auto& [idx, i] : ifaces_) {
      if (i.config.primary) source = &i;
    }
    core::MacAddress mac{};
    std::copy(source->mac.begin(), source->mac.end(), mac.begin());
    shared_iid_ = core::InterfaceIdentifier::from_mac(mac);
  }
  if (config_.dataplane.enabled) {
    hoa_ = std::make_unique<dataplane::MnHoaPlane>(dataplane::MnHoaPlane::Options{config_.dataplane.pin_dir});
    hoa_->set_option_type(config_.dataplane.hoa_option_type);
    for (const auto& [idx, i] : ifaces_) {
      hoa_->attach_ingress(static_cast<int>(idx));  // type 2 routing headers on downlink
      hoa_->attach_egress(static_cast<int>(idx));   // the primary HoA option on uplink
    }
    log_->info("data plane: primary-HoA tc programs on {} interfaces{}", ifaces_.size(),
               hoa_->reused_pinned_maps() ? " (pinned maps reused)" : "");
  }
  register_api();
}

MnDaemon::~MnDaemon() { api_.stop(); }

int MnDaemon::run() {
  loop_.on_error([this](const std::string& what) {
    log_->error("internal error while handling input: {}", what);
    metrics_.add("internal_errors_total");
  });
  loop_.watch(nd_.fd(), [this] { on_router_advertisement(); });
  loop_.watch(links_monitor_.fd(), [this] { on_link_events(); });
  api_.start();
  log_->info("MN {} up: {} interfaces, API http://{}:{}", config_.id.to_string(), ifaces_.size(), config_.api.address,
             config_.api.port);
  for (auto& [idx, i] : ifaces_) {
    if (i.running) bring_up(i);
  }
  clear_uplink_rules(true);  // before the agent's first UplinkRuleSet
  for (const auto& rc : config_.rules) install_rule(rc);
  drain();
  on_rs_timer(false);  // bring_up solicited already
  loop_.run();
  log_->info("MN stopping");
  api_.stop();
  // Rules lead into tables nobody maintains once the agent is gone: take them out.
  clear_uplink_rules(false);
  primary_hoa_.reset();
  sync_primary_hoa_route();
  while (!hoa_egress_.empty()) remove_primary_hoa_egress(hoa_egress_.begin()->first);
  if (hoa_) hoa_->detach_all();
  return 0;
}

void MnDaemon::set_ipv6_mtu(Interface& i, std::uint32_t mtu) {
  if (i.ipv6_mtu == mtu) return;
  std::string path = "/proc/sys/net/ipv6/conf/" + i.config.interface + "/mtu";
  std::string text = std::to_string(mtu) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0 && ::close(fd) != 0) ok = false;
  if (!ok) {
    log_->warn("cannot set the IPv6 MTU of {} to {}: {}", i.config.interface, mtu, std::strerror(errno));
    return;
  }
  i.ipv6_mtu = mtu;
  log_->info("IPv6 MTU of {} set to {} (from the RA)", i.config.interface, mtu);
}

void MnDaemon::install_rule(const MnRuleConfig& rc) {
  core::UplinkRule rule;
  rule.id = rc.id;
  rule.priority = rc.priority;
  rule.selector = rc.selector;
  if (!rc.interface.empty()) {
    unsigned ifindex = 0;
    for (const auto& [idx, i] : ifaces_) {
      if (i.config.interface == rc.interface) ifindex = idx;
    }
    rule.target = core::ToInterface{ifindex};
  } else {
    rule.target = core::ToLabels{rc.labels};
  }
  if (auto err = agent_.set_rule(clock_now(), rule)) log_->warn("uplink rule {} refused: {}", rc.id, *err);
}

void MnDaemon::bring_up(Interface& i) {
  core::InterfaceInfo info;
  info.id = i.ifindex;
  info.name = i.config.interface;
  info.att = i.config.att;
  info.label = i.config.label;
  info.link_layer = i.mac;
  info.iid = shared_iid_;
  info.ifp = i.config.ifp;
  if (auto err = agent_.interface_up(clock_now(), info)) {
    log_->warn("interface {} up refused: {}", i.config.interface, *err);
    return;
  }
  i.up_in_agent = true;
  i.router_heard = false;
  i.solicitations = 0;
  // P needs the interface's home address (per-interface addressing): until the first RA it
  // waits, and drain() gives it then, before another interface's address becomes primary.
  i.primary_pending = i.config.primary;
  solicit(i);
}

void MnDaemon::bring_down(Interface& i) {
  if (!i.up_in_agent) return;
  i.up_in_agent = false;
  if (auto err = agent_.interface_down(clock_now(), i.ifindex)) log_->warn("interface {} down: {}", i.config.interface, *err);
}

void MnDaemon::give_pending_primary() {
  auto addresses = agent_.addresses();
  for (auto& [idx, i] : ifaces_) {
    if (!i.primary_pending || !i.up_in_agent) continue;
    bool has_address = std::any_of(addresses.begin(), addresses.end(), [&](const auto& a) { return a.iface == idx; });
    if (!has_address && config_.agent.addressing == core::Addressing::kPerInterface) continue;
    i.primary_pending = false;
    if (auto err = agent_.set_priority(clock_now(), idx, i.config.ifp, true)) {
      log_->warn("interface {}: P refused: {}", i.config.interface, *err);
    }
  }
}

void MnDaemon::solicit(Interface& i) {
  wire::RouterSolicitation rs;
  rs.source_link_layer = i.mac;
  rs.preference = wire::InterfacePreference{i.config.ifp, i.config.primary, i.config.shared_prefixes};
  auto bytes = wire::encode_router_solicitation(rs);
  // RFC 4861 §6.3.7: from the link-local address once there is one; the kernel picks it.
  if (auto err = nd_.send(kUnspecified, kAllRouters, bytes, i.ifindex)) {
    log_->warn("tx RS on {}: {}", i.config.interface, *err);
    return;
  }
  ++i.solicitations;
  metrics_.add("router_solicitations_total", {{"interface", i.config.interface}});
  log_->info("tx RS on {} lla={} ifp={} P={} S={}", i.config.interface, wire::to_string(i.mac), i.config.ifp,
             i.config.primary, i.config.shared_prefixes);
}

void MnDaemon::on_rs_timer(bool solicit_now) {
  // Until a router answers, keep soliciting (RFC 4861 stops after 3; a PMIPv6 MAG answers
  // only once the LMA has, which may take longer on a lossy path).
  // Once answered, an interface still solicits every kKeepAliveSolicitations-th period, so
  // a MAG that restarted (and forgot the MN) learns it again before the router expires.
  ++rs_rounds_;
  for (auto& [idx, i] : ifaces_) {
    if (!solicit_now || !i.up_in_agent) continue;
    if (!i.router_heard || rs_rounds_ % kKeepAliveSolicitations == 0) solicit(i);
  }
  rs_timer_.expires_after(std::chrono::milliseconds(config_.rs_interval_ms));
  rs_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) on_rs_timer(true);
  });
}

MnDaemon::Interface* MnDaemon::by_ifindex(unsigned ifindex) {
  auto it = ifaces_.find(ifindex);
  return it == ifaces_.end() ? nullptr : &it->second;
}

void MnDaemon::on_router_advertisement() {
  while (auto d = nd_.receive()) {
    auto* i = by_ifindex(d->ifindex);
    if (!i || !i->up_in_agent) {
      metrics_.add("router_advertisements_total", {{"outcome", "unmanaged_interface"}});
      continue;
    }
    // RFC 4861 §6.1.2: link-local source, hop limit 255.
    if (d->hop_limit != 255 || !d->src.is_link_local()) {
      metrics_.add("router_advertisements_total", {{"outcome", "invalid"}});
      log_->warn("rx RA on {} from {}: hop limit {} or non-link-local source, dropped", i->config.interface,
                 d->src.to_string(), d->hop_limit);
      continue;
    }
    std::string why;
    auto ra = wire::decode_router_advertisement(d->payload, &why);
    if (!ra) {
      metrics_.add("router_advertisements_total", {{"outcome", "malformed"}});
      log_->warn("rx RA on {} from {}: malformed: {}", i->config.interface, d->src.to_string(), why);
      continue;
    }
    // RFC 4861 §6.3.4: the RA's MTU becomes the interface's IPv6 link MTU (a PMIPv6 MAG
    // advertises what fits its tunnel, so the MN never sends what the tunnel would fragment).
    if (ra->mtu && *ra->mtu >= 1280) set_ipv6_mtu(*i, *ra->mtu);
    core::ReceivedRouterAdvertisement r;
    r.iface = i->ifindex;
    r.router = d->src;
    r.router_lifetime_s = ra->router_lifetime_s;
    std::string prefixes;
    for (const auto& p : ra->prefixes) {
      r.prefixes.push_back(core::PrefixInfo{p.prefix, p.valid_lifetime_s, p.autonomous});
      prefixes += (prefixes.empty() ? "" : ",") + p.prefix.to_string() + "/valid=" + std::to_string(p.valid_lifetime_s);
    }
    log_->info("rx RA on {} from {}: router_lifetime={} prefixes={}", i->config.interface, d->src.to_string(),
               ra->router_lifetime_s, prefixes.empty() ? "none" : prefixes);
    // An RA that withdraws the router is not an answer to keep quiet on.
    i->router_heard = ra->router_lifetime_s != 0;
    if (auto err = agent_.handle_router_advertisement(clock_now(), r)) {
      metrics_.add("router_advertisements_total", {{"outcome", "refused"}});
      log_->warn("RA on {} refused: {}", i->config.interface, *err);
      continue;
    }
    metrics_.add("router_advertisements_total", {{"outcome", "accepted"}});
  }
  drain();
}

void MnDaemon::on_link_events() {
  for (const auto& ev : links_monitor_.read()) {
    auto* i = by_ifindex(ev.ifindex);
    if (!i) continue;
    bool now_up = ev.running && !ev.removed;
    if (now_up == i->running) continue;
    i->running = now_up;
    log_->info("interface {} {}", i->config.interface, now_up ? "up" : "down");
    if (now_up) {
      bring_up(*i);
    } else {
      bring_down(*i);
    }
  }
  drain();
}

void MnDaemon::on_timer() {
  agent_.handle_timeout(clock_now());
  drain();
}

void MnDaemon::drain() {
  while (auto hi = agent_.poll_transmit()) {
    // Seed 003 §6.2: the new IFP/P reach the MAG in an RS carrying the preference option.
    if (auto* i = by_ifindex(hi->iface)) {
      i->config.ifp = hi->ifp;
      i->config.primary = hi->primary;
      solicit(*i);
    }
  }
  while (auto op = agent_.poll_dataplane()) apply(*op);
  give_pending_primary();
  while (auto op = agent_.poll_dataplane()) apply(*op);
  sync_primary_hoa_route();
  while (auto e = agent_.poll_event()) {
    log_->info("event {} iface={} rule={} {}", core::to_string(e->kind), e->iface, e->rule, e->detail);
    // No router left on the interface: solicit again (a restarted MAG knows the MN only
    // from its RS).
    if (e->kind == core::MnEventKind::kRouterExpired) {
      if (auto* i = by_ifindex(e->iface)) i->router_heard = false;
    }
  }
  timer_.arm(agent_.poll_timeout());
}

void MnDaemon::apply(const core::MnDataplaneOp& op) {
  metrics_.add("dataplane_ops_total", {{"op", op_name(op)}});
  auto fail = [&](const std::optional<std::string>& err) {
    if (!err) return;
    log_->error("dataplane {}: {}", op_name(op), *err);
    metrics_.add("dataplane_errors_total", {{"op", op_name(op)}});
  };
  std::visit(core::Overloaded{
                 // A multihomed host must send a packet out of the interface whose prefix
                 // its source comes from, or that interface's MAG drops it: each address
                 // gets a source rule into its interface's table, whose default route
                 // leads to that interface's router (weak host, seed 002 §4.1).
                 [&](const core::mn_op::AddressAdd& o) {
                   fail(netlink_.address_add(o.iface, o.address));
                   fail(netlink_.rule_add(io::SourceRule{wire::Ipv6Prefix{o.address.address, 128},
                                                         kSourceTableBase + o.iface, kSourceRulePriority}));
                   log_->info("address {} on ifindex {}", o.address.to_string(), o.iface);
                 },
                 [&](const core::mn_op::AddressRemove& o) {
                   fail(netlink_.address_delete(o.iface, o.address));
                   fail(netlink_.rule_delete(io::SourceRule{wire::Ipv6Prefix{o.address.address, 128},
                                                            kSourceTableBase + o.iface, kSourceRulePriority}));
                   log_->info("address {} on ifindex {} removed", o.address.to_string(), o.iface);
                 },
                 [&](const core::mn_op::DefaultRoute& o) {
                   routers_[o.iface] = o.router;
                   fail(netlink_.route_replace(io::Route{wire::Ipv6Prefix{}, o.iface, o.router, o.metric, 254}));
                   fail(netlink_.route_replace(
                       io::Route{wire::Ipv6Prefix{}, o.iface, o.router, 1024, kSourceTableBase + o.iface}));
                   log_->info("default route via {} ifindex {} metric {}", o.router.to_string(), o.iface, o.metric);
                 },
                 [&](const core::mn_op::DefaultRouteRemove& o) {
                   routers_.erase(o.iface);
                   // Any metric: find the route by device.
                   fail(netlink_.route_delete(io::Route{wire::Ipv6Prefix{}, o.iface, std::nullopt, 0, 254}));
                   fail(netlink_.route_delete(
                       io::Route{wire::Ipv6Prefix{}, o.iface, std::nullopt, 0, kSourceTableBase + o.iface}));
                   log_->info("default route on ifindex {} removed", o.iface);
                 },
                 [&](const core::mn_op::UplinkRuleSet& o) { set_uplink_rule(o); },
                 [&](const core::mn_op::UplinkRuleRemove& o) { remove_uplink_rule(o.rule); },
                 // Nothing to install: the default uplink is the main table's lowest-metric
                 // default route, which DefaultRoute ops already set (best interface: base
                 // metric), and rules standing in for it (fallback) arrive as UplinkRuleSet
                 // naming its interface. Packets no rule matches follow the main table.
                 [&](const core::mn_op::DefaultUplink& o) {
                   uplink_ = o.iface;
                   log_->info("default uplink {}", o.iface ? iface_name(*o.iface) : std::string("none"));
                 },
                 [&](const core::mn_op::PrimaryHoaEgressSet& o) { set_primary_hoa_egress(o); },
                 [&](const core::mn_op::PrimaryHoaEgressRemove& o) { remove_primary_hoa_egress(o.iface); },
                 [&](const core::mn_op::RoutingHeaderPolicy& o) {
                   primary_hoa_ = o.primary_hoa;
                   if (!hoa_) {
                     log_->warn("routing header policy: no data plane (dataplane.mode none), RH2 packets are dropped");
                     return;
                   }
                   try {
                     hoa_->set_rh2_policy(o.primary_hoa, o.destinations);
                     log_->info("type 2 routing headers honored for {} to {} addresses",
                                o.primary_hoa ? o.primary_hoa->to_string() : std::string("nothing"),
                                o.destinations.size());
                   } catch (const std::exception& e) {
                     fail(std::string(e.what()));
                   }
                 },
             },
             op);
}

// Seed 003 §4.2: on egress of a non-primary interface the program turns a packet from the
// primary HoA into one from that interface's HoA carrying the primary HoA option.
void MnDaemon::set_primary_hoa_egress(const core::mn_op::PrimaryHoaEgressSet& o) {
  if (!hoa_) {
    log_->warn("primary HoA egress on {}: no data plane (dataplane.mode none)", iface_name(o.iface));
    return;
  }
  try {
    hoa_->set_egress(static_cast<int>(o.iface), o.primary_hoa, o.interface_hoa);
    hoa_egress_[o.iface] = o.primary_hoa;
    log_->info("primary HoA {} leaves {} as {} with the primary HoA option", o.primary_hoa.to_string(),
               iface_name(o.iface), o.interface_hoa.to_string());
  } catch (const std::exception& e) {
    log_->error("dataplane primary_hoa_egress_set: {}", e.what());
    metrics_.add("dataplane_errors_total", {{"op", "primary_hoa_egress_set"}});
  }
}

void MnDaemon::remove_primary_hoa_egress(unsigned ifindex) {
  if (!hoa_egress_.erase(ifindex) || !hoa_) return;
  try {
    hoa_->remove_egress(static_cast<int>(ifindex));
  } catch (const std::exception& e) {
    log_->error("dataplane primary_hoa_egress_remove: {}", e.what());
    metrics_.add("dataplane_errors_total", {{"op", "primary_hoa_egress_remove"}});
  }
}

// Seed 003 §4: the primary HoA's packets follow the best interface (the agent's default
// uplink, highest IFP first), not the interface the address sits on: a source rule before the
// per-address ones leads them into a table whose default route is that interface's router,
// with room for the 24-octet option when the egress program will add it.
void MnDaemon::sync_primary_hoa_route() {
  std::optional<PrimaryHoaRoute> want;
  if (hoa_ && primary_hoa_ && uplink_) {
    auto router = routers_.find(*uplink_);
    if (router != routers_.end()) {
      unsigned mtu = io::link_mtu(*uplink_);
      auto it = ifaces_.find(*uplink_);
      if (it != ifaces_.end() && it->second.ipv6_mtu) mtu = std::min<unsigned>(mtu, it->second.ipv6_mtu);
      if (hoa_egress_.count(*uplink_)) mtu = mtu > kHoaOptionOverhead ? mtu - kHoaOptionOverhead : 0;
      want = PrimaryHoaRoute{*primary_hoa_, *uplink_, router->second, mtu};
    }
  }
  if (want == hoa_route_) return;
  auto report = [&](const std::optional<std::string>& err) {
    if (!err) return;
    log_->error("dataplane primary_hoa_route: {}", *err);
    metrics_.add("dataplane_errors_total", {{"op", "primary_hoa_route"}});
  };
  if (want) {
    // Make before break: the new route, then the rule, then the old rule goes.
    report(netlink_.route_replace(io::Route{wire::Ipv6Prefix{}, want->iface, want->router, 1024, kHoaTable, want->mtu}));
    if (!hoa_route_ || hoa_route_->hoa != want->hoa) {
      report(netlink_.rule_add(io::SourceRule{wire::Ipv6Prefix{want->hoa, 128}, kHoaTable, kHoaRulePriority}));
    }
    if (hoa_route_ && hoa_route_->iface != want->iface) {
      report(netlink_.route_delete(io::Route{wire::Ipv6Prefix{}, hoa_route_->iface, std::nullopt, 1024, kHoaTable}));
    }
    log_->info("primary HoA {} leaves through {} (MTU {})", want->hoa.to_string(), iface_name(want->iface), want->mtu);
  }
  if (hoa_route_ && (!want || hoa_route_->hoa != want->hoa)) {
    report(netlink_.rule_delete(io::SourceRule{wire::Ipv6Prefix{hoa_route_->hoa, 128}, kHoaTable, kHoaRulePriority}));
  }
  if (hoa_route_ && !want) {
    report(netlink_.route_delete(io::Route{wire::Ipv6Prefix{}, hoa_route_->iface, std::nullopt, 1024, kHoaTable}));
    log_->info("primary HoA {} follows its own interface again", hoa_route_->hoa.to_string());
  }
  hoa_route_ = want;
}

std::string MnDaemon::iface_name(unsigned ifindex) const {
  auto it = ifaces_.find(ifindex);
  return it == ifaces_.end() ? "ifindex " + std::to_string(ifindex) : it->second.config.interface;
}

// Seed 001 §6 uplink policy: the rule's selector steers matching packets into the table of
// the interface the agent resolved; the table's default route leads to that interface's MAG.
// A socket without a bound source gets the outgoing interface's address (RFC 6724 rule 5), so
// that MAG accepts the packets.
void MnDaemon::set_uplink_rule(const core::mn_op::UplinkRuleSet& o) {
  const char* op = "uplink_rule_set";
  UplinkRuleState st;
  st.priority = o.priority;
  st.selector = o.selector;
  st.ifindex = o.iface;
  st.fallback = o.fallback;
  std::optional<io::PolicyRule> old;
  if (auto it = uplink_rules_.find(o.rule); it != uplink_rules_.end() && it->second.installed) old = it->second.kernel;

  auto translated = to_kernel_rule(o.selector, o.priority, o.iface);
  if (const auto* why = std::get_if<std::string>(&translated)) {
    st.error = "refused: " + *why;
    log_->error("uplink rule {} (priority {}, selector {}) -> FAIL {}", o.rule, o.priority,
                wire::selector_json(o.selector).dump(), *why);
    metrics_.add("dataplane_errors_total", {{"op", op}});
  } else {
    auto& t = std::get<UplinkKernelRule>(translated);
    st.kernel = t.rule;
    st.caveats = t.caveats;
    for (const auto& c : t.caveats) log_->warn("uplink rule {}: {}", o.rule, c);
    if (old && *old == t.rule) {
      st.installed = true;  // unchanged in the kernel (e.g. only `fallback` changed)
    } else if (auto err = netlink_.rule_add(t.rule)) {
      st.error = *err;
      log_->error("uplink rule {} -> FAIL {}", o.rule, *err);
      metrics_.add("dataplane_errors_total", {{"op", op}});
    } else {
      st.installed = true;
    }
  }
  // Make before break: the new rule goes in first. Both have the rule's priority and the
  // kernel keeps the older first among equals, so the flow never falls through to the default
  // uplink in between. A refused or failed new rule still takes the old one out: its target
  // or selector is no longer what the agent wants.
  if (old && !(st.installed && *old == *st.kernel)) {
    if (auto err = netlink_.rule_delete(*old)) {
      log_->error("uplink rule {}: removing the previous kernel rule -> FAIL {}", o.rule, *err);
      metrics_.add("dataplane_errors_total", {{"op", op}});
    }
  }
  if (st.installed) {
    log_->info("uplink rule {} via {}{}: {}", o.rule, iface_name(o.iface), o.fallback ? " (fallback)" : "",
               io::describe(*st.kernel));
  }
  uplink_rules_[o.rule] = std::move(st);
}

void MnDaemon::remove_uplink_rule(std::uint32_t id) {
  auto it = uplink_rules_.find(id);
  if (it == uplink_rules_.end()) return;
  if (it->second.installed) {
    if (auto err = netlink_.rule_delete(*it->second.kernel)) {
      log_->error("uplink rule {} removal -> FAIL {}", id, *err);
      metrics_.add("dataplane_errors_total", {{"op", "uplink_rule_remove"}});
    } else {
      log_->info("uplink rule {} removed: {}", id, io::describe(*it->second.kernel));
    }
  }
  uplink_rules_.erase(it);
}

// leftovers_only: the kernel's uplink-shaped rules into a managed interface's table (an
// earlier run that died kept them); otherwise the rules this run installed.
void MnDaemon::clear_uplink_rules(bool leftovers_only) {
  if (!leftovers_only) {
    while (!uplink_rules_.empty()) remove_uplink_rule(uplink_rules_.begin()->first);
    return;
  }
  auto rules = netlink_.rule_list();
  if (!rules) {
    log_->warn("cannot list the kernel's rules: uplink rules of an earlier run may remain");
    return;
  }
  for (const auto& r : *rules) {
    if (!is_uplink_rule(r) || !ifaces_.count(r.table - kMnTableBase)) continue;
    if (auto err = netlink_.rule_delete(r)) {
      log_->warn("leftover uplink rule {}: {}", io::describe(r), *err);
    } else {
      log_->info("leftover uplink rule removed: {}", io::describe(r));
    }
  }
}

Json MnDaemon::rules_json() {
  auto kernel = netlink_.rule_list();
  Json out = Json::array();
  for (const auto& [id, st] : uplink_rules_) {
    Json j;
    j["id"] = id;
    j["priority"] = st.priority;
    j["interface"] = iface_name(st.ifindex);
    j["ifindex"] = st.ifindex;
    j["fallback"] = st.fallback;
    j["selector"] = wire::selector_json(st.selector);
    j["state"] = st.installed ? "installed" : (st.kernel ? "failed" : "refused");
    if (!st.error.empty()) j["error"] = st.error;
    if (st.kernel) {
      j["kernel"] = io::describe(*st.kernel);
      j["kernel_priority"] = st.kernel->priority;
      j["table"] = st.kernel->table;
    }
    // What the kernel holds now (a dump), not what this daemon believes it installed.
    if (kernel && st.kernel) {
      j["in_kernel"] = std::find(kernel->begin(), kernel->end(), *st.kernel) != kernel->end();
    }
    if (!st.caveats.empty()) j["caveats"] = st.caveats;
    out.push_back(std::move(j));
  }
  return out;
}

Json MnDaemon::interfaces_json() const {
  Json out = Json::array();
  auto addresses = agent_.addresses();
  for (const auto& [idx, i] : ifaces_) {
    Json j;
    j["interface"] = i.config.interface;
    j["ifindex"] = i.ifindex;
    j["running"] = i.running;
    j["att"] = att_name(i.config.att);
    j["link_layer"] = wire::to_string(i.mac);
    j["ifp"] = i.config.ifp;
    j["primary"] = i.config.primary;
    j["router_heard"] = i.router_heard;
    Json addrs = Json::array();
    for (const auto& a : addresses) {
      if (a.iface == i.ifindex) addrs.push_back(a.address.to_string());
    }
    j["addresses"] = addrs;
    out.push_back(std::move(j));
  }
  return out;
}

MnDaemon::Interface& MnDaemon::iface_arg(const Json& body) {
  if (!body.contains("interface") || !body["interface"].is_string()) throw ApiError{400, "missing \"interface\""};
  auto name = body["interface"].get<std::string>();
  for (auto& [idx, i] : ifaces_) {
    if (i.config.interface == name) return i;
  }
  throw ApiError{404, "no managed interface " + name};
}

void MnDaemon::register_api() {
  api_.get("/health", [](const Json&) { return Json{{"role", "mn"}, {"ok", true}}; });
  api_.get("/interfaces", [this](const Json&) { return interfaces_json(); });
  api_.get("/rules", [this](const Json&) { return rules_json(); });
  api_.get("/dataplane", [this](const Json&) {
    if (!hoa_) return Json{{"executed", false}};
    Json stats = Json::object();
    auto s = hoa_->stats();
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (s[k]) stats[dataplane::mn_stat_name(static_cast<pmipx_mn_stat>(k))] = s[k];
    }
    Json egress = Json::array();
    for (const auto& [idx, hoa] : hoa_egress_) {
      egress.push_back({{"interface", iface_name(idx)}, {"primary_hoa", hoa.to_string()}});
    }
    Json route = nullptr;
    if (hoa_route_) {
      route = Json{{"primary_hoa", hoa_route_->hoa.to_string()}, {"interface", iface_name(hoa_route_->iface)},
                   {"router", hoa_route_->router.to_string()}, {"mtu", hoa_route_->mtu}};
    }
    return Json{{"executed", true}, {"primary_hoa_route", route}, {"primary_hoa_egress", egress}, {"stats", stats}};
  });
  api_.get("/counters", [this](const Json&) {
    const auto& c = agent_.counters();
    return Json{{"ras_received", c.ras_received},     {"prefixes_ignored", c.prefixes_ignored},
                {"addresses_added", c.addresses_added}, {"addresses_removed", c.addresses_removed},
                {"handover_indications", c.handover_indications}, {"commands_rejected", c.commands_rejected}};
  });
  api_.post("/ifp", [this](const Json& body) {
    auto& i = iface_arg(body);
    if (!body.contains("ifp") || !body["ifp"].is_number_unsigned() || body["ifp"].get<unsigned>() > 255) {
      throw ApiError{400, "missing or bad \"ifp\" (0..255)"};
    }
    std::optional<bool> primary;
    if (body.contains("primary")) {
      if (!body["primary"].is_boolean()) throw ApiError{400, "\"primary\" is true or false"};
      primary = body["primary"].get<bool>();
    }
    if (auto err = agent_.set_priority(clock_now(), i.ifindex, body["ifp"].get<std::uint8_t>(), primary)) {
      throw ApiError{409, *err};
    }
    i.config.ifp = body["ifp"].get<std::uint8_t>();
    if (primary) i.config.primary = *primary;
    drain();
    // With the primary-HoA scheme the agent asks for the indication itself (drain); without
    // it the MAG still learns the new IFP, which orders BIDs at the LMA (seed 003 §6.2).
    if (!agent_.config().primary_hoa && i.up_in_agent) solicit(i);
    return Json{{"ok", true}};
  });
  api_.text("/metrics", [this] { return metrics_.render(); });
}

}  // namespace pmipx::daemon
