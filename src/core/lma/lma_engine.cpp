#include "core/lma/lma_engine.hpp"

#include <algorithm>
#include <iterator>
#include <set>

#include <fmt/format.h>

namespace pmipx::core {

using wire::BaStatus;
using wire::HandoffIndicator;

// The options of one PBU, found once (RFC 5213 §5.3.1 refers to each by role).
struct LmaEngine::PbuView {
  wire::Ipv6Address src, dst, proxy_coa;
  const wire::Message* message = nullptr;
  const wire::BindingUpdate* bu = nullptr;
  const wire::MnIdOption* mn_id = nullptr;
  std::vector<const wire::HnpOption*> hnps;
  const wire::HandoffIndicatorOption* hi = nullptr;
  const wire::AccessTechTypeOption* att = nullptr;
  const wire::TimestampOption* ts = nullptr;
  const wire::MnLinkLayerIdOption* lli = nullptr;
  const wire::LinkLocalAddressOption* lla = nullptr;
  const wire::MagMultipathBindingOption* mmb = nullptr;
  const wire::MagIdentifierOption* mag_id = nullptr;
  const MnProfile* profile = nullptr;
  MnId mn;

  static PbuView of(const wire::Ipv6Address& src, const wire::Ipv6Address& dst, const wire::Message& m) {
    PbuView v;
    v.src = src;
    v.dst = dst;
    v.proxy_coa = src;
    v.message = &m;
    v.bu = &std::get<wire::BindingUpdate>(m.body);
    v.mn_id = wire::find_option<wire::MnIdOption>(m);
    v.hnps = wire::find_options<wire::HnpOption>(m);
    v.hi = wire::find_option<wire::HandoffIndicatorOption>(m);
    v.att = wire::find_option<wire::AccessTechTypeOption>(m);
    v.ts = wire::find_option<wire::TimestampOption>(m);
    v.lli = wire::find_option<wire::MnLinkLayerIdOption>(m);
    v.lla = wire::find_option<wire::LinkLocalAddressOption>(m);
    v.mmb = wire::find_option<wire::MagMultipathBindingOption>(m);
    v.mag_id = wire::find_option<wire::MagIdentifierOption>(m);
    // An Alternate Care-of Address option names the proxy-CoA (PROTOCOL.md §0.2).
    if (const auto* acoa = wire::find_option<wire::AlternateCoaOption>(m)) v.proxy_coa = acoa->address;
    if (v.mn_id) v.mn = MnId::from_option(*v.mn_id);
    return v;
  }

  HandoffIndicator handoff() const { return hi ? hi->value : HandoffIndicator::kReserved; }
  bool deregistration() const { return bu->lifetime.units == 0; }
  std::vector<wire::Ipv6Prefix> nonzero_prefixes() const {
    std::vector<wire::Ipv6Prefix> out;
    for (const auto* h : hnps) {
      if (!h->prefix.address.is_zero()) out.push_back(h->prefix);
    }
    return out;
  }
};

struct LmaEngine::Decision {
  enum Kind { kNew, kNewShared, kUpdate, kIgnore, kReject, kWait } kind = kNew;
  EntryId entry = 0;
  BaStatus status = BaStatus::kAccepted;
  std::vector<wire::Ipv6Prefix> shared;
};

LmaEngine::LmaEngine(LmaConfig config, PolicyStore policy)
    : config_(std::move(config)), policy_(std::move(policy)), upn_sequence_(config_.upn_initial_sequence) {}

void LmaEngine::event(EventKind kind, const MnId* mn, EntryId entry, std::uint32_t status,
                      std::string detail) {
  events_.push_back(Event{kind, mn ? mn->to_string() : std::string{}, entry, status, std::move(detail)});
}

LmaEngine::PbuView LmaEngine::view_of(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                           const wire::Message& m) const {
  PbuView v = PbuView::of(src, dst, m);
  if (!config_.multipath) {
    // RFC 8278 §4.4: an LMA without multipath support skips the options it does not know
    // and answers as for an ordinary PBU; the MAG sees no echo and falls back to one path.
    v.mmb = nullptr;
    v.mag_id = nullptr;
  }
  return v;
}

void LmaEngine::flow_event(EventKind kind, const MnId& mn, EntryId entry, std::uint16_t fid, std::uint32_t status,
                           std::string detail) {
  events_.push_back(Event{kind, mn.to_string(), entry, status, std::move(detail), fid});
}

void LmaEngine::reload_policy(const std::vector<wire::Ipv6Address>& mags, std::vector<MnProfile> mns) {
  policy_.clear_profiles();
  for (const auto& m : mags) policy_.authorize_mag(m);
  for (auto& p : mns) policy_.add_mn(std::move(p));
}

void LmaEngine::handle_datagram(const Now& now, const wire::Ipv6Address& src,
                                const wire::Ipv6Address& dst, wire::ByteView mh) {
  auto d = wire::decode_message(mh, config_.codec);
  if (d) {
    handle_message(now, src, dst, d->message);
    return;
  }
  const auto& e = d.error();
  if (auto be = binding_error_for(e, src, dst)) {
    transmits_.push_back(std::move(*be));
    ++counters_.binding_errors_sent;
  }
  ++counters_.malformed;
  event(EventKind::kMessageDropped, nullptr, 0, 0, fmt::format("from {}: {}", src.to_string(), e.describe()));
}

void LmaEngine::handle_message(const Now& now, const wire::Ipv6Address& src,
                               const wire::Ipv6Address& dst, const wire::Message& m) {
  if (const auto* bu = std::get_if<wire::BindingUpdate>(&m.body)) {
    if (!bu->has(wire::bu_flag::kP)) {
      // A MIPv6 home registration: this node is no home agent.
      ++counters_.unexpected;
      event(EventKind::kMessageDropped, nullptr, 0, 0, "binding update without P flag");
      return;
    }
    on_pbu(now, src, dst, m);
    return;
  }
  if (const auto* hb = std::get_if<wire::Heartbeat>(&m.body)) {
    on_heartbeat(src, dst, *hb);
    return;
  }
  if (std::holds_alternative<wire::UpdateNotificationAck>(m.body)) {
    on_upa(src, m);
    return;
  }
  ++counters_.unexpected;
  event(EventKind::kMessageDropped, nullptr, 0, 0, "unexpected message type at the LMA");
}

void LmaEngine::on_heartbeat(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                             const wire::Heartbeat& hb) {
  if (hb.response) return;  // peer liveness tracking arrives with issue 8
  // RFC 5847 §5.2: answer every request, with our Restart Counter, even without bindings.
  transmits_.push_back(Transmit{dst, src,
                                wire::Message{wire::Heartbeat{false, true, hb.sequence},
                                              {wire::RestartCounterOption{config_.restart_counter}}}});
  ++counters_.heartbeats_answered;
}

// PROTOCOL.md §7.2, in order. Step 9 (ordering) needs the entry found in step 13, so the
// window part of a timestamp check runs in place and the "greater than last" part after the
// lookup; a PBU missing HNP/HI/ATT cannot be looked up, so its status comes from steps 10-12.
void LmaEngine::on_pbu(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                       const wire::Message& m) {
  ++counters_.pbu_received;
  PbuView v = view_of(src, dst, m);
  if (!v.mn_id) return reject(now, v, BaStatus::kMissingMnIdOption);                     // 4
  if (!policy_.mag_authorized(v.proxy_coa)) return reject(now, v, BaStatus::kMagNotAuthorizedForProxyReg);  // 5
  v.profile = policy_.find(v.mn);
  if (!v.profile) return reject(now, v, BaStatus::kNotLmaForThisMn);                      // 7
  if (!policy_.mag_authorized_for(*v.profile, v.proxy_coa)) {                             // 6
    return reject(now, v, BaStatus::kMagNotAuthorizedForProxyReg);
  }
  if (!v.profile->proxy_enabled) return reject(now, v, BaStatus::kProxyRegNotEnabled);   // 8
  if (auto status = check_ordering(now, v, nullptr)) {                                    // 9 (window)
    return reject(now, v, static_cast<BaStatus>(*status));
  }
  if (v.hnps.empty()) return reject(now, v, BaStatus::kMissingHnpOption);                // 10
  if (!v.hi) return reject(now, v, BaStatus::kMissingHandoffIndicatorOption);            // 11
  if (!v.att) return reject(now, v, BaStatus::kMissingAccessTechTypeOption);             // 12
  bool zero = false, nonzero = false;
  for (const auto* h : v.hnps) (h->prefix.address.is_zero() ? zero : nonzero) = true;
  if (zero && (nonzero || v.hnps.size() > 1)) {
    // RFC 5213 §6.9.1.1: an ALL_ZERO request is the only HNP option; a mix is not one we can
    // answer with a prefix set.
    return reject(now, v, BaStatus::kReasonUnspecified);
  }
  if (v.handoff() == HandoffIndicator::kNewInterfaceSharingPrefixes && !v.profile->features.shared_prefixes) {
    return reject(now, v, BaStatus::kNotAuthorizedForHnp);
  }
  if (v.mmb) {
    // RFC 8278 §4.4: a multipath request names its MAG; an MN not authorized for multipath
    // gets 180 with both options echoed; O is never set in a de-registration (§4.1).
    if (!v.mag_id || (v.mmb->overwrite && v.deregistration())) return reject(now, v, BaStatus::kReasonUnspecified);
    if (!v.profile->features.multipath) return reject(now, v, BaStatus::kCannotSupportMultipathBinding);
  }
  Decision d = v.mmb ? lookup_multipath(v) : lookup(v);                                   // 13
  if (d.kind == Decision::kUpdate && is_duplicate(v, *cache_.find(d.entry))) {
    // The network delivered the accepted PBU twice: answer it again, change nothing. (Its
    // timestamp equals the last accepted one, which would otherwise draw a 156.)
    ++counters_.duplicates;
    const auto* e = cache_.find(d.entry);
    if (e->state == BceState::kActive || v.deregistration()) send_pba(now, v, BaStatus::kAccepted, e);
    return;
  }
  if (d.kind == Decision::kUpdate) {
    if (auto status = check_ordering(now, v, cache_.find(d.entry))) {                     // 9 (order)
      const auto* e = cache_.find(d.entry);
      std::optional<std::uint16_t> seq;
      if (*status == static_cast<std::uint8_t>(BaStatus::kSequenceOutOfWindow)) seq = e->sequence;
      return reject(now, v, static_cast<BaStatus>(*status), e, seq);
    }
  }
  apply(now, v, d);
}

bool LmaEngine::is_duplicate(const PbuView& v, const BindingCacheEntry& e) const {
  if (e.proxy_coa != v.proxy_coa || e.last_pbu_sequence != v.bu->sequence) return false;
  if (config_.timestamps) return v.ts && e.timestamp && v.ts->value == *e.timestamp;
  return e.sequence && *e.sequence == v.bu->sequence;
}

std::optional<std::uint8_t> LmaEngine::check_ordering(const Now& now, const PbuView& v,
                                                      const BindingCacheEntry* e) const {
  if (config_.timestamps) {
    if (!v.ts) return static_cast<std::uint8_t>(BaStatus::kTimestampMismatch);
    if (e && e->timestamp) {
      // RFC 5213 §5.5: lower than the last accepted -> 157; equal is "not greater" -> 156.
      if (v.ts->value < *e->timestamp) return static_cast<std::uint8_t>(BaStatus::kTimestampLowerThanPrevAccepted);
      if (v.ts->value == *e->timestamp) return static_cast<std::uint8_t>(BaStatus::kTimestampMismatch);
    }
    if (!config_.mn_generated_timestamps) {
      auto diff = timestamp_diff_seconds(v.ts->value, to_timestamp(now.wall));
      auto window = std::chrono::duration<long double>(config_.timestamp_window).count();
      if (diff > window || diff < -window) return static_cast<std::uint8_t>(BaStatus::kTimestampMismatch);
    }
    return std::nullopt;
  }
  if (e && e->sequence) {
    // Modulo 2^16: s is not greater than last iff (last - s) mod 2^16 <= 32768 (§7.4).
    auto back = static_cast<std::uint16_t>(*e->sequence - v.bu->sequence);
    if (back <= 32768) return static_cast<std::uint8_t>(BaStatus::kSequenceOutOfWindow);
  }
  return std::nullopt;
}

// PROTOCOL.md §7.3 (RFC 5213 §5.4.1 with RFC 7864's HI 6).
LmaEngine::Decision LmaEngine::lookup(const PbuView& v) const {
  const HandoffIndicator hi = v.handoff();
  const bool dereg = v.deregistration();
  auto fallback = [&]() {
    Decision d;
    d.kind = dereg ? Decision::kIgnore : Decision::kNew;
    return d;
  };
  auto reject_with = [](BaStatus s) {
    Decision d;
    d.kind = Decision::kReject;
    d.status = s;
    return d;
  };
  auto update = [](EntryId id) {
    Decision d;
    d.kind = Decision::kUpdate;
    d.entry = id;
    return d;
  };
  const wire::Bytes lli = v.lli ? v.lli->link_layer_id : wire::Bytes{};
  const wire::AccessTech att = v.att->value;

  auto requested = v.nonzero_prefixes();
  if (!requested.empty()) {  // Case A
    std::set<EntryId> owners;
    for (const auto& p : requested) {
      for (EntryId id : cache_.by_prefix(p)) owners.insert(id);
    }
    if (owners.empty()) return fallback();  // A.1: new session
    std::set<wire::Ipv6Prefix> want(requested.begin(), requested.end());
    std::optional<EntryId> hi6_lli_match;
    for (EntryId id : owners) {
      const auto& e = *cache_.find(id);
      if (e.mn_id != v.mn) return reject_with(BaStatus::kNotAuthorizedForHnp);  // A.2
      std::set<wire::Ipv6Prefix> have(e.prefixes.begin(), e.prefixes.end());
      if (have != want) return reject_with(BaStatus::kBcePbuPrefixSetDoNotMatch);  // A.3
    }
    for (EntryId id : owners) {  // A.4
      const auto& e = *cache_.find(id);
      bool lli_match = v.lli && lli == e.mn_ll_id && att == e.att;
      if (hi == HandoffIndicator::kNewInterfaceSharingPrefixes) {
        if (lli_match) hi6_lli_match = id;
        continue;
      }
      if (lli_match) return update(id);
      if (hi == HandoffIndicator::kInterfaceHandoff) return update(id);
      if (!v.lli && e.mn_ll_id.empty() && att == e.att && hi == HandoffIndicator::kInterMagSameInterface) {
        return update(id);
      }
      if (v.proxy_coa == e.proxy_coa && att == e.att) return update(id);
    }
    if (hi == HandoffIndicator::kNewInterfaceSharingPrefixes) {
      if (hi6_lli_match) return update(*hi6_lli_match);
      if (dereg) return fallback();
      Decision d;
      d.kind = Decision::kNewShared;
      d.shared = requested;
      return d;
    }
    // A.5: a new session cannot take prefixes another live session holds (a prefix belongs
    // to one session unless shared by HI 6).
    return dereg ? fallback() : reject_with(BaStatus::kNotAuthorizedForHnp);
  }

  auto sessions = cache_.by_mn(v.mn);
  // Implementation choice: HI 6 with ALL_ZERO asks to share "the MN's prefixes" when the MAG
  // knows the MN but not its prefixes (it learned them from no one). The same interface
  // (ATT + MN-LL-ID, or proxy-CoA + ATT without one) is a refresh; otherwise a new session
  // shares the prefixes of the MN's oldest active session. No session: a new one (B/C).
  if (hi == HandoffIndicator::kNewInterfaceSharingPrefixes && !dereg) {
    const BindingCacheEntry* oldest = nullptr;
    for (EntryId id : sessions) {
      const auto& e = *cache_.find(id);
      if (v.lli ? (e.mn_ll_id == lli && e.att == att) : (e.mn_ll_id.empty() && e.proxy_coa == v.proxy_coa && e.att == att)) {
        return update(id);
      }
      if (e.state == BceState::kActive && !e.prefixes.empty() && (!oldest || e.id < oldest->id)) oldest = &e;
    }
    if (oldest) {
      Decision d;
      d.kind = Decision::kNewShared;
      d.shared = oldest->prefixes;
      return d;
    }
  }
  if (v.lli) {  // Case B
    for (EntryId id : sessions) {
      const auto& e = *cache_.find(id);
      if (e.mn_ll_id == lli && e.att == att) return update(id);  // B.1
    }
  } else if (sessions.size() == 1 && (hi == HandoffIndicator::kInterfaceHandoff ||
                                      hi == HandoffIndicator::kInterMagSameInterface)) {
    return update(sessions.front());  // C.1
  }
  if (sessions.size() == 1 && hi == HandoffIndicator::kInterfaceHandoff) return update(sessions.front());  // B.2
  if (!v.lli && hi == HandoffIndicator::kNewInterface) {
    // Implementation choice: an HI 1 PBU without MN-LL-ID from the proxy-CoA and ATT of an
    // existing entry without MN-LL-ID is that entry's registration retransmitted (its PBA was
    // lost). Two such interfaces could not be told apart by the MAG either.
    for (EntryId id : sessions) {
      const auto& e = *cache_.find(id);
      if (e.mn_ll_id.empty() && e.proxy_coa == v.proxy_coa && e.att == att) return update(id);
    }
  }
  if (sessions.size() == 1 && hi == HandoffIndicator::kUnknown && !dereg) {  // B.3 / C.2
    if (cache_.find(sessions.front())->state == BceState::kDeletePending) return update(sessions.front());
    if (config_.wait_on_unknown_handoff) {
      Decision d;
      d.kind = Decision::kWait;
      d.entry = sessions.front();
      return d;
    }
  }
  return fallback();
}

void LmaEngine::apply(const Now& now, const PbuView& v, const Decision& d) {
  switch (d.kind) {
    case Decision::kReject:
      return reject(now, v, d.status);
    case Decision::kIgnore:
      // De-registration for no session: RFC 5213 §5.4.1 silently ignores it.
      ++counters_.pbu_ignored;
      event(EventKind::kMessageDropped, &v.mn, 0, 0, "de-registration for no binding ignored");
      return;
    case Decision::kNew:
    case Decision::kNewShared:
      if (EntryId id = create_session(now, v, d.kind == Decision::kNewShared ? d.shared : std::vector<wire::Ipv6Prefix>{})) {
        after_multipath_accept(v, id);
      }
      return;
    case Decision::kUpdate:
      if (v.deregistration()) return deregister(now, v, d.entry);
      update_session(now, v, d.entry);
      after_multipath_accept(v, d.entry);
      return;
    case Decision::kWait: {
      std::uint64_t id = next_pending_++;
      pending_.emplace(id, PendingPbu{v.src, v.dst, *v.message, d.entry});
      timers_.arm({TimerKind::kPendingNew, id}, now.mono + config_.max_delay_before_new_bce_assign);
      event(EventKind::kMessageDropped, &v.mn, d.entry, 0,
            "HI 4: waiting for the previous MAG's de-registration before a new session");
      return;
    }
  }
}

// PROTOCOL.md §7.5. `shared`: the prefix set of an HI 6 attachment.
EntryId LmaEngine::create_session(const Now& now, const PbuView& v, std::vector<wire::Ipv6Prefix> shared) {
  if (v.deregistration()) {
    ++counters_.pbu_ignored;
    event(EventKind::kMessageDropped, &v.mn, 0, 0, "de-registration for no binding ignored");
    return 0;
  }
  const bool sharing = !shared.empty();  // HI 6 (RFC 7864) or another path of a multipath binding
  std::vector<wire::Ipv6Prefix> prefixes;
  std::vector<wire::Ipv6Prefix> reserved;  // taken from the pool here: given back on failure
  PrefixPool* pool = policy_.pool();
  if (!shared.empty()) {
    prefixes = std::move(shared);
  } else if (auto requested = v.nonzero_prefixes(); !requested.empty()) {
    for (const auto& p : requested) {
      if (policy_.owns_static(*v.profile, p) && cache_.by_prefix(p).empty()) {
        prefixes.push_back(p);
      } else if (pool && pool->contains(p) && pool->reserve(p)) {
        prefixes.push_back(p);
        reserved.push_back(p);
      } else {
        release_prefixes(reserved);
        reject(now, v, BaStatus::kNotAuthorizedForHnp);
        return 0;
      }
    }
  } else {
    for (const auto& p : v.profile->static_prefixes) {
      if (prefixes.size() == v.profile->prefixes_per_session) break;
      if (cache_.by_prefix(p).empty()) prefixes.push_back(p);
    }
    while (prefixes.size() < v.profile->prefixes_per_session) {
      auto p = pool ? pool->allocate() : std::nullopt;
      if (!p) {
        release_prefixes(reserved);
        reject(now, v, BaStatus::kInsufficientResources);
        return 0;
      }
      prefixes.push_back(*p);
      reserved.push_back(*p);
    }
  }

  BindingCacheEntry e;
  e.mn_id = v.mn;
  e.att = v.att->value;
  if (v.lli) e.mn_ll_id = v.lli->link_layer_id;
  e.prefixes = std::move(prefixes);
  e.shares_prefixes = sharing;
  e.proxy_coa = v.proxy_coa;
  e.registered = now.mono;
  // A BID still named by a cached flow is not handed out again: the flow belonged to an
  // interface that is gone, and a new registration, possibly with other prefixes, must not
  // inherit it (its MAG may not route the flow's prefix; seed 001 §5.2, RFC 6089 §4.2).
  // The flow stays inactive until it is moved, removed or an attach rule (§3.3) takes it.
  std::set<std::uint16_t> held;
  for (const auto* f : flows_.flows(v.mn)) held.insert(f->bids.begin(), f->bids.end());
  BindingCacheEntry& entry = cache_.insert(std::move(e), held);
  if (v.lla && !v.lla->address.is_zero()) {
    entry.mag_link_local = v.lla->address;
  } else if (config_.fixed_mag_link_local) {
    entry.mag_link_local = *config_.fixed_mag_link_local;
  } else {
    // A link-local address for the MAG on this MN's link, unique per entry (RFC 5213 §5.3.6).
    auto& o = entry.mag_link_local.octets;
    o[0] = 0xfe;
    o[1] = 0x80;
    o[8] = 0x02;  // universal/local bit: locally assigned
    for (int i = 0; i < 7; ++i) o[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(entry.id >> (8 * i));
  }
  grant(now, v, entry);
  entry.muho = v.profile->features.muho && wire::find_option<wire::MuhoOption>(*v.message) != nullptr;
  for (const auto& p : reserved) event(EventKind::kPrefixAllocated, &v.mn, entry.id, 0, p.to_string());
  tunnel_ref(entry.proxy_coa);
  for (const auto& p : entry.prefixes) {
    dataplane_.push_back(lma_op::RouteAdd{p, entry.id, entry.bid, entry.proxy_coa});
  }
  // After the entry's tunnel and routes: its flow rules point at them.
  apply_attach_flows(*v.profile, entry);
  event(EventKind::kBindingCreated, &v.mn, entry.id, 0,
        fmt::format("bid={} proxy-coa={} hi={}", entry.bid, entry.proxy_coa.to_string(),
                    static_cast<int>(v.handoff())));
  send_pba(now, v, BaStatus::kAccepted, &entry);
  notify_muho_peers(entry);
  refresh_downlink(v.mn, v.profile);
  return entry.id;
}

// §7.6 (same proxy-CoA) and §7.7 (handoff to a new proxy-CoA); also revives an entry in
// DELETE_PENDING (§7.8 step 3).
void LmaEngine::update_session(const Now& now, const PbuView& v, EntryId id) {
  BindingCacheEntry* e = cache_.find(id);
  auto old_path = e->path;
  bool revived = e->state == BceState::kDeletePending;
  if (revived) {
    timers_.cancel({TimerKind::kDelete, id});
    e->state = BceState::kActive;
  }
  e->att = v.att->value;
  if (v.lli) e->mn_ll_id = v.lli->link_layer_id;
  if (v.lla && !v.lla->address.is_zero()) e->mag_link_local = v.lla->address;
  bool handoff = e->proxy_coa != v.proxy_coa;
  if (handoff || revived) {
    wire::Ipv6Address old = e->proxy_coa;
    for (const auto& p : e->prefixes) dataplane_.push_back(lma_op::RouteRemove{p, id});
    if (handoff) {
      tunnel_ref(v.proxy_coa);
      cache_.set_proxy_coa(id, v.proxy_coa);
      tunnel_unref(old);
    }
    for (const auto& p : e->prefixes) dataplane_.push_back(lma_op::RouteAdd{p, id, e->bid, e->proxy_coa});
    event(EventKind::kBindingHandoff, &v.mn, id, 0,
          fmt::format("{} -> {}", old.to_string(), e->proxy_coa.to_string()));
  } else {
    event(EventKind::kBindingUpdated, &v.mn, id, 0, "refreshed");  // short: no allocation
  }
  grant(now, v, *e);
  send_pba(now, v, BaStatus::kAccepted, e);
  if (old_path && !e->path) {
    // A PBU without the Multipath Binding option took this path over (RFC 8278 §4.4: an
    // ordinary binding now): the binding's other paths through that MAG are over too.
    for (EntryId other : cache_.by_mn(v.mn)) {
      const auto* o = cache_.find(other);
      if (other != id && o->path && o->path->mag_id == old_path->mag_id) delete_entry(other, EventKind::kBindingDeleted);
    }
  }
  refresh_downlink(v.mn, v.profile);
}

// §7.8.
void LmaEngine::deregister(const Now& now, const PbuView& v, EntryId id) {
  BindingCacheEntry* e = cache_.find(id);
  if (e->proxy_coa != v.proxy_coa) {
    // A stale de-registration from the previous MAG must not end the session.
    ++counters_.pbu_ignored;
    event(EventKind::kMessageDropped, &v.mn, id, 0, "de-registration from a previous proxy-CoA ignored");
    return;
  }
  if (v.ts) e->timestamp = v.ts->value;
  if (!config_.timestamps) e->sequence = v.bu->sequence;
  e->last_pbu_sequence = v.bu->sequence;
  send_pba(now, v, BaStatus::kAccepted, e);
  if (e->state != BceState::kDeletePending) {
    e->state = BceState::kDeletePending;
    cancel_lifetime(*e);
    timers_.arm({TimerKind::kDelete, id}, now.mono + config_.min_delay_before_bce_delete);
    dataplane_.push_back(lma_op::EntryBlock{id});
    event(EventKind::kBindingDeregistered, &v.mn, id, 0, "delete pending");
    refresh_downlink(v.mn, v.profile);
  }
  resume_pending_for(now, id);
}

// An HI 4 request was waiting for exactly this de-registration: it becomes the handoff.
void LmaEngine::resume_pending_for(const Now& now, EntryId deregistered) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.awaiting != deregistered) {
      ++it;
      continue;
    }
    PendingPbu p = std::move(it->second);
    timers_.cancel({TimerKind::kPendingNew, it->first});
    it = pending_.erase(it);
    PbuView v = view_of(p.src, p.dst, p.message);
    v.profile = policy_.find(v.mn);
    if (!v.profile || !cache_.find(deregistered)) continue;
    update_session(now, v, deregistered);
    after_multipath_accept(v, deregistered);
  }
}

void LmaEngine::grant(const Now& now, const PbuView& v, BindingCacheEntry& e) {
  std::uint32_t max_units = config_.max_lifetime_s / wire::Lifetime::kUnitSeconds;
  e.lifetime = wire::Lifetime{static_cast<std::uint16_t>(std::min<std::uint32_t>(v.bu->lifetime.units, max_units))};
  e.expires = now.mono + seconds(e.lifetime.seconds());
  if (v.ts) e.timestamp = v.ts->value;
  if (!config_.timestamps) e.sequence = v.bu->sequence;
  e.last_pbu_sequence = v.bu->sequence;
  if (v.lli) {
    e.ifp = v.lli->ifp;
    e.primary = v.lli->primary;
  }
  if (v.mmb && v.mag_id) {
    BindingCacheEntry::MultipathPath path{v.mag_id->identifier, v.mmb->bid, v.mmb->if_att, v.mmb->if_label};
    if (!e.path || *e.path != path) e.path = std::make_shared<const BindingCacheEntry::MultipathPath>(std::move(path));
  } else {
    e.path.reset();  // a PBU without the option: an ordinary binding from now on (RFC 8278 §4.4)
  }
  arm_lifetime(e);
}

void LmaEngine::delete_entry(EntryId id, EventKind why) {
  BindingCacheEntry* e = cache_.find(id);
  if (!e) return;
  cancel_lifetime(*e);
  timers_.cancel({TimerKind::kDelete, id});
  for (const auto& p : e->prefixes) dataplane_.push_back(lma_op::RouteRemove{p, id});
  MnId mn = e->mn_id;
  auto prefixes = e->prefixes;
  auto coa = e->proxy_coa;
  auto bid = e->bid;
  BindingCacheEntry gone = *e;
  cache_.erase(id);
  notify_muho_peers(gone);
  tunnel_unref(coa);
  // Flows through this entry lose it; one with no live BID left turns inactive (seed 001 §5.2).
  for (const auto* f : flows_.flows(mn)) {
    if (std::find(f->bids.begin(), f->bids.end(), bid) != f->bids.end()) push_flow_rule(mn, *f);
  }
  // A prefix goes back to the pool once no entry (HI 6 siblings included) holds it.
  std::vector<wire::Ipv6Prefix> free;
  for (const auto& p : prefixes) {
    if (cache_.by_prefix(p).empty()) free.push_back(p);
  }
  for (const auto& p : free) {
    if (policy_.pool() && policy_.pool()->in_use(p)) event(EventKind::kPrefixReleased, &mn, id, 0, p.to_string());
  }
  release_prefixes(free);
  event(why, &mn, id, 0, "");
  refresh_downlink(mn, policy_.find(mn));
}

void LmaEngine::release_prefixes(const std::vector<wire::Ipv6Prefix>& prefixes) {
  if (auto* pool = policy_.pool()) {
    for (const auto& p : prefixes) pool->release(p);
  }
}

void LmaEngine::tunnel_ref(const wire::Ipv6Address& coa) {
  if (tunnel_users_[coa]++ == 0) dataplane_.push_back(lma_op::TunnelAdd{coa});
}

void LmaEngine::tunnel_unref(const wire::Ipv6Address& coa) {
  auto it = tunnel_users_.find(coa);
  if (it == tunnel_users_.end()) return;
  if (--it->second == 0) {
    tunnel_users_.erase(it);
    dataplane_.push_back(lma_op::TunnelRemove{coa});
  }
}

void LmaEngine::arm_lifetime(BindingCacheEntry& e) {
  if (e.lifetime_deadline != Instant{} && e.lifetime_deadline <= e.expires) return;  // fires, then re-arms
  cancel_lifetime(e);
  lifetimes_.emplace(e.expires, e.id);
  e.lifetime_deadline = e.expires;
}

void LmaEngine::cancel_lifetime(BindingCacheEntry& e) {
  if (e.lifetime_deadline == Instant{}) return;
  lifetimes_.erase({e.lifetime_deadline, e.id});
  e.lifetime_deadline = Instant{};
}

std::optional<Instant> LmaEngine::poll_timeout() const {
  auto t = timers_.next();
  if (!lifetimes_.empty() && (!t || lifetimes_.begin()->first < *t)) t = lifetimes_.begin()->first;
  return t;
}

void LmaEngine::handle_timeout(const Now& now) {
  while (!lifetimes_.empty() && lifetimes_.begin()->first <= now.mono) {
    EntryId id = lifetimes_.begin()->second;
    lifetimes_.erase(lifetimes_.begin());
    auto* e = cache_.find(id);
    if (!e) continue;
    e->lifetime_deadline = Instant{};
    if (e->expires > now.mono) {
      arm_lifetime(*e);  // refreshed since this deadline was armed
      continue;
    }
    ++counters_.expired;
    delete_entry(id, EventKind::kBindingExpired);
  }
  while (auto key = timers_.pop_due(now.mono)) {
    switch (key->kind) {
      case TimerKind::kDelete:
        delete_entry(key->id, EventKind::kBindingDeleted);
        break;
      case TimerKind::kFmiRetransmit: {
        auto it = moves_.find(key->id);
        if (it == moves_.end()) break;
        auto& mv = it->second;
        if (mv.transmissions > config_.upn_max_retransmissions) {
          finish_move(key->id, false, 0, "no FMA");
          break;
        }
        // RFC 7077 §6.2: the same message with D set.
        for (auto& t : mv.targets) {
          if (t.acknowledged) continue;
          std::get<wire::UpdateNotification>(t.fmi.body).retransmission = true;
          transmits_.push_back(Transmit{config_.address, t.proxy_coa, t.fmi});
          ++counters_.fmi_retransmitted;
        }
        ++mv.transmissions;
        timers_.arm({TimerKind::kFmiRetransmit, key->id}, now.mono + config_.upn_retransmit_delay);
        break;
      }
      case TimerKind::kPendingNew: {
        // MaxDelayBeforeNewBCEAssign passed with no de-registration: a new session.
        auto it = pending_.find(key->id);
        if (it == pending_.end()) break;
        PendingPbu p = std::move(it->second);
        pending_.erase(it);
        PbuView v = view_of(p.src, p.dst, p.message);
        v.profile = policy_.find(v.mn);
        if (v.profile) {
          if (EntryId id = create_session(now, v, {})) after_multipath_accept(v, id);
        }
        break;
      }
    }
  }
}

void LmaEngine::reject(const Now& now, const PbuView& v, BaStatus status, const BindingCacheEntry* e,
                       std::optional<std::uint16_t> sequence_override) {
  ++counters_.pba_rejected;
  ++counters_.rejects_by_status[static_cast<std::uint8_t>(status)];
  event(EventKind::kPbuRejected, v.mn_id ? &v.mn : nullptr, e ? e->id : 0, static_cast<std::uint32_t>(status), "");
  send_pba(now, v, status, e, sequence_override);
}

// PROTOCOL.md §7.10.
void LmaEngine::send_pba(const Now& now, const PbuView& v, BaStatus status, const BindingCacheEntry* e,
                         std::optional<std::uint16_t> sequence_override) {
  bool ok = wire::is_accepted(status);
  if (ok) ++counters_.pba_accepted;
  wire::BindingAck ba{status, wire::ba_flag::kP, sequence_override.value_or(v.bu->sequence),
                      ok && e ? e->lifetime : wire::Lifetime{0}};
  std::vector<wire::MobilityOption> opts;
  opts.push_back(v.mn_id ? *v.mn_id : wire::MnIdOption{wire::MnIdSubtype::kNai, ""});
  if (ok && e) {
    for (const auto& p : e->prefixes) opts.push_back(wire::HnpOption{false, p});
    // Seed 001 §3.3: the PBA carries what an FMI would: the prefixes this MAG routes
    // off-link (L = 1), as a complete list.
    for (const auto& p : e->off_link_prefixes) opts.push_back(wire::HnpOption{true, p});
  } else if (v.hnps.empty()) {
    opts.push_back(wire::HnpOption{});
  } else {
    for (const auto* h : v.hnps) opts.push_back(*h);
  }
  opts.push_back(wire::HandoffIndicatorOption{v.hi ? v.hi->value : HandoffIndicator::kReserved});
  opts.push_back(wire::AccessTechTypeOption{v.att ? v.att->value : wire::AccessTech::kReserved});
  if (v.ts) {
    bool lma_time = status == BaStatus::kTimestampMismatch || status == BaStatus::kTimestampLowerThanPrevAccepted;
    opts.push_back(wire::TimestampOption{lma_time ? to_timestamp(now.wall) : v.ts->value});
  }
  if (v.lli) opts.push_back(*v.lli);
  if (v.lla) opts.push_back(wire::LinkLocalAddressOption{ok && e ? e->mag_link_local : v.lla->address});
  if (ok && e && e->muho) {
    // Seed 002 §5.2.2: one MuHo option per prefix of the MN's other interfaces, or one
    // empty option when there is none.
    auto others = other_prefixes(*e);
    if (others.empty()) opts.push_back(wire::MuhoOption{});
    for (const auto& p : others) opts.push_back(wire::MuhoOption{p});
  }
  if (ok && e && !e->off_link_prefixes.empty() && config_.fmi_flow_information) {
    add_flow_information(e->mn_id, e->bid, opts, nullptr);
  }
  if (v.mmb) {
    // RFC 8278 §4.4: accepted, the Multipath Binding option alone; refused, both echoed.
    opts.push_back(*v.mmb);
    if (!ok && v.mag_id) opts.push_back(*v.mag_id);
  }
  transmits_.push_back(Transmit{v.dst, v.src, wire::Message{ba, std::move(opts)}});
}

// ---- flow mobility (seed 001) --------------------------------------------------------------

bool LmaEngine::flow_move_pending(const MnId& mn) const {
  return std::any_of(moves_.begin(), moves_.end(), [&](const auto& m) { return m.second.mn == mn; });
}

// The MN prefix a flow's destination falls in (selectors describe CN -> MN packets).
std::optional<wire::Ipv6Prefix> LmaEngine::flow_prefix(const MnId& mn, const FlowEntry& flow) const {
  const auto* v6 = std::get_if<wire::Ipv6TrafficSelector>(&flow.selector);
  if (!v6 || !v6->dst) return std::nullopt;
  for (EntryId id : cache_.by_mn(mn)) {
    for (const auto& p : cache_.find(id)->prefixes) {
      if (p.contains(v6->dst->start)) return p;
    }
  }
  return std::nullopt;
}

// A new FID for an MN that already has max_flows_per_mn flows is refused.
std::optional<std::string> LmaEngine::flow_limit(const MnId& mn, std::uint16_t fid) const {
  auto flows = flows_.flows(mn);
  if (flows_.find(mn, fid) || flows.size() < config_.max_flows_per_mn) return std::nullopt;
  return fmt::format("{} already has {} flows, the most one MN may have", mn.to_string(), flows.size());
}

std::optional<std::string> LmaEngine::move_flow(const Now& now, const MnId& mn, std::uint16_t fid, std::uint16_t bid) {
  const auto* f = flows_.find(mn, fid);
  if (!f) return fmt::format("flow {} of {} not found", fid, mn.to_string());
  FlowEntry moved = *f;
  moved.bids = {bid};
  moved.action = FlowAction::kForward;
  return set_flow(now, mn, moved);
}

std::optional<std::string> LmaEngine::set_flow(const Now& now, const MnId& mn, const FlowEntry& flow) {
  auto entries = cache_.by_mn(mn);
  if (entries.empty()) return fmt::format("{} has no binding", mn.to_string());
  if (flow_move_pending(mn)) return fmt::format("a flow change for {} is waiting for an FMA", mn.to_string());
  if (flow.fid == 0) return std::string("FID 0 is reserved");
  if (auto full = flow_limit(mn, flow.fid)) return full;
  for (const auto* other : flows_.flows(mn)) {
    if (other->fid != flow.fid && other->priority == flow.priority) {
      return fmt::format("FID-PRI {} is used by FID {}", flow.priority, other->fid);
    }
  }
  if (const auto* raw = std::get_if<wire::RawTrafficSelector>(&flow.selector)) {
    return fmt::format("traffic selector format {} not supported", raw->format);
  }
  for (auto bid : flow.bids) {
    if (!cache_.by_bid(mn, bid)) return fmt::format("BID {} not found for {}", bid, mn.to_string());
  }
  if (flow.action == FlowAction::kForward && flow.bids.empty()) return std::string("a forwarded flow needs a BID");

  // Prefixes the flow's packets carry: its destination's, or all the MN's without one.
  std::set<wire::Ipv6Prefix> needed;
  if (auto own = flow_prefix(mn, flow)) {
    needed.insert(*own);
  } else {
    for (EntryId id : entries) {
      for (const auto& p : cache_.find(id)->prefixes) needed.insert(p);
    }
  }
  PendingMove move{mn, flow, {}, 1};
  if (flow.action == FlowAction::kForward) {
    for (auto bid : flow.bids) {
      const auto* t = cache_.by_bid(mn, bid);
      std::set<wire::Ipv6Prefix> off(t->off_link_prefixes.begin(), t->off_link_prefixes.end());
      auto known = known_off_link(*t);
      bool missing = false;
      for (const auto& p : needed) {
        bool on_link = std::find(t->prefixes.begin(), t->prefixes.end(), p) != t->prefixes.end();
        bool routed = std::find(known.begin(), known.end(), p) != known.end();
        if (!on_link && !routed && off.insert(p).second) missing = true;
      }
      // Shared prefix, already routed there, or a MuHo MAG that routes every prefix of the
      // MN (seed 002 §4.3): no signaling (seed 001 §3.2.1).
      if (!missing) continue;
      // FMI: MN-ID first, then the complete off-link list with L = 1 (seed 001 §4.2).
      PendingMove::Target target{t->id, std::vector<wire::Ipv6Prefix>(off.begin(), off.end()), {}, t->proxy_coa, false};
      wire::Message fmi{wire::UpdateNotification{upn_sequence_++, wire::NotificationReason::kFlowMobility, true, false},
                        {mn.to_option()}};
      for (const auto& p : target.off_link) fmi.options.push_back(wire::HnpOption{true, p});
      if (config_.fmi_flow_information) add_flow_information(mn, bid, fmi.options, &flow);
      target.fmi = std::move(fmi);
      move.targets.push_back(std::move(target));
    }
  }
  if (move.targets.empty()) {
    std::vector<std::uint16_t> before;
    if (const auto* old = flows_.find(mn, flow.fid)) before = old->bids;
    apply_flow(mn, flow);
    update_flow_information(mn, before, flow.bids, {});
    ++counters_.flow_moves;
    flow_event(EventKind::kFlowMoved, mn, 0, flow.fid, 0, fmt::format("fid={} no signaling", flow.fid));
    return std::nullopt;
  }
  std::uint64_t id = std::get<wire::UpdateNotification>(move.targets.front().fmi.body).sequence;
  for (const auto& t : move.targets) {
    transmits_.push_back(Transmit{config_.address, t.proxy_coa, t.fmi});
    ++counters_.fmi_sent;
  }
  moves_.emplace(id, std::move(move));
  timers_.arm({TimerKind::kFmiRetransmit, id}, now.mono + config_.upn_retransmit_delay);
  return std::nullopt;
}

std::optional<std::string> LmaEngine::remove_flow(const MnId& mn, std::uint16_t fid) {
  if (flow_move_pending(mn)) return fmt::format("a flow change for {} is waiting for an FMA", mn.to_string());
  const auto* f = flows_.find(mn, fid);
  if (!f) return fmt::format("flow {} of {} not found", fid, mn.to_string());
  auto before = f->bids;
  flows_.remove(mn, fid);
  dataplane_.push_back(lma_op::FlowRuleRemove{mn, fid});
  update_flow_information(mn, before, {}, {});
  flow_event(EventKind::kFlowRemoved, mn, 0, fid, 0, fmt::format("fid={}", fid));
  return std::nullopt;
}

void LmaEngine::apply_flow(const MnId& mn, const FlowEntry& flow) {
  flows_.upsert(mn, flow);  // validated by set_flow
  push_flow_rule(mn, flow);
}

void LmaEngine::push_flow_rule(const MnId& mn, const FlowEntry& flow) {
  std::vector<EntryId> live;
  for (auto bid : flow.bids) {
    if (const auto* e = cache_.by_bid(mn, bid)) live.push_back(e->id);
  }
  if (flow.action == FlowAction::kForward && live.empty()) {
    dataplane_.push_back(lma_op::FlowRuleRemove{mn, flow.fid});  // inactive
    return;
  }
  dataplane_.push_back(lma_op::FlowRuleSet{mn, flow.fid, flow.priority, flow.selector, std::move(live), flow.action});
}

void LmaEngine::on_upa(const wire::Ipv6Address& src, const wire::Message& m) {
  const auto& upa = std::get<wire::UpdateNotificationAck>(m.body);
  for (auto& [id, mv] : moves_) {
    for (auto& t : mv.targets) {
      if (t.proxy_coa != src || std::get<wire::UpdateNotification>(t.fmi.body).sequence != upa.sequence) continue;
      auto status = static_cast<std::uint8_t>(upa.status);
      if (status >= 128) {
        // 131 reason unspecified, 132 MN not attached (RFC 7864): nothing changes.
        finish_move(id, false, status, "FMA rejected the move");
        return;
      }
      t.acknowledged = true;
      if (std::all_of(mv.targets.begin(), mv.targets.end(), [](const auto& x) { return x.acknowledged; })) {
        std::set<EntryId> informed;
        for (const auto& x : mv.targets) {
          if (auto* e = cache_.find(x.entry)) e->off_link_prefixes = x.off_link;
          informed.insert(x.entry);
        }
        std::vector<std::uint16_t> before;
        if (const auto* old = flows_.find(mv.mn, mv.flow.fid)) before = old->bids;
        apply_flow(mv.mn, mv.flow);
        update_flow_information(mv.mn, before, mv.flow.bids, informed);
        finish_move(id, true, 0, "");
      }
      return;
    }
  }
  auto known = std::find(unconfirmed_upns_.begin(), unconfirmed_upns_.end(), std::pair{src, upa.sequence});
  if (known != unconfirmed_upns_.end()) {
    unconfirmed_upns_.erase(known);
    return;
  }
  // Late FMAs and answers to nothing end here: discarded and counted (PROTOCOL.md §10).
  ++counters_.unexpected;
  event(EventKind::kMessageDropped, nullptr, 0, 0, fmt::format("UPA seq {} answers no pending FMI", upa.sequence));
}

void LmaEngine::finish_move(std::uint64_t id, bool ok, std::uint32_t status, const std::string& why) {
  auto it = moves_.find(id);
  if (it == moves_.end()) return;
  timers_.cancel({TimerKind::kFmiRetransmit, id});
  if (ok) {
    ++counters_.flow_moves;
    flow_event(EventKind::kFlowMoved, it->second.mn, 0, it->second.flow.fid, 0,
               fmt::format("fid={} after FMA", it->second.flow.fid));
  } else {
    ++counters_.flow_moves_failed;
    flow_event(EventKind::kFlowMoveFailed, it->second.mn, 0, it->second.flow.fid, status,
               fmt::format("fid={}: {}", it->second.flow.fid, why));
  }
  moves_.erase(it);
}

// Flow-level information (seed 001 §3.4): every flow of the MN that uses entry `bid`, with
// `replacing` standing in for the cached flow of the same FID.
void LmaEngine::add_flow_information(const MnId& mn, std::uint16_t bid, std::vector<wire::MobilityOption>& out,
                                     const FlowEntry* replacing) const {
  auto add = [&](const FlowEntry& f) {
    if (std::find(f.bids.begin(), f.bids.end(), bid) == f.bids.end()) return;
    wire::FlowIdOption o;
    o.fid = f.fid;
    o.priority = f.priority;
    o.selector = f.selector;
    o.bid_refs = {bid};
    out.push_back(std::move(o));
  };
  for (const auto* f : flows_.flows(mn)) {
    if (!replacing || f->fid != replacing->fid) add(*f);
  }
  if (replacing) add(*replacing);
}

// Seed 001 §3.4: a MAG that was given flow-level information (an FMI or PBA with off-link
// prefixes, when fmi_flow_information is on) holds the complete list of the MN's flows through
// it. When a flow joins or leaves one of its entries without an FMI to it (a move that needs
// no prefix there, a removal, a move away), an FMI repeating the off-link prefixes and the
// current list refreshes it; a flow left out is removed at the MAG by omission. `informed`:
// entries that just got the list in this change's own FMI or PBA. Not retransmitted: the
// list is informational at the MAG, which forwards by prefix.
void LmaEngine::update_flow_information(const MnId& mn, const std::vector<std::uint16_t>& before,
                                        const std::vector<std::uint16_t>& after, const std::set<EntryId>& informed) {
  if (!config_.fmi_flow_information) return;
  std::set<std::uint16_t> a(before.begin(), before.end()), b(after.begin(), after.end()), changed;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(changed, changed.end()));
  for (auto bid : changed) {
    const auto* e = cache_.by_bid(mn, bid);
    if (!e || e->state != BceState::kActive || e->off_link_prefixes.empty() || informed.count(e->id)) continue;
    wire::Message fmi{wire::UpdateNotification{upn_sequence_++, wire::NotificationReason::kFlowMobility, true, false},
                      {mn.to_option()}};
    for (const auto& p : e->off_link_prefixes) fmi.options.push_back(wire::HnpOption{true, p});
    add_flow_information(mn, bid, fmi.options, nullptr);
    expect_upa(e->proxy_coa, std::get<wire::UpdateNotification>(fmi.body).sequence);
    transmits_.push_back(Transmit{config_.address, e->proxy_coa, std::move(fmi)});
    ++counters_.flow_info_updates_sent;
  }
}

void LmaEngine::expect_upa(const wire::Ipv6Address& mag, std::uint16_t sequence) {
  constexpr std::size_t kMaxUnconfirmed = 1024;
  if (unconfirmed_upns_.size() == kMaxUnconfirmed) unconfirmed_upns_.pop_front();
  unconfirmed_upns_.emplace_back(mag, sequence);
}

// Prefixes the entry's MAG already routes to the MN without an FMI: a MuHo MAG has every
// prefix of the MN's other active entries (seed 002 §5.2.1).
std::vector<wire::Ipv6Prefix> LmaEngine::known_off_link(const BindingCacheEntry& e) const {
  return e.muho ? other_prefixes(e) : std::vector<wire::Ipv6Prefix>{};
}

// Seed 001 §3.3: flows the profile moves to a new attachment of this access technology. The
// PBA about to be sent carries the off-link prefixes they need, so no FMI follows.
void LmaEngine::apply_attach_flows(const MnProfile& profile, BindingCacheEntry& e) {
  for (const auto& rule : profile.attach_flows) {
    if (rule.att != e.att) continue;
    if (flow_move_pending(e.mn_id)) {
      flow_event(EventKind::kFlowMoveFailed, e.mn_id, e.id, rule.flow.fid, 0,
                 fmt::format("fid={}: a flow change is waiting for an FMA", rule.flow.fid));
      continue;
    }
    if (auto full = flow_limit(e.mn_id, rule.flow.fid)) {
      flow_event(EventKind::kFlowMoveFailed, e.mn_id, e.id, rule.flow.fid, 0, fmt::format("fid={}: {}", rule.flow.fid, *full));
      continue;
    }
    FlowEntry f = rule.flow;
    std::vector<std::uint16_t> before;
    if (const auto* old = flows_.find(e.mn_id, f.fid)) before = old->bids;
    f.bids = {e.bid};
    f.action = FlowAction::kForward;
    std::set<wire::Ipv6Prefix> needed;
    if (auto own = flow_prefix(e.mn_id, f)) {
      needed.insert(*own);
    } else {
      for (EntryId id : cache_.by_mn(e.mn_id)) {
        const auto& ps = cache_.find(id)->prefixes;
        needed.insert(ps.begin(), ps.end());
      }
    }
    std::set<wire::Ipv6Prefix> off(e.off_link_prefixes.begin(), e.off_link_prefixes.end());
    auto known = known_off_link(e);
    for (const auto& p : needed) {
      bool on_link = std::find(e.prefixes.begin(), e.prefixes.end(), p) != e.prefixes.end();
      if (!on_link && std::find(known.begin(), known.end(), p) == known.end()) off.insert(p);
    }
    if (auto why = flows_.upsert(e.mn_id, f)) {
      flow_event(EventKind::kFlowMoveFailed, e.mn_id, e.id, f.fid, 0, fmt::format("fid={}: {}", f.fid, *why));
      continue;
    }
    e.off_link_prefixes.assign(off.begin(), off.end());
    push_flow_rule(e.mn_id, f);
    update_flow_information(e.mn_id, before, f.bids, {e.id});  // e learns it from the PBA
    ++counters_.flow_moves;
    flow_event(EventKind::kFlowMoved, e.mn_id, e.id, f.fid, 0, fmt::format("fid={} in the PBA", f.fid));
  }
}

// ---- multihoming (seed 002) ---------------------------------------------------------------

std::vector<wire::Ipv6Prefix> LmaEngine::other_prefixes(const BindingCacheEntry& e) const {
  std::set<wire::Ipv6Prefix> out;
  for (EntryId id : cache_.by_mn(e.mn_id)) {
    const auto* o = cache_.find(id);
    if (id == e.id || o->state != BceState::kActive) continue;
    for (const auto& p : o->prefixes) {
      if (std::find(e.prefixes.begin(), e.prefixes.end(), p) == e.prefixes.end()) out.insert(p);
    }
  }
  return {out.begin(), out.end()};
}

// Seed 002 §5.2.3 leaves open how the previous MAGs learn a new prefix set; pmipx sends each
// MuHo entry's MAG an Update Notification (RFC 7077, reason UPDATE-SESSION-PARAMETERS, A=1)
// carrying the MN-ID and the complete MuHo list for that entry, as the PBA would have.
void LmaEngine::notify_muho_peers(const BindingCacheEntry& changed) {
  for (EntryId id : cache_.by_mn(changed.mn_id)) {
    const auto* e = cache_.find(id);
    if (id == changed.id || !e->muho || e->state != BceState::kActive) continue;
    wire::Message upn{wire::UpdateNotification{upn_sequence_++, wire::NotificationReason::kUpdateSessionParameters,
                                               true, false},
                      {e->mn_id.to_option()}};
    auto others = other_prefixes(*e);
    if (others.empty()) upn.options.push_back(wire::MuhoOption{});
    for (const auto& p : others) upn.options.push_back(wire::MuhoOption{p});
    expect_upa(e->proxy_coa, std::get<wire::UpdateNotification>(upn.body).sequence);
    transmits_.push_back(Transmit{config_.address, e->proxy_coa, std::move(upn)});
    ++counters_.muho_updates_sent;
  }
}

// ---- MAG multipath (seed 004, RFC 8278) ---------------------------------------------------

// A path is named by (MN, MAG Identifier, Binding-Id). The first path of a MAG follows the
// RFC 5213 rules; a further path shares the prefixes of the paths already registered.
LmaEngine::Decision LmaEngine::lookup_multipath(const PbuView& v) const {
  std::vector<const BindingCacheEntry*> same_mag;
  for (EntryId id : cache_.by_mn(v.mn)) {
    const auto* e = cache_.find(id);
    if (e->path && e->path->mag_id == v.mag_id->identifier) same_mag.push_back(e);
  }
  Decision d;
  for (const auto* e : same_mag) {
    if (e->path->bid == v.mmb->bid) {
      d.kind = Decision::kUpdate;
      d.entry = e->id;
      return d;
    }
  }
  if (same_mag.empty()) return lookup(v);
  if (v.deregistration()) {
    d.kind = Decision::kIgnore;
    return d;
  }
  const auto& have = same_mag.front()->prefixes;
  auto requested = v.nonzero_prefixes();
  if (!requested.empty() && std::set<wire::Ipv6Prefix>(requested.begin(), requested.end()) !=
                                std::set<wire::Ipv6Prefix>(have.begin(), have.end())) {
    d.kind = Decision::kReject;
    d.status = BaStatus::kBcePbuPrefixSetDoNotMatch;
    return d;
  }
  d.kind = Decision::kNewShared;
  d.shared = have;
  return d;
}

// RFC 8278 §4.1: B extends every binding of the MN through this MAG to the lifetime just
// granted; O replaces all the MN's other bindings with this one.
void LmaEngine::after_multipath_accept(const PbuView& v, EntryId id) {
  if (!v.mmb) return;
  const auto* e = cache_.find(id);
  if (!e || e->state != BceState::kActive) return;
  if (v.mmb->bulk) {
    for (EntryId other : cache_.by_mn(v.mn)) {
      auto* o = cache_.find(other);
      if (other == id || o->state != BceState::kActive || !o->path || o->path->mag_id != e->path->mag_id) continue;
      o->lifetime = e->lifetime;
      o->expires = e->expires;
      arm_lifetime(*o);
      event(EventKind::kBindingUpdated, &v.mn, other, 0, fmt::format("bulk re-registration with bid {}", e->path->bid));
    }
    ++counters_.multipath_bulk_refreshes;
  }
  if (v.mmb->overwrite) {
    for (EntryId other : cache_.by_mn(v.mn)) {
      if (other != id) delete_entry(other, EventKind::kBindingDeleted);
    }
    ++counters_.multipath_overwrites;
  }
}

// ---- downlink plans (seeds 003 and 004) ---------------------------------------------------

namespace {
template <class Set, class Remove>
void publish(std::map<MnId, Set>& last, const MnId& mn, std::optional<Set> want, std::deque<LmaDataplaneOp>& out) {
  auto it = last.find(mn);
  if (!want) {
    if (it == last.end()) return;
    last.erase(it);
    out.push_back(Remove{mn});
    return;
  }
  if (it != last.end() && it->second == *want) return;
  out.push_back(*want);
  last[mn] = std::move(*want);
}
}  // namespace

// Recomputed after every change to an MN's entries; the data plane hears only differences.
void LmaEngine::refresh_downlink(const MnId& mn, const MnProfile* profile) {
  if (!profile || (!profile->features.primary_hoa && !profile->features.multipath)) return;
  std::vector<const BindingCacheEntry*> active;
  for (EntryId id : cache_.by_mn(mn)) {
    const auto* e = cache_.find(id);
    if (e->state == BceState::kActive && !e->prefixes.empty()) active.push_back(e);
  }
  if (profile->features.primary_hoa) {
    // Seed 003 §4.1: the highest IFP wins; the primary interface's HoA is the one the
    // correspondents know. The newest P entry is the primary if several claim it.
    const BindingCacheEntry* primary = nullptr;
    int top = -1;
    for (const auto* e : active) {
      if (e->primary && (!primary || e->registered >= primary->registered)) primary = e;
      top = std::max<int>(top, e->ifp);
    }
    std::optional<lma_op::PrimaryHoaSet> want;
    if (primary) {
      lma_op::PrimaryHoaSet s{mn, primary->prefixes.front(), primary->id, {}, {}};
      std::set<wire::Ipv6Prefix> all;
      for (const auto* e : active) {
        all.insert(e->prefixes.begin(), e->prefixes.end());
        if (e->ifp != top) continue;
        bool rewrite = e->id != primary->id && e->prefixes.front() != primary->prefixes.front();
        s.targets.push_back({e->id, e->proxy_coa, e->prefixes.front(), rewrite});
      }
      s.mn_prefixes.assign(all.begin(), all.end());
      want = std::move(s);
    }
    publish<lma_op::PrimaryHoaSet, lma_op::PrimaryHoaRemove>(primary_hoa_, mn, std::move(want), dataplane_);
  }
  if (profile->features.multipath) {
    std::vector<const BindingCacheEntry*> paths;
    for (const auto* e : active) {
      if (e->path) paths.push_back(e);
    }
    std::sort(paths.begin(), paths.end(), [](const auto* a, const auto* b) { return a->path->bid < b->path->bid; });
    std::optional<lma_op::MultipathSet> want;
    if (!paths.empty()) {
      lma_op::MultipathSet s;
      s.mn = mn;
      std::set<wire::Ipv6Prefix> all;
      for (const auto* e : paths) {
        all.insert(e->prefixes.begin(), e->prefixes.end());
        s.entries.push_back(e->id);
        s.paths.push_back(TunnelPath{e->path->bid, e->proxy_coa, e->path->label, profile->multipath.weight(e->path->label)});
      }
      s.prefixes.assign(all.begin(), all.end());
      s.distribution = profile->multipath.distribution;
      s.rules = resolve_rules(profile->multipath, s.paths);
      want = std::move(s);
    }
    publish<lma_op::MultipathSet, lma_op::MultipathRemove>(multipath_, mn, std::move(want), dataplane_);
  }
}

}  // namespace pmipx::core
