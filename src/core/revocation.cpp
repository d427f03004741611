#include "core/revocation.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/overloaded.hpp"

namespace pmipx::core {

using wire::RevocationStatus;
using wire::RevocationTrigger;

namespace {

std::uint8_t value(RevocationTrigger t) { return static_cast<std::uint8_t>(t); }

// Per-MN triggers are below 128, global ones 128 and 129 (PROTOCOL.md §1.7, §3.5).
bool is_global(RevocationTrigger t) {
  return t == RevocationTrigger::kPerPeerPolicy || t == RevocationTrigger::kMobilityNodeLocalPolicy;
}
bool is_per_mn(RevocationTrigger t) { return value(t) < 128; }

std::string_view strip_at(std::string_view realm) {
  if (!realm.empty() && realm.front() == '@') realm.remove_prefix(1);
  return realm;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// NAI realms compare case-insensitively.
bool same_realm(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

// The realm of an NAI ("user@realm" -> "realm"), empty without one.
std::string_view realm_of(const MnId& mn) {
  if (mn.subtype != wire::MnIdSubtype::kNai) return {};
  auto at = mn.value.rfind('@');
  return at == std::string::npos ? std::string_view{} : std::string_view{mn.value}.substr(at + 1);
}

const char* outcome_name(RevocationResult::Outcome o) {
  return o == RevocationResult::Outcome::kAcknowledged ? "acknowledged" : "timed-out";
}

std::string spec_text(const BriSpec& spec) {
  return std::visit(Overloaded{
                        [](const bri::Session& s) { return fmt::format("session mn={}", s.mn.to_string()); },
                        [](const bri::AllSessions&) { return std::string{"all-sessions"}; },
                        [](const bri::Realm& r) { return fmt::format("realm=@{}", strip_at(r.realm)); },
                        [](const bri::MagBulk& m) { return fmt::format("mag-bulk id={}", m.mag.to_string()); },
                    },
                    spec);
}

}  // namespace

// ---- What to revoke ------------------------------------------------------------------------

std::optional<std::string> validate(const BriSpec& spec) {
  return std::visit(
      Overloaded{
          [](const bri::Session& s) -> std::optional<std::string> {
            if (!is_per_mn(s.trigger)) {
              return fmt::format("trigger {} is global; a single session needs one below 128", value(s.trigger));
            }
            if (s.mn.value.empty()) return std::string{"session revocation without an MN identifier"};
            if (s.hnps.empty()) return std::string{"session revocation without a home network prefix"};
            return std::nullopt;
          },
          [](const bri::AllSessions&) -> std::optional<std::string> { return std::nullopt; },
          [](const bri::Realm& r) -> std::optional<std::string> {
            auto realm = strip_at(r.realm);
            if (realm.empty() || realm.find('@') != std::string_view::npos) {
              return fmt::format("bad realm '{}'", r.realm);
            }
            return std::nullopt;
          },
          [](const bri::MagBulk& m) -> std::optional<std::string> {
            if (!is_global(m.trigger)) {
              return fmt::format("trigger {} is per-MN; a bulk revocation needs 128 or 129", value(m.trigger));
            }
            if (m.mag.value.empty()) return std::string{"bulk revocation without the MAG's identifier"};
            return std::nullopt;
          },
      },
      spec);
}

wire::Message build_bri(const BriSpec& spec, std::uint16_t sequence) {
  wire::BindingRevocationIndication b;
  b.sequence = sequence;
  b.flags.proxy = true;
  std::vector<wire::MobilityOption> options;
  std::visit(Overloaded{
                 [&](const bri::Session& s) {
                   // MN-ID and HNP are mandatory for a single proxy session (PROTOCOL.md §3.5).
                   b.trigger = s.trigger;
                   b.flags.ipv4_only = s.ipv4_home_address.has_value();
                   options.emplace_back(s.mn.to_option());
                   for (const auto& p : s.hnps) options.emplace_back(wire::HnpOption{false, p});
                   if (s.ipv4_home_address) options.emplace_back(*s.ipv4_home_address);
                 },
                 [&](const bri::AllSessions&) {
                   // Per-Peer Policy carries no option at all (PROTOCOL.md §9.2).
                   b.trigger = RevocationTrigger::kPerPeerPolicy;
                   b.flags.global = true;
                 },
                 [&](const bri::Realm& r) {
                   b.trigger = RevocationTrigger::kMobilityNodeLocalPolicy;
                   b.flags.global = true;
                   options.emplace_back(MnId::nai("@" + std::string{strip_at(r.realm)}).to_option());
                   if (r.proxy_coa) options.emplace_back(wire::AlternateCoaOption{*r.proxy_coa});
                 },
                 [&](const bri::MagBulk& m) {
                   b.trigger = m.trigger;
                   b.flags.global = true;
                   options.emplace_back(m.mag.to_option());
                 },
             },
             spec);
  return wire::Message{b, std::move(options)};
}

// ---- Initiator -----------------------------------------------------------------------------

std::optional<std::string> validate(const RevocationConfig& config) {
  auto ms = [](Duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); };
  if (config.initial_timeout < RevocationConfig::kMinInitialTimeout) {
    return fmt::format("BRI initial timeout {} ms below {} ms", ms(config.initial_timeout),
                       ms(RevocationConfig::kMinInitialTimeout));
  }
  if (config.max_timeout < config.initial_timeout) {
    return fmt::format("BRI max timeout {} ms below the initial timeout {} ms", ms(config.max_timeout),
                       ms(config.initial_timeout));
  }
  return std::nullopt;
}

bool RevocationResult::succeeded() const {
  return status && (*status == RevocationStatus::kSuccess || *status == RevocationStatus::kPartialSuccess);
}

std::string describe(const RevocationResult& r) {
  std::string status = r.status ? fmt::format("status {}", static_cast<unsigned>(*r.status)) : "no BRA";
  return fmt::format("revoke({} peer={} seq={}) -> {} {} after {} transmission(s)", spec_text(r.spec),
                     r.peer.to_string(), r.sequence, outcome_name(r.outcome), status, r.transmissions);
}

RevocationManager::RevocationManager(RevocationConfig config)
    : config_(std::move(config)), next_sequence_(config_.initial_sequence) {
  config_.initial_timeout = std::max(config_.initial_timeout, RevocationConfig::kMinInitialTimeout);
  config_.max_timeout = std::max(config_.max_timeout, config_.initial_timeout);
}

std::optional<std::uint16_t> RevocationManager::pick_sequence() {
  // Any value will do as long as no outstanding BRI uses it (PROTOCOL.md §3.5).
  if (outstanding_.size() > 0xffffu) return std::nullopt;
  for (;;) {
    std::uint16_t s = next_sequence_++;
    if (!outstanding_.contains(s)) return s;
  }
}

RevokeResult RevocationManager::revoke(const Now& now, const wire::Ipv6Address& peer, const BriSpec& spec,
                                       std::uint64_t tag) {
  auto refuse = [&](std::string why) {
    ++counters_.refused;
    return RevokeResult{std::nullopt, std::move(why)};
  };
  if (peer.is_zero() || peer.is_multicast()) return refuse(fmt::format("bad peer {}", peer.to_string()));
  if (auto why = validate(spec)) return refuse(std::move(*why));
  auto sequence = pick_sequence();
  if (!sequence) return refuse("every BRI sequence number is outstanding");
  auto [it, inserted] = outstanding_.emplace(
      *sequence, Outstanding{peer, spec, tag, build_bri(spec, *sequence), config_.initial_timeout, 0});
  transmit(it->second);
  ++counters_.bri_sent;
  timers_.arm(*sequence, now.mono + config_.initial_timeout);
  return RevokeResult{*sequence, {}};
}

void RevocationManager::transmit(Outstanding& o) {
  ++o.transmissions;
  transmits_.push_back(Transmit{config_.address, o.peer, o.bri});
}

bool RevocationManager::handle_message(const Now& /*now*/, const wire::Ipv6Address& src,
                                       const wire::Ipv6Address& /*dst*/, const wire::Message& m) {
  const auto* bra = std::get_if<wire::BindingRevocationAck>(&m.body);
  if (!bra) return false;
  ++counters_.bra_received;
  auto it = outstanding_.find(bra->sequence);
  if (it == outstanding_.end() || it->second.peer != src) {
    ++counters_.bra_unmatched;
    return true;
  }
  timers_.cancel(bra->sequence);
  finish(it, RevocationResult::Outcome::kAcknowledged, bra->status, m.options);
  return true;
}

void RevocationManager::handle_timeout(const Now& now) {
  while (auto sequence = timers_.pop_due(now.mono)) {
    auto it = outstanding_.find(*sequence);
    if (it == outstanding_.end()) continue;
    Outstanding& o = it->second;
    if (o.transmissions > config_.max_retries) {
      // No BRA after the last retransmission: the caller cleans up anyway (§6.4).
      finish(it, RevocationResult::Outcome::kTimedOut, std::nullopt, {});
      continue;
    }
    // The identical BRI again, same sequence number; the next wait doubles up to the max.
    transmit(o);
    ++counters_.bri_retransmitted;
    o.timeout = std::min(o.timeout * 2, config_.max_timeout);
    timers_.arm(*sequence, now.mono + o.timeout);
  }
}

void RevocationManager::finish(std::map<std::uint16_t, Outstanding>::iterator it,
                               RevocationResult::Outcome outcome, std::optional<RevocationStatus> status,
                               std::vector<wire::MobilityOption> options) {
  RevocationResult r;
  r.outcome = outcome;
  r.peer = it->second.peer;
  r.sequence = it->first;
  r.tag = it->second.tag;
  r.spec = std::move(it->second.spec);
  r.status = status;
  r.bra_options = std::move(options);
  r.transmissions = it->second.transmissions;
  if (outcome == RevocationResult::Outcome::kTimedOut) {
    ++counters_.timed_out;
  } else if (r.succeeded()) {
    ++counters_.succeeded;
  } else {
    ++counters_.failed;
  }
  outstanding_.erase(it);
  events_.push_back(std::move(r));
}

// ---- Responder (MAG) -----------------------------------------------------------------------

std::optional<RevocationResponse> respond_to_bri(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                                 const wire::Message& m,
                                                 std::span<const RevocableBinding> bindings,
                                                 const RevocationResponderPolicy& policy) {
  const auto* b = std::get_if<wire::BindingRevocationIndication>(&m.body);
  if (!b) return std::nullopt;

  RevocationResponse r;
  r.ipv4_only = b->flags.ipv4_only;
  // The BRA copies sequence number and P/V/G and goes back to the BRI's source (§9.2).
  auto answer = [&](RevocationStatus status) {
    r.status = status;
    if (status != RevocationStatus::kSuccess && status != RevocationStatus::kPartialSuccess) {
      r.scope = RevocationScope::kNone;
      r.remove.clear();
    }
    r.bra = Transmit{dst, src, wire::Message{wire::BindingRevocationAck{status, b->sequence, b->flags}, {}}};
    return r;
  };

  bool global = is_global(b->trigger);
  if (!global && value(b->trigger) > value(RevocationTrigger::kOutOfSyncBce)) {
    return answer(RevocationStatus::kTriggerNotSupported);
  }
  // Per-MN triggers only with G=0, global ones only with G=1: 134 (PROTOCOL.md §9.2).
  if (global != b->flags.global) return answer(RevocationStatus::kFunctionNotSupported);
  if (!policy.proxy_revocation) return answer(RevocationStatus::kProxyRevocationNotSupported);
  if (!b->flags.proxy) return answer(RevocationStatus::kBindingDoesNotExist);  // a MAG holds proxy bindings only
  if (b->flags.ipv4_only && !wire::find_option<wire::Ipv4HomeAddressRequestOption>(m)) {
    return answer(RevocationStatus::kIpv4HomeAddressRequired);
  }

  const auto* mn_id = wire::find_option<wire::MnIdOption>(m);
  const auto* acoa = wire::find_option<wire::AlternateCoaOption>(m);
  auto hnps = wire::find_options<wire::HnpOption>(m);
  std::string_view realm;
  if (!global) {
    if (!mn_id || mn_id->identifier.empty()) return answer(RevocationStatus::kMnIdentityRequired);
    r.scope = RevocationScope::kSessions;
  } else if (b->trigger == RevocationTrigger::kMobilityNodeLocalPolicy) {
    // The realm travels as an NAI "@realm" (PROTOCOL.md §9.2).
    if (!mn_id || mn_id->subtype != wire::MnIdSubtype::kNai || mn_id->identifier.size() < 2 ||
        mn_id->identifier.front() != '@') {
      return answer(RevocationStatus::kMnIdentityRequired);
    }
    realm = std::string_view{mn_id->identifier}.substr(1);
    r.scope = RevocationScope::kRealm;
  } else {
    r.scope = RevocationScope::kAllWithPeer;
  }

  auto matches = [&](const RevocableBinding& x) {
    if (x.lma != src) return false;  // only the anchoring LMA may revoke
    if (acoa && x.proxy_coa != acoa->address) return false;
    switch (r.scope) {
      case RevocationScope::kSessions: {
        if (x.mn != MnId::from_option(*mn_id)) return false;
        if (hnps.empty()) return true;
        return std::any_of(hnps.begin(), hnps.end(), [&](const wire::HnpOption* h) {
          return std::find(x.hnps.begin(), x.hnps.end(), h->prefix) != x.hnps.end();
        });
      }
      case RevocationScope::kRealm: return same_realm(realm_of(x.mn), realm);
      case RevocationScope::kAllWithPeer: return true;
      case RevocationScope::kNone: return false;
    }
    return false;
  };
  std::size_t matched = 0;
  for (const auto& x : bindings) {
    if (!matches(x)) continue;
    ++matched;
    if (!(policy.keep_attached && x.attached)) r.remove.push_back(x.key);
  }
  if (matched == 0) return answer(RevocationStatus::kBindingDoesNotExist);
  if (r.remove.empty()) return answer(RevocationStatus::kRevocationFailedMnAttached);
  if (r.remove.size() < matched) return answer(RevocationStatus::kPartialSuccess);
  return answer(RevocationStatus::kSuccess);
}

}  // namespace pmipx::core
