// RFC 5847 Heartbeat (PROTOCOL.md §3.4, §6.3, §9.1), sans I/O: path liveness and peer
// restart detection between a MAG and an LMA. The owning engine tells the monitor when
// bindings with a peer come and go, passes Heartbeat and Binding Error messages in, and
// drains poll_transmit / poll_event after every call; it sleeps until poll_timeout.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>

#include "core/action.hpp"
#include "core/time.hpp"
#include "core/timer_queue.hpp"
#include "wire/address.hpp"
#include "wire/message.hpp"

namespace pmipx::core {

struct HeartbeatConfig {
  // HEARTBEAT_INTERVAL SHOULD stay within 30..3600 s (RFC 5847; PROTOCOL.md §6.3).
  static constexpr Duration kMinInterval = seconds(30);
  static constexpr Duration kMaxInterval = seconds(3600);

  wire::Ipv6Address address;          // source of the requests we send
  std::uint32_t restart_counter = 0;  // persisted; the daemon bumps it after a state-losing restart
  Duration interval = seconds(60);    // HEARTBEAT_INTERVAL
  std::uint32_t missing_allowed = 3;  // MISSING_HEARTBEATS_ALLOWED
};

// The reason a configuration is refused ("heartbeat interval 10 s outside 30..3600 s"), or
// nothing. For the daemon's config dry run; the monitor itself clamps the interval.
std::optional<std::string> validate(const HeartbeatConfig& config);

// What the monitor knows about one peer.
struct HeartbeatPeer {
  wire::Ipv6Address address;
  std::uint32_t bindings = 0;      // reference count; requests go out while it is > 0
  std::uint32_t missed = 0;        // missing-heartbeat counter (PROTOCOL.md §9.1)
  bool reachable = true;
  std::optional<std::uint32_t> restart_counter;  // last value the peer reported
  std::uint32_t sequence = 0;      // of the last request sent; 0 before the first
  bool awaiting_response = false;  // the last request is still unanswered
};

namespace hb_event {
// More than missing_allowed requests in a row went unanswered.
struct PeerUnreachable { wire::Ipv6Address peer; std::uint32_t missed; };
// A matching response arrived from a peer declared unreachable.
struct PeerReachable { wire::Ipv6Address peer; };
// The peer's restart counter changed: it lost its PMIPv6 state, so every binding with it is
// invalid (PROTOCOL.md §9.1).
struct PeerRestarted { wire::Ipv6Address peer; std::uint32_t previous; std::uint32_t current; };
// The peer answered a request with Binding Error status 2: it will get no more requests.
struct HeartbeatUnsupported { wire::Ipv6Address peer; };
}  // namespace hb_event
using HeartbeatEvent = std::variant<hb_event::PeerUnreachable, hb_event::PeerReachable,
                                    hb_event::PeerRestarted, hb_event::HeartbeatUnsupported>;

std::string describe(const HeartbeatEvent& event);  // one log line

struct HeartbeatCounters {
  std::uint64_t requests_sent = 0;
  std::uint64_t requests_received = 0;
  std::uint64_t responses_sent = 0;
  std::uint64_t responses_matched = 0;
  std::uint64_t responses_unmatched = 0;  // unknown peer or stale sequence: ignored
  std::uint64_t responses_without_counter = 0;
  std::uint64_t unsolicited_received = 0;
  std::uint64_t unsolicited_sent = 0;
  std::uint64_t missed = 0;               // requests that got no response in time
  std::uint64_t peers_unreachable = 0;
  std::uint64_t peer_restarts = 0;
  std::uint64_t peers_unsupported = 0;
};

class HeartbeatMonitor {
 public:
  // An interval outside 30..3600 s is clamped into it (validate() reports it).
  explicit HeartbeatMonitor(HeartbeatConfig config);

  // A binding with `peer` was created / removed. The first binding schedules a request one
  // interval later; removing the last stops the requests and forgets the peer (a restart
  // seen afterwards could not concern any binding that exists then). Returns the count left.
  std::uint32_t add_peer(const Now& now, const wire::Ipv6Address& peer);
  std::uint32_t remove_peer(const wire::Ipv6Address& peer);

  // Heartbeats and Binding Errors as received. Every request is answered, from any source
  // (RFC 5847, PROTOCOL.md §9.1). A Binding Error status 2 from a peer with a request
  // outstanding means it does not implement heartbeats: it gets none again. A Binding Error
  // does not name the message it refuses, so the caller may pass it to other users too.
  // Returns whether the message was consumed here.
  bool handle_message(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                      const wire::Message& message);
  void handle_timeout(const Now& now);

  // After a restart that lost state (PROTOCOL.md §9.1): an unsolicited response (R=1, U=1,
  // our restart counter) to each peer known before it. No answer is expected.
  void send_unsolicited_responses(const Now& now, std::span<const wire::Ipv6Address> peers);

  std::optional<Instant> poll_timeout() const { return timers_.next(); }
  std::optional<Transmit> poll_transmit() { return take_front(transmits_); }
  std::optional<HeartbeatEvent> poll_event() { return take_front(events_); }

  const HeartbeatPeer* peer(const wire::Ipv6Address& address) const;
  const std::map<wire::Ipv6Address, HeartbeatPeer>& peers() const { return peers_; }
  bool unsupported(const wire::Ipv6Address& address) const { return unsupported_.contains(address); }
  const HeartbeatCounters& counters() const { return counters_; }
  const HeartbeatConfig& config() const { return config_; }

 private:
  void on_request(const wire::Ipv6Address& src, const wire::Ipv6Address& dst, const wire::Heartbeat& hb);
  void on_response(const wire::Ipv6Address& src, const wire::Heartbeat& hb, const wire::Message& m);
  bool on_binding_error(const wire::Ipv6Address& src, const wire::BindingError& be);
  void learn_restart_counter(HeartbeatPeer& p, const wire::Message& m);
  void send_request(const Now& now, HeartbeatPeer& p);
  wire::Message response(std::uint32_t sequence, bool unsolicited) const;

  HeartbeatConfig config_;
  std::map<wire::Ipv6Address, HeartbeatPeer> peers_;
  std::set<wire::Ipv6Address> unsupported_;  // survives the peer's last binding
  TimerQueue<wire::Ipv6Address> timers_;     // next request per peer
  std::deque<Transmit> transmits_;
  std::deque<HeartbeatEvent> events_;
  HeartbeatCounters counters_;
};

}  // namespace pmipx::core
