// Requests in flight and the replies that answer them. A PBA names its request only by what
// it echoes: the proxy-CoA it is sent to (the emulated MAG) and the PBU's sequence number; an
// echoed message carries the same two. A reply nobody waits for (late, after its timeout, or
// a duplicate) is reported as unmatched, never as a second completion.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

namespace pmipx::bench {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;

struct RequestKey {
  std::uint32_t mag = 0;       // index of the emulated MAG (its proxy-CoA)
  std::uint16_t sequence = 0;  // the PBU's sequence number
  std::uint64_t packed() const { return (std::uint64_t{mag} << 16) | sequence; }
  bool operator==(const RequestKey&) const = default;
};

struct Completed {
  std::uint32_t mn = 0;
  std::chrono::nanoseconds latency{0};
};

class RequestTracker {
 public:
  explicit RequestTracker(std::chrono::nanoseconds timeout) : timeout_(timeout) {}

  // False when `key` is already in flight (its MAG's 16-bit sequence space has wrapped
  // onto an unanswered request): nothing is recorded and the caller must not send.
  bool add(RequestKey key, std::uint32_t mn, Instant sent);
  // The reply to `key` arrived at `now`: its request, removed; nullopt when none waits.
  std::optional<Completed> complete(RequestKey key, Instant now);
  // Removes every request sent at or before now - timeout and appends its MN to `expired`.
  void expire(Instant now, std::vector<std::uint32_t>& expired);
  // When the oldest request in flight times out; nullopt when none is in flight.
  std::optional<Instant> next_deadline() const;
  std::size_t in_flight() const { return pending_.size(); }

 private:
  struct Pending {
    std::uint32_t mn;
    Instant sent;
  };
  std::chrono::nanoseconds timeout_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  // Send order (= deadline order, the timeout being fixed). Entries whose request was
  // answered stay here until they reach the front, and are skipped then.
  std::deque<std::pair<Instant, std::uint64_t>> order_;
  void drop_answered_front();
};

}  // namespace pmipx::bench
