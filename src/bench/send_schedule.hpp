// When the next request of a phase may leave. Two limits, either or both: a fixed rate
// (request i is due at start + i / rate, so a late loop catches up instead of drifting to a
// lower rate) and a window of requests in flight ("as fast as possible" is a window alone).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace pmipx::bench {

class SendSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  using Instant = Clock::time_point;

  // rate_per_s <= 0: no rate limit. window 0 is taken as 1.
  SendSchedule(std::uint64_t total, double rate_per_s, std::uint64_t window, Instant start);

  // How many requests may be sent at `now` with `in_flight` unanswered.
  std::uint64_t due(Instant now, std::uint64_t in_flight) const;
  void sent(std::uint64_t n) { sent_ += n; }
  std::uint64_t sent_count() const { return sent_; }
  bool all_sent() const { return sent_ >= total_; }
  // When the rate lets the next request go; nullopt without a rate or when all are sent.
  // (A full window waits for a reply, not for a time.)
  std::optional<Instant> next_due() const;

 private:
  std::uint64_t total_;
  double rate_;
  std::uint64_t window_;
  Instant start_;
  std::uint64_t sent_ = 0;
};

}  // namespace pmipx::bench
