// Time as the engines see it: always passed in, never read (DESIGN.md principle 1).
#pragma once

#include <chrono>

#include "wire/option.hpp"

namespace pmipx::core {

using MonoClock = std::chrono::steady_clock;
using Instant = MonoClock::time_point;
using Duration = MonoClock::duration;
using WallTime = std::chrono::system_clock::time_point;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Timers run on the monotonic clock; RFC 5213 timestamps compare wall-clock time across
// nodes, so both come in with every call.
struct Now {
  Instant mono;
  WallTime wall;
};

// Wall time as an RFC 5213 48.16 timestamp (seconds since the Unix epoch).
inline wire::Timestamp to_timestamp(WallTime t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::duration_cast<seconds>(since);
  auto frac = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  auto frac16 = static_cast<std::uint16_t>((static_cast<std::uint64_t>(frac) << 16) / 1'000'000'000u);
  return wire::Timestamp::from_parts(static_cast<std::uint64_t>(secs.count()), frac16);
}

// Signed distance a - b in 1/65536 s units, saturating.
inline long double timestamp_diff_seconds(wire::Timestamp a, wire::Timestamp b) {
  return (static_cast<long double>(a.raw) - static_cast<long double>(b.raw)) / 65536.0L;
}

}  // namespace pmipx::core
