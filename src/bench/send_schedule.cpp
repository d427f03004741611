#include "bench/send_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace pmipx::bench {

SendSchedule::SendSchedule(std::uint64_t total, double rate_per_s, std::uint64_t window, Instant start)
    : total_(total), rate_(rate_per_s > 0 ? rate_per_s : 0), window_(std::max<std::uint64_t>(window, 1)),
      start_(start) {}

std::uint64_t SendSchedule::due(Instant now, std::uint64_t in_flight) const {
  if (sent_ >= total_ || in_flight >= window_) return 0;
  std::uint64_t n = std::min(total_ - sent_, window_ - in_flight);
  if (rate_ > 0) {
    if (now < start_) return 0;
    // Requests 0..k-1 are due by now, k = floor(elapsed * rate) + 1.
    double elapsed = std::chrono::duration<double>(now - start_).count();
    // (The epsilon keeps request i due at exactly start + i / rate, which next_due() names,
    // despite binary floating point.)
    auto by_now = static_cast<std::uint64_t>(std::floor(elapsed * rate_ + 1e-6)) + 1;
    n = std::min(n, by_now > sent_ ? by_now - sent_ : 0);
  }
  return n;
}

std::optional<SendSchedule::Instant> SendSchedule::next_due() const {
  if (rate_ <= 0 || sent_ >= total_) return std::nullopt;
  auto offset = std::chrono::duration<double>(static_cast<double>(sent_) / rate_);
  return start_ + std::chrono::ceil<Clock::duration>(offset);
}

}  // namespace pmipx::bench
