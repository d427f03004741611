#include "core/mn/mn_agent.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace pmipx::core {

namespace {

// RFC 4861 §4.6.2: bits after the prefix length are ignored by the receiver.
wire::Ipv6Prefix masked(wire::Ipv6Prefix p) {
  for (unsigned bit = p.length; bit < 128; ++bit) {
    p.address.octets[bit / 8] = static_cast<std::uint8_t>(p.address.octets[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  return p;
}

std::string opt_iface(const std::optional<IfaceId>& i) { return i ? std::to_string(*i) : std::string("none"); }
std::string opt_addr(const std::optional<wire::Ipv6Address>& a) { return a ? a->to_string() : std::string("none"); }

}  // namespace

MnAgent::MnAgent(MnAgentConfig config) : config_(std::move(config)), logical_iid_(config_.logical_iid) {}

void MnAgent::event(MnEventKind kind, IfaceId iface, std::uint32_t rule, std::string detail) {
  events_.push_back(MnEvent{kind, iface, rule, std::move(detail)});
}

// STYLE.md §9: "op(args) -> FAIL reason" in the event, the bare reason to the caller.
std::optional<std::string> MnAgent::reject(const std::string& op, std::string why, IfaceId iface,
                                           std::uint32_t rule) {
  ++counters_.commands_rejected;
  event(MnEventKind::kCommandRejected, iface, rule, fmt::format("{} -> FAIL {}", op, why));
  return why;
}

MnAgent::Interface* MnAgent::find(IfaceId id) {
  auto it = ifaces_.find(id);
  return it == ifaces_.end() ? nullptr : &it->second;
}

std::string MnAgent::name_of(IfaceId id) const {
  if (id == kLogicalInterface) return "logical";
  auto it = ifaces_.find(id);
  return it == ifaces_.end() ? std::to_string(id) : it->second.info.name;
}

// Timers first, so every input sees the state `now` implies. A second call does nothing.
void MnAgent::catch_up(const Now& now) {
  bool changed = false;
  while (auto key = timers_.pop_due(now.mono)) {
    auto* i = find(key->iface);
    if (!i) continue;
    if (key->kind == TimerKind::kPrefix) {
      if (i->prefixes.erase(key->prefix) == 0) continue;
      ++counters_.prefixes_expired;
      event(MnEventKind::kPrefixExpired, key->iface, 0, key->prefix.to_string());
    } else {
      if (!i->router) continue;
      ++counters_.routers_expired;
      event(MnEventKind::kRouterExpired, key->iface, 0, i->router->to_string());
      i->router.reset();
    }
    changed = true;
  }
  if (changed) reconcile();
}

void MnAgent::handle_timeout(const Now& now) { catch_up(now); }

std::optional<std::string> MnAgent::interface_up(const Now& now, const InterfaceInfo& info) {
  catch_up(now);
  auto op = fmt::format("interface-up({}, {})", info.id, info.name);
  if (info.id == kLogicalInterface) return reject(op, "interface id 0 names the logical interface");
  if (info.name.empty()) return reject(op, "blank interface name", info.id);
  if (auto* known = find(info.id); known && known->up) {
    return reject(op, fmt::format("interface {} is already up", info.id), info.id);
  }
  for (const auto& [id, other] : ifaces_) {
    if (id != info.id && other.up && other.info.name == info.name) {
      return reject(op, fmt::format("name {} belongs to up interface {}", info.name, id), info.id);
    }
  }
  if (!info.iid && !info.link_layer) {
    return reject(op, "neither an interface identifier nor a link-layer address to derive one from", info.id);
  }
  InterfaceIdentifier iid = info.iid ? *info.iid : InterfaceIdentifier::from_mac(*info.link_layer);
  if (iid.is_zero()) return reject(op, "interface identifier 0 is the subnet-router anycast (RFC 4291 §2.6.1)", info.id);

  Interface& i = ifaces_[info.id];
  i = Interface{};
  i.info = info;
  i.up = true;
  i.ifp = info.ifp;
  i.iid = iid;
  if (!logical_iid_) logical_iid_ = iid;
  event(MnEventKind::kInterfaceUp, info.id, 0,
        fmt::format("{} att={} label={} ifp={} iid={}", info.name, static_cast<unsigned>(info.att),
                    info.label.value_or("-"), info.ifp, iid.to_string()));
  reconcile();
  return std::nullopt;
}

void MnAgent::forget_learned(Interface& i) {
  timers_.cancel(TimerKey{TimerKind::kRouter, i.info.id, {}});
  for (const auto& [prefix, p] : i.prefixes) timers_.cancel(TimerKey{TimerKind::kPrefix, i.info.id, prefix});
  i.router.reset();
  i.prefixes.clear();
}

std::optional<std::string> MnAgent::interface_down(const Now& now, IfaceId id) {
  catch_up(now);
  auto op = fmt::format("interface-down({})", id);
  auto* i = find(id);
  if (!i) return reject(op, fmt::format("unknown interface {}", id), id);
  if (!i->up) return reject(op, fmt::format("interface {} is already down", id), id);
  forget_learned(*i);
  i->up = false;
  i->indicated.reset();
  event(MnEventKind::kInterfaceDown, id, 0, i->info.name);
  reconcile();
  return std::nullopt;
}

std::optional<std::string> MnAgent::handle_router_advertisement(const Now& now, const ReceivedRouterAdvertisement& ra) {
  catch_up(now);
  auto op = fmt::format("router-advertisement({}, {})", ra.iface, ra.router.to_string());
  auto* i = find(ra.iface);
  if (!i) return reject(op, fmt::format("unknown interface {}", ra.iface), ra.iface);
  if (!i->up) return reject(op, fmt::format("interface {} is down", ra.iface), ra.iface);
  // RFC 4861 §6.1.2: an RA's source is the router's link-local address.
  if (!ra.router.is_link_local()) return reject(op, "router address is not link-local", ra.iface);

  ++counters_.ras_received;
  TimerKey router_key{TimerKind::kRouter, ra.iface, {}};
  if (ra.router_lifetime_s == 0) {
    i->router.reset();
    timers_.cancel(router_key);
  } else {
    i->router = ra.router;
    timers_.arm(router_key, now.mono + seconds(ra.router_lifetime_s));
  }
  for (const auto& p : ra.prefixes) accept_prefix(now, *i, p);
  reconcile();
  return std::nullopt;
}

// RFC 4862 §5.5.3 for one Prefix Information option.
void MnAgent::accept_prefix(const Now& now, Interface& i, const PrefixInfo& info) {
  const wire::Ipv6Prefix prefix = masked(info.prefix);
  const IfaceId id = i.info.id;
  auto ignore = [&](const char* why) {
    ++counters_.prefixes_ignored;
    event(MnEventKind::kPrefixIgnored, id, 0, fmt::format("{}: {}", prefix.to_string(), why));
  };
  if (!info.autonomous) return ignore("A flag clear");
  if (prefix.address.is_link_local()) return ignore("link-local prefix");
  if (prefix.address.is_multicast()) return ignore("multicast prefix");
  if (prefix.length != 64) return ignore("SLAAC needs a /64 for a 64-bit interface identifier");

  TimerKey key{TimerKind::kPrefix, id, prefix};
  if (info.valid_lifetime_s == 0) {
    i.prefixes.erase(prefix);
    timers_.cancel(key);
    return;
  }
  if (!i.prefixes.count(prefix) && config_.addressing == Addressing::kPerInterface) {
    // The same prefix and IID elsewhere would give the same address twice: the interface
    // that has it keeps it (a DAD failure in effect, RFC 4862 §5.4.5).
    for (const auto& [other_id, other] : ifaces_) {
      if (other_id != id && other.up && other.iid == i.iid && other.prefixes.count(prefix)) {
        ++counters_.address_conflicts;
        event(MnEventKind::kAddressConflict, id, 0,
              fmt::format("{} already on {}", slaac_address(prefix, i.iid).to_string(), other.info.name));
        return;
      }
    }
  }
  auto [it, fresh] = i.prefixes.try_emplace(prefix);
  if (fresh) it->second.learned = ++seq_;
  if (info.valid_lifetime_s == kInfiniteLifetime) {
    timers_.cancel(key);
  } else {
    timers_.arm(key, now.mono + seconds(info.valid_lifetime_s));
  }
}

std::optional<std::string> MnAgent::set_rule(const Now& now, UplinkRule rule) {
  catch_up(now);
  auto op = fmt::format("set-rule({}, pri={}, {})", rule.id, rule.priority, describe(rule.target));
  if (const auto* t = std::get_if<ToInterface>(&rule.target)) {
    if (t->iface == kLogicalInterface) {
      return reject(op, "rules name physical interfaces, not the logical one", 0, rule.id);
    }
    if (!find(t->iface)) return reject(op, fmt::format("unknown interface {}", t->iface), t->iface, rule.id);
  }
  const std::uint32_t id = rule.id;
  if (auto e = rules_.upsert(std::move(rule))) return reject(op, *e, 0, id);
  reconcile();
  return std::nullopt;
}

std::optional<std::string> MnAgent::remove_rule(const Now& now, std::uint32_t id) {
  catch_up(now);
  if (!rules_.remove(id)) return reject(fmt::format("remove-rule({})", id), fmt::format("unknown rule {}", id), 0, id);
  reconcile();
  return std::nullopt;
}

std::optional<std::string> MnAgent::set_priority(const Now& now, IfaceId id, std::uint8_t ifp,
                                                 std::optional<bool> primary) {
  catch_up(now);
  auto op = fmt::format("set-priority({}, ifp={}, p={})", id, ifp,
                        primary ? (*primary ? "1" : "0") : "unchanged");
  auto* i = find(id);
  if (!i) return reject(op, fmt::format("unknown interface {}", id), id);
  if (!i->up) return reject(op, fmt::format("interface {} is down", id), id);
  std::optional<wire::Ipv6Address> new_primary;
  if (primary) {
    if (!config_.primary_hoa) return reject(op, "the primary-HoA scheme is disabled: P means nothing", id);
    bool holds = primary_iface_ == id;
    if (!*primary && holds) {
      return reject(op, "this interface holds the primary HoA: give P to another interface instead", id);
    }
    if (*primary && !holds) {
      if (config_.addressing == Addressing::kPerInterface) {
        new_primary = interface_hoa(id);
        if (!new_primary) return reject(op, "the interface has no home address yet", id);
      } else if (!primary_hoa_ || !advertises(*i, *primary_hoa_)) {
        return reject(op, "the interface does not advertise the primary HoA's prefix", id);
      }
    }
  }
  i->ifp = ifp;
  if (primary && *primary && primary_iface_ != id) {
    if (new_primary) primary_hoa_ = new_primary;
    primary_pin_ = id;
  }
  reconcile();
  return std::nullopt;
}

bool MnAgent::advertises(const Interface& i, const wire::Ipv6Address& a) const {
  return std::any_of(i.prefixes.begin(), i.prefixes.end(), [&](const auto& kv) { return kv.first.contains(a); });
}

std::optional<wire::Ipv6Address> MnAgent::interface_hoa(IfaceId id) const {
  std::optional<wire::Ipv6Address> best;
  std::uint64_t order = 0;
  for (const auto& [key, inst] : addresses_) {
    if (key.first == id && (!best || inst.order < order)) {
      best = key.second;
      order = inst.order;
    }
  }
  return best;
}

// The whole desired state from interfaces, prefixes and rules, diffed against the shadow.
void MnAgent::reconcile() {
  std::vector<MnDataplaneOp> adds, removes, policy;
  reconcile_addresses(adds, removes);
  choose_primary();

  auto ranked = ranked_usable();
  std::map<IfaceId, mn_op::DefaultRoute> routes;
  for (std::size_t rank = 0; rank < ranked.size(); ++rank) {
    IfaceId id = ranked[rank];
    routes[id] = mn_op::DefaultRoute{id, *ifaces_.at(id).router,
                                     config_.route_metric_base + static_cast<std::uint32_t>(rank)};
  }
  std::vector<mn_op::DefaultRoute> route_sets;
  for (const auto& [id, r] : routes) {
    auto it = routes_.find(id);
    if (it == routes_.end() || !(it->second == r)) route_sets.push_back(r);
  }
  std::sort(route_sets.begin(), route_sets.end(), [](const auto& a, const auto& b) { return a.metric < b.metric; });
  for (auto& r : route_sets) adds.emplace_back(r);
  std::vector<MnDataplaneOp> route_removes;  // before the address removals
  for (const auto& [id, r] : routes_) {
    if (!routes.count(id)) route_removes.emplace_back(mn_op::DefaultRouteRemove{id});
  }
  routes_ = std::move(routes);

  std::optional<IfaceId> uplink;
  if (!ranked.empty()) uplink = ranked.front();
  if (uplink != default_uplink_) {
    ++counters_.default_uplink_changes;
    event(MnEventKind::kDefaultUplinkChanged, uplink.value_or(0), 0,
          fmt::format("{} -> {}", opt_iface(default_uplink_), opt_iface(uplink)));
    default_uplink_ = uplink;
    policy.emplace_back(mn_op::DefaultUplink{uplink});
  }

  reconcile_rules(ranked, policy);
  if (config_.primary_hoa) reconcile_primary_hoa(policy);

  for (auto* batch : {&adds, &policy, &route_removes, &removes}) {
    for (auto& op : *batch) dataplane_.push_back(std::move(op));
  }
  if (config_.primary_hoa) indicate_priorities();
}

void MnAgent::reconcile_addresses(std::vector<MnDataplaneOp>& adds, std::vector<MnDataplaneOp>& removes) {
  struct Want {
    std::uint8_t length;
    std::uint64_t learned;
  };
  std::map<AddressKey, Want> want;
  for (const auto& [id, i] : ifaces_) {
    if (!i.up) continue;
    for (const auto& [prefix, p] : i.prefixes) {
      bool logical = config_.addressing == Addressing::kLogical;
      AddressKey key{logical ? kLogicalInterface : id, slaac_address(prefix, logical ? *logical_iid_ : i.iid)};
      auto [it, fresh] = want.try_emplace(key, Want{prefix.length, p.learned});
      if (!fresh) it->second.learned = std::min(it->second.learned, p.learned);  // logical: first advertiser
    }
  }
  // Removals: the data plane drops them last, after nothing points at them any more.
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    wire::Ipv6Prefix a{it->first.second, it->second.length};
    removes.emplace_back(mn_op::AddressRemove{it->first.first, a});
    ++counters_.addresses_removed;
    event(MnEventKind::kAddressRemoved, it->first.first, 0, a.to_string());
    it = addresses_.erase(it);
  }
  // Additions in advertisement order, so "first configured" (seed 003 §2.1) is well defined.
  std::vector<std::pair<AddressKey, Want>> fresh;
  for (const auto& kv : want) {
    if (!addresses_.count(kv.first)) fresh.push_back(kv);
  }
  std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.learned, a.first) < std::tie(b.second.learned, b.first);
  });
  for (const auto& [key, w] : fresh) {
    addresses_[key] = Installed{w.length, ++seq_};
    wire::Ipv6Prefix a{key.second, w.length};
    adds.emplace_back(mn_op::AddressAdd{key.first, a});
    ++counters_.addresses_added;
    event(MnEventKind::kAddressAdded, key.first, 0, fmt::format("{} on {}", a.to_string(), name_of(key.first)));
  }
}

// Seed 003 §2.1: the first HoA configured is the primary HoA. It stays while configured;
// then the oldest remaining address takes over (an explicit P moves it, see set_priority).
void MnAgent::choose_primary() {
  if (primary_hoa_ && !std::any_of(addresses_.begin(), addresses_.end(),
                                   [&](const auto& kv) { return kv.first.second == *primary_hoa_; })) {
    primary_hoa_.reset();
  }
  if (!primary_hoa_ && !addresses_.empty()) {
    auto oldest = std::min_element(addresses_.begin(), addresses_.end(),
                                   [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
    primary_hoa_ = oldest->first.second;
  }
  if (primary_hoa_ != announced_primary_hoa_) {
    event(MnEventKind::kPrimaryHoaChanged, 0, 0,
          fmt::format("{} -> {}", opt_addr(announced_primary_hoa_), opt_addr(primary_hoa_)));
    announced_primary_hoa_ = primary_hoa_;
  }

  primary_iface_.reset();
  if (!primary_hoa_) return;
  if (config_.addressing == Addressing::kPerInterface) {
    for (const auto& kv : addresses_) {
      if (kv.first.second == *primary_hoa_) primary_iface_ = kv.first.first;
    }
    primary_pin_ = primary_iface_;
    return;
  }
  // Logical: every interface carries the address; P marks the pinned one while it advertises
  // the prefix, else the interface that advertised it first (seed 003 §5.3, Figure 7).
  if (primary_pin_) {
    auto it = ifaces_.find(*primary_pin_);
    if (it != ifaces_.end() && it->second.up && advertises(it->second, *primary_hoa_)) {
      primary_iface_ = primary_pin_;
      return;
    }
  }
  std::uint64_t first = 0;
  for (const auto& [id, i] : ifaces_) {
    if (!i.up) continue;
    for (const auto& [prefix, p] : i.prefixes) {
      if (prefix.contains(*primary_hoa_) && (!primary_iface_ || p.learned < first)) {
        primary_iface_ = id;
        first = p.learned;
      }
    }
  }
  primary_pin_ = primary_iface_;
}

// Usable interfaces (up, with a default router), best first: highest IFP (seed 003 §3), then
// the primary HoA's interface (its packets need no option), then the lowest id.
std::vector<IfaceId> MnAgent::ranked_usable() const {
  std::vector<IfaceId> out;
  for (const auto& [id, i] : ifaces_) {
    if (i.up && i.router) out.push_back(id);
  }
  auto key = [this](IfaceId id) {
    return std::make_tuple(-static_cast<int>(ifaces_.at(id).ifp), primary_iface_ == id ? 0 : 1, id);
  };
  std::sort(out.begin(), out.end(), [&](IfaceId a, IfaceId b) { return key(a) < key(b); });
  return out;
}

std::optional<RuleResolution> MnAgent::resolve(const UplinkRule& r, const std::vector<IfaceId>& ranked) const {
  if (const auto* t = std::get_if<ToInterface>(&r.target)) {
    if (std::find(ranked.begin(), ranked.end(), t->iface) != ranked.end()) return RuleResolution{t->iface, false};
  } else {
    // RFC 8278 §4.1: the first label with an available interface; the best one carrying it.
    for (const auto& label : std::get<ToLabels>(r.target).labels) {
      for (IfaceId id : ranked) {
        if (ifaces_.at(id).info.label == label) return RuleResolution{id, false};
      }
    }
  }
  if (!ranked.empty()) return RuleResolution{ranked.front(), true};
  return std::nullopt;
}

void MnAgent::reconcile_rules(const std::vector<IfaceId>& ranked, std::vector<MnDataplaneOp>& ops) {
  for (auto it = installed_rules_.begin(); it != installed_rules_.end();) {
    if (rules_.find(it->first)) {
      ++it;
      continue;
    }
    ops.emplace_back(mn_op::UplinkRuleRemove{it->first});
    it = installed_rules_.erase(it);
  }
  std::erase_if(suspended_, [this](std::uint32_t id) { return rules_.find(id) == nullptr; });

  for (const UplinkRule* r : rules_.in_priority_order()) {
    auto res = resolve(*r, ranked);
    auto installed = installed_rules_.find(r->id);
    if (!res) {
      if (installed != installed_rules_.end()) {
        ops.emplace_back(mn_op::UplinkRuleRemove{r->id});
        installed_rules_.erase(installed);
      }
      if (suspended_.insert(r->id).second) {
        ++counters_.rule_suspensions;
        event(MnEventKind::kRuleSuspended, 0, r->id, "no usable interface");
      }
      continue;
    }
    suspended_.erase(r->id);
    mn_op::UplinkRuleSet set{r->id, r->priority, r->selector, *res->iface, res->fallback};
    if (installed != installed_rules_.end() && installed->second == set) continue;
    bool moved = installed == installed_rules_.end() || installed->second.iface != set.iface ||
                 installed->second.fallback != set.fallback;
    if (moved) {
      event(MnEventKind::kRuleResolved, set.iface, r->id,
            fmt::format("{} -> {}{}", describe(r->target), name_of(set.iface),
                        set.fallback ? " (fallback: default uplink)" : ""));
    }
    ++counters_.rule_updates;
    installed_rules_[r->id] = set;
    ops.emplace_back(std::move(set));
  }
}

void MnAgent::reconcile_primary_hoa(std::vector<MnDataplaneOp>& ops) {
  // Egress option rules: per-interface addressing only; with one shared address there is
  // nothing to restore (seed 003 §5.3: "the address option and routing header are not needed").
  std::map<IfaceId, mn_op::PrimaryHoaEgressSet> egress;
  if (primary_hoa_ && config_.addressing == Addressing::kPerInterface) {
    for (const auto& [id, i] : ifaces_) {
      if (!i.up || primary_iface_ == id) continue;
      if (auto hoa = interface_hoa(id)) egress[id] = mn_op::PrimaryHoaEgressSet{id, *primary_hoa_, *hoa};
    }
  }
  for (const auto& [id, e] : egress_) {
    if (!egress.count(id)) ops.emplace_back(mn_op::PrimaryHoaEgressRemove{id});
  }
  for (const auto& [id, e] : egress) {
    auto it = egress_.find(id);
    if (it == egress_.end() || !(it->second == e)) ops.emplace_back(e);
  }
  egress_ = std::move(egress);

  mn_op::RoutingHeaderPolicy rh2;
  if (primary_hoa_) {
    rh2.primary_hoa = primary_hoa_;
    for (const auto& kv : addresses_) rh2.destinations.push_back(kv.first.second);
    std::sort(rh2.destinations.begin(), rh2.destinations.end());
    rh2.destinations.erase(std::unique(rh2.destinations.begin(), rh2.destinations.end()), rh2.destinations.end());
  }
  if (!(rh2 == rh2_)) {
    rh2_ = rh2;
    ops.emplace_back(std::move(rh2));
  }
}

// Seed 003 §3/§6.2: the MAG of each interface learns its IFP and P whenever they change.
void MnAgent::indicate_priorities() {
  for (auto& [id, i] : ifaces_) {
    if (!i.up) continue;
    HandoverIndication hi{id, i.ifp, primary_iface_ == id};
    if (i.indicated == hi) continue;
    i.indicated = hi;
    transmits_.push_back(hi);
    ++counters_.handover_indications;
    event(MnEventKind::kHandoverIndicated, id, 0, fmt::format("{} ifp={} p={}", i.info.name, hi.ifp, hi.primary ? 1 : 0));
  }
}

std::vector<MnAddress> MnAgent::addresses() const {
  std::vector<std::pair<std::uint64_t, MnAddress>> v;
  for (const auto& [key, inst] : addresses_) v.push_back({inst.order, MnAddress{key.first, {key.second, inst.length}}});
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<MnAddress> out;
  for (auto& [order, a] : v) out.push_back(a);
  return out;
}

std::optional<RuleResolution> MnAgent::resolution(std::uint32_t rule) const {
  if (!rules_.find(rule)) return std::nullopt;
  auto it = installed_rules_.find(rule);
  if (it == installed_rules_.end()) return RuleResolution{};
  return RuleResolution{it->second.iface, it->second.fallback};
}

bool MnAgent::honors_routing_header(const wire::Ipv6Address& destination, const wire::Ipv6Address& home) const {
  if (!config_.primary_hoa || !rh2_.primary_hoa || home != *rh2_.primary_hoa) return false;
  return std::binary_search(rh2_.destinations.begin(), rh2_.destinations.end(), destination);
}

}  // namespace pmipx::core
