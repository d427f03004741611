#include "core/heartbeat_monitor.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/overloaded.hpp"

namespace pmipx::core {

namespace {

double as_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

std::optional<std::string> validate(const HeartbeatConfig& config) {
  if (config.interval < HeartbeatConfig::kMinInterval || config.interval > HeartbeatConfig::kMaxInterval) {
    return fmt::format("heartbeat interval {:g} s outside {:g}..{:g} s", as_seconds(config.interval),
                       as_seconds(HeartbeatConfig::kMinInterval), as_seconds(HeartbeatConfig::kMaxInterval));
  }
  return std::nullopt;
}

std::string describe(const HeartbeatEvent& event) {
  return std::visit(
      Overloaded{
          [](const hb_event::PeerUnreachable& e) {
            return fmt::format("peer {} unreachable: {} heartbeats missed", e.peer.to_string(), e.missed);
          },
          [](const hb_event::PeerReachable& e) {
            return fmt::format("peer {} reachable again", e.peer.to_string());
          },
          [](const hb_event::PeerRestarted& e) {
            return fmt::format("peer {} restarted: restart counter {} -> {}", e.peer.to_string(), e.previous,
                               e.current);
          },
          [](const hb_event::HeartbeatUnsupported& e) {
            return fmt::format("peer {} does not support heartbeats (binding error 2): stopped",
                               e.peer.to_string());
          },
      },
      event);
}

HeartbeatMonitor::HeartbeatMonitor(HeartbeatConfig config) : config_(std::move(config)) {
  config_.interval = std::clamp(config_.interval, HeartbeatConfig::kMinInterval, HeartbeatConfig::kMaxInterval);
}

const HeartbeatPeer* HeartbeatMonitor::peer(const wire::Ipv6Address& address) const {
  auto it = peers_.find(address);
  return it == peers_.end() ? nullptr : &it->second;
}

std::uint32_t HeartbeatMonitor::add_peer(const Now& now, const wire::Ipv6Address& peer) {
  auto [it, fresh] = peers_.try_emplace(peer);
  HeartbeatPeer& p = it->second;
  if (fresh) {
    p.address = peer;
    // The binding was just confirmed, so the path works: the first request is due one
    // interval from now.
    if (!unsupported_.contains(peer)) timers_.arm(peer, now.mono + config_.interval);
  }
  return ++p.bindings;
}

std::uint32_t HeartbeatMonitor::remove_peer(const wire::Ipv6Address& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return 0;
  if (--it->second.bindings > 0) return it->second.bindings;
  // No binding left with this peer: requests stop (PROTOCOL.md §9.1).
  timers_.cancel(peer);
  peers_.erase(it);
  return 0;
}

bool HeartbeatMonitor::handle_message(const Now& /*now*/, const wire::Ipv6Address& src,
                                      const wire::Ipv6Address& dst, const wire::Message& m) {
  if (const auto* hb = std::get_if<wire::Heartbeat>(&m.body)) {
    if (hb->response) {
      on_response(src, *hb, m);
    } else {
      on_request(src, dst, *hb);
    }
    return true;
  }
  if (const auto* be = std::get_if<wire::BindingError>(&m.body)) return on_binding_error(src, *be);
  return false;
}

void HeartbeatMonitor::handle_timeout(const Now& now) {
  while (auto key = timers_.pop_due(now.mono)) {
    auto it = peers_.find(*key);
    if (it != peers_.end()) send_request(now, it->second);
  }
}

void HeartbeatMonitor::send_unsolicited_responses(const Now& /*now*/,
                                                  std::span<const wire::Ipv6Address> peers) {
  for (const auto& peer : peers) {
    if (peer.is_zero() || peer.is_multicast() || unsupported_.contains(peer)) continue;
    // Sequence is ignored by the receiver of an unsolicited response (RFC 5847): send 0.
    transmits_.push_back(Transmit{config_.address, peer, response(0, true)});
    ++counters_.unsolicited_sent;
  }
}

wire::Message HeartbeatMonitor::response(std::uint32_t sequence, bool unsolicited) const {
  return wire::Message{wire::Heartbeat{unsolicited, true, sequence},
                       {wire::RestartCounterOption{config_.restart_counter}}};
}

void HeartbeatMonitor::on_request(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                  const wire::Heartbeat& hb) {
  ++counters_.requests_received;
  if (src.is_zero() || src.is_multicast()) return;  // nowhere to answer
  // Answered whether or not a binding exists with the sender (PROTOCOL.md §9.1), from the
  // address the request was sent to.
  const wire::Ipv6Address& from = (dst.is_zero() || dst.is_multicast()) ? config_.address : dst;
  transmits_.push_back(Transmit{from, src, response(hb.sequence, false)});
  ++counters_.responses_sent;
}

void HeartbeatMonitor::on_response(const wire::Ipv6Address& src, const wire::Heartbeat& hb,
                                   const wire::Message& m) {
  auto it = peers_.find(src);
  if (hb.unsolicited) {
    // A peer announcing its restart; its sequence number means nothing.
    ++counters_.unsolicited_received;
    if (it != peers_.end()) learn_restart_counter(it->second, m);
    return;
  }
  if (it == peers_.end() || !it->second.awaiting_response || hb.sequence != it->second.sequence) {
    // Only the answer to the outstanding request counts; a late one may carry a counter
    // from before a restart.
    ++counters_.responses_unmatched;
    return;
  }
  HeartbeatPeer& p = it->second;
  ++counters_.responses_matched;
  p.awaiting_response = false;
  p.missed = 0;
  if (!p.reachable) {
    p.reachable = true;
    events_.push_back(hb_event::PeerReachable{p.address});
  }
  learn_restart_counter(p, m);
}

void HeartbeatMonitor::learn_restart_counter(HeartbeatPeer& p, const wire::Message& m) {
  const auto* rc = wire::find_option<wire::RestartCounterOption>(m);
  if (!rc) {
    ++counters_.responses_without_counter;
    return;
  }
  // The first value is only learned; a different one later means the peer lost its state.
  if (p.restart_counter && *p.restart_counter != rc->value) {
    ++counters_.peer_restarts;
    events_.push_back(hb_event::PeerRestarted{p.address, *p.restart_counter, rc->value});
  }
  p.restart_counter = rc->value;
}

bool HeartbeatMonitor::on_binding_error(const wire::Ipv6Address& src, const wire::BindingError& be) {
  if (be.status != wire::BindingErrorStatus::kUnrecognizedMhType) return false;
  auto it = peers_.find(src);
  // Without a request outstanding the error refers to some other message type.
  if (it == peers_.end() || !it->second.awaiting_response || unsupported_.contains(src)) return false;
  unsupported_.insert(src);
  timers_.cancel(src);
  it->second.awaiting_response = false;
  ++counters_.peers_unsupported;
  events_.push_back(hb_event::HeartbeatUnsupported{src});
  return true;
}

void HeartbeatMonitor::send_request(const Now& now, HeartbeatPeer& p) {
  // The previous request went unanswered for a whole interval: count it before sending the
  // next, and give up on the path once more than missing_allowed are missing (§9.1).
  if (p.awaiting_response) {
    ++p.missed;
    ++counters_.missed;
    if (p.reachable && p.missed > config_.missing_allowed) {
      p.reachable = false;
      ++counters_.peers_unreachable;
      events_.push_back(hb_event::PeerUnreachable{p.address, p.missed});
    }
  }
  ++p.sequence;  // previous + 1, modulo 2^32
  p.awaiting_response = true;
  transmits_.push_back(Transmit{config_.address, p.address, wire::Message{wire::Heartbeat{false, false, p.sequence}, {}}});
  ++counters_.requests_sent;
  timers_.arm(p.address, now.mono + config_.interval);
}

}  // namespace pmipx::core
