#include "core/mag/mag_engine.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pmipx::core {

using wire::BaStatus;
using wire::HandoffIndicator;

wire::HandoffIndicator MagEngine::reregistration_hi(wire::HandoffIndicator attach_hi) {
  if (attach_hi == HandoffIndicator::kNewInterface || attach_hi == HandoffIndicator::kNewInterfaceSharingPrefixes) {
    return attach_hi;
  }
  return HandoffIndicator::kNotChanged;
}

MagEngine::MagEngine(MagConfig config) : config_(std::move(config)), wan_up_(wan_count(), true) {}

WanLink MagEngine::wan(PathIndex path) const {
  if (config_.wan_links.empty()) return WanLink{config_.proxy_coa, wire::AccessTech::kEthernet, 0};
  return config_.wan_links.at(path);
}

void MagEngine::event(EventKind kind, const BindingUpdateListEntry* e, std::uint32_t status, std::string detail) {
  events_.push_back(Event{kind, e ? e->mn_id.to_string() : std::string{}, e ? e->link : 0u, status,
                          std::move(detail)});
}

// PROTOCOL.md §8.3.
void MagEngine::attach(const Now& now, const Attachment& a) {
  if (auto* old = bul_.find(a.link)) {
    if (old->mn_id == a.mn_id && old->state != BuleState::kRejected && old->state != BuleState::kDeregistering) {
      return;  // already serving it
    }
    for (auto* p : bul_.paths(a.link)) remove(*p, EventKind::kMnDetached, "replaced by a new attachment on the link");
  }
  BindingUpdateListEntry e;
  e.link = a.link;
  e.mn_id = a.mn_id;
  e.mn_ll_id = a.mn_ll_id;
  e.att = a.att;
  e.attach_hi = a.hi;
  e.requested = a.prefixes;
  e.ifp = a.ifp;
  e.primary = a.primary;
  e.muho = a.muho;
  // RFC 8278 §4.4: discover the LMA's support over one path first; the others follow its PBA.
  e.multipath = a.multipath && wan_count() > 1 && !config_.mag_id.empty();
  auto& entry = bul_.add(std::move(e));
  event(EventKind::kMnAttached, &entry, 0, fmt::format("link {}", a.link));
  send_pbu(now, entry, a.hi, false, false);
}

// PROTOCOL.md §8.5: de-register with HI 4 and lifetime 0; local state goes on PBA or after
// INITIAL_BINDACK_TIMEOUT.
void MagEngine::detach(const Now& now, LinkId link) {
  for (auto* e : bul_.paths(link)) {
    if (e->state == BuleState::kRejected || e->state == BuleState::kWaitPba || e->state == BuleState::kPathDown) {
      remove(*e, EventKind::kMnDetached, "detached before registration");
      continue;
    }
    e->detaching = true;
    if (e->state == BuleState::kDeregistering) {
      release_access(*e);  // a failover de-registration is already out; it now ends the entry
      continue;
    }
    withdraw(*e);
    send_pbu(now, *e, HandoffIndicator::kUnknown, true, false);
  }
  publish_paths(link);
}

void MagEngine::send_pbu(const Now& now, BindingUpdateListEntry& e, HandoffIndicator hi, bool deregistration,
                         bool retransmission) {
  if (!retransmission) {
    e.transmissions = 0;
    e.retransmit_timeout = config_.initial_bindack_timeout;
  }
  if (deregistration) e.state = BuleState::kDeregistering;
  // Every (re)transmission takes a fresh sequence number and timestamp (§8.6).
  e.last_sequence = ++sequence_;
  e.last_hi = hi;
  std::uint32_t lifetime_s = deregistration ? 0 : config_.requested_lifetime_s;
  wire::Message m{wire::BindingUpdate{e.last_sequence, wire::bu_flag::kA | wire::bu_flag::kP,
                                      *wire::Lifetime::from_seconds(std::min(lifetime_s, wire::Lifetime::kMaxSeconds))},
                  {}};
  const auto& hnps = !e.prefixes.empty() ? e.prefixes : e.requested;
  if (hnps.empty()) {
    m.options.push_back(wire::HnpOption{});
  } else {
    for (const auto& p : hnps) m.options.push_back(wire::HnpOption{false, p});
  }
  m.options.push_back(e.mn_id.to_option());
  m.options.push_back(wire::HandoffIndicatorOption{hi});
  m.options.push_back(wire::AccessTechTypeOption{e.att});
  if (config_.timestamps) m.options.push_back(wire::TimestampOption{to_timestamp(now.wall)});
  if (!e.mn_ll_id.empty()) m.options.push_back(wire::MnLinkLayerIdOption{e.ifp, e.primary, e.mn_ll_id});
  if (!config_.fixed_link_local) m.options.push_back(wire::LinkLocalAddressOption{e.mag_link_local});
  if (e.muho && !deregistration) m.options.push_back(wire::MuhoOption{});  // empty: "send me the others"
  const WanLink path = wan(e.path);
  if (e.multipath) {
    m.options.push_back(wire::MagMultipathBindingOption{path.att, path.label, static_cast<std::uint8_t>(e.path + 1),
                                                        false, false});
    m.options.push_back(wire::MagIdentifierOption{wire::MnIdSubtype::kNai, config_.mag_id});
  }
  wire::Ipv6Address src = path.proxy_coa;
  if (e.via) {
    src = wan(*e.via).proxy_coa;
    m.options.push_back(wire::AlternateCoaOption{path.proxy_coa});
  }
  transmits_.push_back(Transmit{src, config_.lmaa, std::move(m)});
  ++counters_.pbu_sent;
  if (e.transmissions > 0) {
    ++counters_.retransmissions;
    event(EventKind::kPbuRetransmitted, &e, 0, fmt::format("try {}", e.transmissions + 1));
  }
  ++e.transmissions;
  timers_.arm(key(TimerKind::kRetransmit, e), now.mono + e.retransmit_timeout);
}

void MagEngine::handle_datagram(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                wire::ByteView mh) {
  auto d = wire::decode_message(mh, config_.codec);
  if (!d) {
    if (auto be = binding_error_for(d.error(), src, dst)) transmits_.push_back(std::move(*be));
    ++counters_.malformed;
    events_.push_back(Event{EventKind::kMessageDropped, {}, 0, 0,
                            fmt::format("from {}: {}", src.to_string(), d.error().describe())});
    return;
  }
  handle_message(now, src, dst, d->message);
}

void MagEngine::handle_message(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                               const wire::Message& m) {
  if (const auto* ba = std::get_if<wire::BindingAck>(&m.body); ba && ba->has(wire::ba_flag::kP)) {
    if (src != config_.lmaa) {
      ++counters_.unexpected;
      events_.push_back(Event{EventKind::kMessageDropped, {}, 0, 0, "PBA from an address that is not our LMA"});
      return;
    }
    on_pba(now, m);
    return;
  }
  if (std::holds_alternative<wire::UpdateNotification>(m.body)) {
    if (src != config_.lmaa) {
      ++counters_.unexpected;
      events_.push_back(Event{EventKind::kMessageDropped, {}, 0, 0, "UPN from an address that is not our LMA"});
      return;
    }
    on_upn(now, src, dst, m);
    return;
  }
  if (const auto* hb = std::get_if<wire::Heartbeat>(&m.body); hb && !hb->response) {
    transmits_.push_back(Transmit{dst, src, wire::Message{wire::Heartbeat{false, true, hb->sequence},
                                                          {wire::RestartCounterOption{0}}}});
    return;
  }
  ++counters_.unexpected;
  events_.push_back(Event{EventKind::kMessageDropped, {}, 0, 0, "unexpected message type at the MAG"});
}

// PROTOCOL.md §8.4.
void MagEngine::on_pba(const Now& now, const wire::Message& m) {
  const auto& ba = std::get<wire::BindingAck>(m.body);
  const auto* id = wire::find_option<wire::MnIdOption>(m);
  BindingUpdateListEntry* e = id ? bul_.match(MnId::from_option(*id), ba.sequence) : nullptr;
  if (!e) {
    ++counters_.pba_ignored;
    events_.push_back(Event{EventKind::kMessageDropped, id ? id->identifier : "", 0, 0,
                            fmt::format("PBA seq {} matches no outstanding PBU", ba.sequence)});
    return;
  }
  // Step 5: a PBA that changes what we sent is not ours to act on.
  const auto* hi = wire::find_option<wire::HandoffIndicatorOption>(m);
  const auto* att = wire::find_option<wire::AccessTechTypeOption>(m);
  const auto* lli = wire::find_option<wire::MnLinkLayerIdOption>(m);
  bool lli_ok = e->mn_ll_id.empty() ? lli == nullptr : (lli && lli->link_layer_id == e->mn_ll_id);
  if (!hi || hi->value != e->last_hi || !att || att->value != e->att || !lli_ok) {
    ++counters_.pba_ignored;
    event(EventKind::kMessageDropped, e, static_cast<std::uint32_t>(ba.status), "PBA options differ from the PBU");
    return;
  }
  timers_.cancel(key(TimerKind::kRetransmit, *e));
  e->last_status = ba.status;
  e->transmissions = 0;

  if (e->state == BuleState::kDeregistering) {
    deregistered(*e, "de-registered");
    return;
  }
  if (ba.status == BaStatus::kCannotSupportMultipathBinding && e->multipath) {
    // RFC 8278 §4.4: the MN may not use multipath; carry on over this one path.
    ++counters_.multipath_refused;
    e->multipath = false;
    event(EventKind::kMnRejected, e, 180, "multipath refused by the LMA; registering one path");
    if (e->path != 0) {
      remove(*e, EventKind::kMnDetached, "multipath refused");
      return;
    }
    send_pbu(now, *e, e->last_hi, false, false);
    return;
  }
  if (wire::is_accepted(ba.status)) {
    ++counters_.pba_accepted;
    registered(now, *e, m);
    return;
  }
  ++counters_.pba_rejected;
  switch (ba.status) {
    case BaStatus::kTimestampLowerThanPrevAccepted:
      // 157: our clock is fine, the PBU was stale: send again with a fresh timestamp.
      event(EventKind::kMnRejected, e, 157, "retrying with a fresh timestamp");
      send_pbu(now, *e, e->last_hi, false, false);
      return;
    case BaStatus::kNotAuthorizedForHnp:
      if (!e->requested.empty() && e->prefixes.empty()) {
        // 155: do not ask for those prefixes again; let the LMA choose (§8.4 step 6).
        e->requested.clear();
        event(EventKind::kMnRejected, e, 155, "retrying with an ALL_ZERO HNP");
        send_pbu(now, *e, e->last_hi, false, false);
        return;
      }
      break;
    default:
      break;
  }
  // Anything else >= 128: nothing is advertised or forwarded for this MN until it attaches
  // again (152 included: no more PBUs for it).
  withdraw(*e);
  e->state = BuleState::kRejected;
  event(EventKind::kMnRejected, e, static_cast<std::uint32_t>(ba.status), "registration rejected");
  if (e->path != 0) remove(*e, EventKind::kMnDetached, "path rejected");
}

// RFC 7077 §6.3 with RFC 7864: FMI = UPN reason FLOW-MOBILITY. The HNP (L = 1) list is
// complete: prefixes missing from it stop being routed here. A retransmission (D = 1) is
// applied again and answered again, which is harmless since the list replaces the state.
void MagEngine::on_upn(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                       const wire::Message& m) {
  const auto& upn = std::get<wire::UpdateNotification>(m.body);
  const auto* id = wire::find_option<wire::MnIdOption>(m);
  auto reply = [&](wire::NotificationAckStatus status, std::vector<wire::MobilityOption> extra) {
    if (!upn.ack_requested) return;
    wire::Message upa{wire::UpdateNotificationAck{upn.sequence, status}, {}};
    if (id) upa.options.push_back(*id);
    for (auto& o : extra) upa.options.push_back(std::move(o));
    transmits_.push_back(Transmit{dst, src, std::move(upa)});
  };
  if (upn.reason == wire::NotificationReason::kUpdateSessionParameters && id &&
      !wire::find_options<wire::MuhoOption>(m).empty()) {
    auto* e = bul_.by_mn(MnId::from_option(*id));
    if (e && e->muho && (e->state == BuleState::kRegistered || e->state == BuleState::kRefreshing)) {
      set_muho_prefixes(*e, m);
      reply(wire::NotificationAckStatus::kSuccess, {});
      return;
    }
  }
  if (upn.reason != wire::NotificationReason::kFlowMobility) {
    if (upn.reason == wire::NotificationReason::kForceReregistration && id) {
      if (auto* e = bul_.by_mn(MnId::from_option(*id)); e && e->state == BuleState::kRegistered) {
        send_pbu(now, *e, HandoffIndicator::kNotChanged, false, false);
        reply(wire::NotificationAckStatus::kSuccess, {});
        return;
      }
    }
    reply(wire::NotificationAckStatus::kFailedToUpdateSessionParameters, {});
    return;
  }
  ++counters_.fmi_received;
  BindingUpdateListEntry* e = id ? bul_.by_mn(MnId::from_option(*id)) : nullptr;
  if (!e || (e->state != BuleState::kRegistered && e->state != BuleState::kRefreshing)) {
    ++counters_.fma_failures_sent;
    event(EventKind::kMessageDropped, e, 132, "FMI for an MN not attached here");
    reply(wire::NotificationAckStatus::kMnNotAttached, {});
    return;
  }
  std::vector<wire::MobilityOption> echo;
  for (const auto* h : wire::find_options<wire::HnpOption>(m)) {
    if (!h->prefix.address.is_zero() && h->off_link) echo.push_back(*h);
  }
  auto off = set_off_link(*e, m);
  std::string list;
  for (const auto& p : off) list += (list.empty() ? "" : ",") + p.to_string();
  event(EventKind::kFlowMoved, e, 0, fmt::format("off-link prefixes [{}], {} flow(s)", list, e->flows.size()));
  reply(wire::NotificationAckStatus::kSuccess, std::move(echo));
}

// The HNP options with L = 1 of an FMI, or of a PBA (seed 001 §3.3), are the complete list of
// prefixes routed to this MN link off-link; the Flow Identification options describe the
// flows they carry.
std::vector<wire::Ipv6Prefix> MagEngine::set_off_link(BindingUpdateListEntry& e, const wire::Message& m) {
  std::vector<wire::Ipv6Prefix> off;
  for (const auto* h : wire::find_options<wire::HnpOption>(m)) {
    if (!h->prefix.address.is_zero() && h->off_link) off.push_back(h->prefix);
  }
  for (const auto& p : e.off_link_prefixes) {
    if (std::find(off.begin(), off.end(), p) == off.end()) dataplane_.push_back(mag_op::RouteRemove{e.link, p});
  }
  for (const auto& p : off) {
    if (std::find(e.off_link_prefixes.begin(), e.off_link_prefixes.end(), p) == e.off_link_prefixes.end()) {
      dataplane_.push_back(mag_op::RouteAdd{e.link, p, false});
    }
  }
  e.off_link_prefixes = off;
  e.flows.clear();
  for (const auto* f : wire::find_options<wire::FlowIdOption>(m)) e.flows.push_back(*f);
  return off;
}

// Seed 002 §5.2.1: the MuHo prefixes of a PBA (or of a later update) are the MN's other
// interfaces' prefixes; they are routed to this link so the weak-host MN accepts them here,
// and never advertised.
void MagEngine::set_muho_prefixes(BindingUpdateListEntry& e, const wire::Message& m) {
  std::vector<wire::Ipv6Prefix> now_set;
  for (const auto* o : wire::find_options<wire::MuhoOption>(m)) {
    if (!o->prefix.address.is_zero()) now_set.push_back(o->prefix);
  }
  for (const auto& p : e.muho_prefixes) {
    if (std::find(now_set.begin(), now_set.end(), p) == now_set.end()) dataplane_.push_back(mag_op::RouteRemove{e.link, p});
  }
  for (const auto& p : now_set) {
    if (std::find(e.muho_prefixes.begin(), e.muho_prefixes.end(), p) == e.muho_prefixes.end()) {
      dataplane_.push_back(mag_op::RouteAdd{e.link, p, false});
    }
  }
  e.muho_prefixes = std::move(now_set);
}

void MagEngine::registered(const Now& now, BindingUpdateListEntry& e, const wire::Message& m) {
  const auto& ba = std::get<wire::BindingAck>(m.body);
  std::vector<wire::Ipv6Prefix> prefixes;  // on-link: advertised
  bool off_link = false;
  for (const auto* h : wire::find_options<wire::HnpOption>(m)) {
    if (h->off_link) off_link = true;
    if (!h->prefix.address.is_zero() && !h->off_link) prefixes.push_back(h->prefix);
  }
  if (const auto* lla = wire::find_option<wire::LinkLocalAddressOption>(m)) e.mag_link_local = lla->address;
  if (config_.fixed_link_local) e.mag_link_local = *config_.fixed_link_local;
  bool first = e.state == BuleState::kWaitPba;
  if (e.multipath && !wire::find_option<wire::MagMultipathBindingOption>(m)) {
    // RFC 8278 §4.4: a legacy LMA skipped the option; it has one binding for the MN.
    ++counters_.multipath_refused;
    e.multipath = false;
    event(EventKind::kMnRegistered, &e, 0, "the LMA ignored the multipath request: one path");
  }
  if (!e.tunnel_held) {
    auto coa = wan(e.path).proxy_coa;
    if (tunnel_users_[coa]++ == 0) dataplane_.push_back(mag_op::TunnelAdd{config_.lmaa, coa});
    e.tunnel_held = true;
  }
  e.granted = ba.lifetime;
  e.state = BuleState::kRegistered;
  e.expires = now.mono + seconds(ba.lifetime.seconds());
  timers_.arm(key(TimerKind::kExpire, e), e.expires);
  auto refresh_after = seconds(ba.lifetime.seconds()) * config_.refresh_percent / 100;
  timers_.arm(key(TimerKind::kRefresh, e), now.mono + refresh_after);
  if (e.path != 0) {
    // Another WAN path of a multipath binding: the access side belongs to path 0; the
    // prefixes are kept to register this path again after an expiry.
    e.prefixes = prefixes;
    if (first) event(EventKind::kMnRegistered, &e, 0, fmt::format("path {} up via {}", e.path, wan(e.path).proxy_coa.to_string()));
    publish_paths(e.link);
    return;
  }
  if (prefixes != e.prefixes || !e.advertised) {
    for (const auto& p : e.prefixes) {
      if (e.advertised) dataplane_.push_back(mag_op::RouteRemove{e.link, p});
    }
    for (const auto& p : prefixes) dataplane_.push_back(mag_op::RouteAdd{e.link, p, true});
    e.prefixes = prefixes;
  }
  e.advertised = true;
  if (e.muho) set_muho_prefixes(e, m);
  // A PBA without L = 1 options leaves the off-link state to FMIs (an LMA without seed 001
  // §3.3 never sends them).
  if (off_link) set_off_link(e, m);
  dataplane_.push_back(mag_op::RouterAdvertisement{e.link, e.mag_link_local, e.prefixes, ba.lifetime.seconds()});
  if (first && e.multipath) {
    for (PathIndex p = 1; p < wan_count(); ++p) {
      auto* old = bul_.find(e.link, p);
      if (old && old->state == BuleState::kDeregistering) {
        // Left over from the MN's previous attachment: the new registration supersedes it
        // (its later timestamp wins at the LMA whichever arrives first).
        remove(*old, EventKind::kMnDetached, "superseded by a new attachment");
        old = nullptr;
      }
      if (wan_up_[p] && !old) start_path(now, e, p);
    }
  }
  publish_paths(e.link);
  if (first) {
    std::string list;
    for (const auto& p : e.prefixes) list += (list.empty() ? "" : ",") + p.to_string();
    event(EventKind::kMnRegistered, &e, 0, fmt::format("prefixes {} lifetime {} s", list, ba.lifetime.seconds()));
  }
}

// Stops advertising and routing the MN's prefixes (kept in the entry for a de-registration)
// and lets go of the WAN tunnel.
void MagEngine::withdraw(BindingUpdateListEntry& e) {
  release_access(e);
  release_path(e);
  timers_.cancel(key(TimerKind::kRefresh, e));
  timers_.cancel(key(TimerKind::kExpire, e));
}

void MagEngine::release_access(BindingUpdateListEntry& e) {
  if (!e.advertised) return;
  e.advertised = false;
  dataplane_.push_back(mag_op::RouterAdvertisement{e.link, e.mag_link_local, {}, 0});
  for (const auto& p : e.prefixes) dataplane_.push_back(mag_op::RouteRemove{e.link, p});
  for (const auto& p : e.off_link_prefixes) dataplane_.push_back(mag_op::RouteRemove{e.link, p});
  e.off_link_prefixes.clear();
  for (const auto& p : e.muho_prefixes) dataplane_.push_back(mag_op::RouteRemove{e.link, p});
  e.muho_prefixes.clear();
}

void MagEngine::release_path(BindingUpdateListEntry& e) {
  if (!e.tunnel_held) return;
  e.tunnel_held = false;
  auto coa = wan(e.path).proxy_coa;
  auto it = tunnel_users_.find(coa);
  if (it != tunnel_users_.end() && --it->second == 0) {
    tunnel_users_.erase(it);
    dataplane_.push_back(mag_op::TunnelRemove{config_.lmaa, coa});
  }
}

void MagEngine::remove(BindingUpdateListEntry& e, EventKind why, const std::string& detail) {
  withdraw(e);
  timers_.cancel(key(TimerKind::kRetransmit, e));
  event(why, &e, 0, detail);
  LinkId link = e.link;
  bul_.erase(link, e.path);
  publish_paths(link);
}

// A de-registration ended (PBA or timeout). Path 0 de-registered because its WAN link failed
// stays as the anchor of the still attached MN's access side, served by its other paths or
// waiting for a link to return; anything else goes.
void MagEngine::deregistered(BindingUpdateListEntry& e, const std::string& detail) {
  if (e.path == 0 && e.via && !e.detaching) {
    e.via.reset();
    e.state = BuleState::kPathDown;
    release_path(e);
    event(EventKind::kMnDetached, &e, 0, "path 0 down; the MN stays attached");
    publish_paths(e.link);
    return;
  }
  remove(e, EventKind::kMnDetached, detail);
}

// RFC 8278 §3.1 steps 6-8: another WAN path for the MN, asking for the prefixes path 0 got.
void MagEngine::start_path(const Now& now, const BindingUpdateListEntry& anchor, PathIndex path) {
  BindingUpdateListEntry e;
  e.link = anchor.link;
  e.path = path;
  e.multipath = true;
  e.mn_id = anchor.mn_id;
  e.mn_ll_id = anchor.mn_ll_id;
  e.att = anchor.att;
  e.attach_hi = anchor.attach_hi;
  e.requested = anchor.prefixes;
  e.ifp = anchor.ifp;
  e.primary = anchor.primary;
  e.mag_link_local = anchor.mag_link_local;
  auto& entry = bul_.add(std::move(e));
  send_pbu(now, entry, entry.attach_hi, false, false);
}

void MagEngine::publish_paths(LinkId link) {
  std::optional<mag_op::MultipathSet> want;
  for (const auto* e : bul_.paths(link)) {
    if (!e->multipath || !e->tunnel_held || e->state == BuleState::kDeregistering) continue;
    if (!want) want = mag_op::MultipathSet{link, {}, config_.multipath.distribution, {}};
    auto w = wan(e->path);
    want->paths.push_back(TunnelPath{static_cast<std::uint8_t>(e->path + 1), w.proxy_coa, w.label,
                                     config_.multipath.weight(w.label)});
  }
  auto it = multipath_.find(link);
  if (!want) {
    if (it == multipath_.end()) return;
    multipath_.erase(it);
    dataplane_.push_back(mag_op::MultipathRemove{link});
    return;
  }
  want->rules = resolve_rules(config_.multipath, want->paths);
  if (it != multipath_.end() && it->second == *want) return;
  dataplane_.push_back(*want);
  multipath_[link] = std::move(*want);
}

std::optional<std::string> MagEngine::update_priority(const Now& now, LinkId link, std::uint8_t ifp, bool primary) {
  auto paths = bul_.paths(link);
  if (paths.empty()) return fmt::format("no MN is attached on link {}", link);
  for (auto* e : paths) {
    e->ifp = ifp;
    e->primary = primary;
  }
  auto* e = paths.front();
  if (e->state == BuleState::kRegistered || e->state == BuleState::kRefreshing) {
    e->state = BuleState::kRefreshing;
    send_pbu(now, *e, HandoffIndicator::kNotChanged, false, false);
  }
  // Registering or rejected: the next PBU carries the new values anyway.
  return std::nullopt;
}

std::optional<std::string> MagEngine::wan_link_down(const Now& now, PathIndex path) {
  if (path >= wan_count()) return fmt::format("no WAN link {}", path);
  if (!wan_up_[path]) return fmt::format("WAN link {} is already down", path);
  wan_up_[path] = false;
  std::optional<PathIndex> via;
  for (PathIndex p = 0; p < wan_count(); ++p) {
    if (wan_up_[p]) {
      via = p;
      break;
    }
  }
  for (auto* e : bul_.on_path(path)) {
    if (!e->multipath) continue;  // a single-path MN keeps its binding until the link returns
    if (e->state != BuleState::kRegistered && e->state != BuleState::kRefreshing) {
      if (e->path != 0 && e->state == BuleState::kWaitPba) remove(*e, EventKind::kMnDetached, "WAN link down");
      continue;
    }
    ++counters_.path_failovers;
    release_path(*e);  // traffic leaves the dead tunnel now, before the LMA answers
    timers_.cancel(key(TimerKind::kRefresh, *e));
    timers_.cancel(key(TimerKind::kExpire, *e));
    publish_paths(e->link);
    if (!via) {
      // No live path to signal over: the LMA's binding runs out. Locally the path is gone;
      // path 0 keeps anchoring the access side until a link returns.
      if (e->path == 0) {
        e->state = BuleState::kPathDown;
      } else {
        remove(*e, EventKind::kMnDetached, "WAN link down, no path left to signal over");
      }
      continue;
    }
    e->via = via;
    send_pbu(now, *e, HandoffIndicator::kUnknown, true, false);
  }
  return std::nullopt;
}

std::optional<std::string> MagEngine::wan_link_up(const Now& now, PathIndex path) {
  if (path >= wan_count()) return fmt::format("no WAN link {}", path);
  if (wan_up_[path]) return fmt::format("WAN link {} is already up", path);
  wan_up_[path] = true;
  std::vector<LinkId> links;
  for (auto* e : bul_.on_path(0)) {
    if (e->multipath) links.push_back(e->link);
  }
  for (LinkId link : links) {
    auto* anchor = bul_.find(link, 0);
    if (anchor->detaching) continue;  // the MN left; its de-registrations are finishing
    auto* current = bul_.find(link, path);
    if (current && current->state == BuleState::kDeregistering && current->via) {
      // The link flapped back before the path's de-registration was answered: register it
      // again (a later timestamp revives the LMA's entry; the old PBA no longer matches).
      current->via.reset();
      current->requested = current->prefixes.empty() ? anchor->prefixes : current->prefixes;
      current->state = BuleState::kWaitPba;
      send_pbu(now, *current, reregistration_hi(current->attach_hi), false, false);
    } else if (path == 0 && anchor->state == BuleState::kPathDown) {
      anchor->requested = anchor->prefixes;
      anchor->state = BuleState::kWaitPba;
      send_pbu(now, *anchor, reregistration_hi(anchor->attach_hi), false, false);
    } else if (path != 0 && !bul_.find(link, path) &&
               (anchor->state == BuleState::kRegistered || anchor->state == BuleState::kRefreshing ||
                anchor->state == BuleState::kPathDown)) {
      start_path(now, *anchor, path);
    }
  }
  return std::nullopt;
}

void MagEngine::handle_timeout(const Now& now) {
  while (auto key = timers_.pop_due(now.mono)) {
    auto* e = bul_.find(key->link, key->path);
    if (!e) continue;
    switch (key->kind) {
      case TimerKind::kRetransmit:
        if (e->state == BuleState::kDeregistering) {
          // No PBA within INITIAL_BINDACK_TIMEOUT: clean up anyway (§8.5).
          deregistered(*e, "de-registration unanswered");
          break;
        }
        if (e->transmissions == config_.report_after_transmissions) {
          ++counters_.unanswered;
          event(EventKind::kRegistrationUnanswered, e, 0,
                fmt::format("{} PBUs unanswered; retrying every {} s", e->transmissions,
                            std::chrono::duration_cast<seconds>(config_.max_bindack_timeout).count()));
        }
        e->retransmit_timeout = std::min(e->retransmit_timeout * 2, config_.max_bindack_timeout);
        send_pbu(now, *e, e->last_hi, false, true);
        break;
      case TimerKind::kRefresh:
        // RFC 5213 §6.9.1.3: same options, HI 5, one HNP per assigned prefix.
        e->state = BuleState::kRefreshing;
        send_pbu(now, *e, HandoffIndicator::kNotChanged, false, false);
        break;
      case TimerKind::kExpire: {
        // Every refresh went unanswered. The MN is still attached (a detach would have
        // removed the entry), so register it again, asking for the prefixes it had.
        event(EventKind::kBindingExpired, e, 0, "binding lifetime ran out; registering again");
        withdraw(*e);
        e->requested = e->prefixes;
        e->prefixes.clear();
        e->state = BuleState::kWaitPba;
        // A handoff (HI 2/3/4) happened long ago: repeating it could take over another
        // interface's entry holding the same prefixes (RFC 5213 §5.4.1 A.4). New and
        // shared-prefix attachments say what they are again; the rest are re-registrations.
        send_pbu(now, *e, reregistration_hi(e->attach_hi), false, false);
        break;
      }
    }
  }
}

}  // namespace pmipx::core
