// Results of `pmipx bench signaling`: one record per phase, memory figures, notes, as JSON
// (for scripts) and as text tables (for people).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/latency_stats.hpp"

namespace pmipx::bench {

struct PhaseResult {
  std::string name;     // register, refresh, refresh_half, echo, echo_half, deregister
  std::string target;   // "lma" (PBU -> PBA) or "echo" (the raw-socket echo bound)
  double rate_limit = 0;  // requests per second asked for; 0: as fast as the window allows
  std::uint64_t window = 0;
  // Every request sent ends as exactly one of accepted, rejected, malformed, timeouts.
  std::uint64_t sent = 0;
  std::uint64_t accepted = 0;   // PBA status < 128 (echo: the message came back)
  std::uint64_t rejected = 0;   // PBA status >= 128
  std::uint64_t malformed = 0;  // a reply that did not decode or did not fit its request
  std::uint64_t timeouts = 0;
  std::uint64_t send_errors = 0;  // refused by the kernel: not sent, not in `sent`
  std::uint64_t unmatched = 0;    // replies to no request in flight (late or duplicate)
  std::map<int, std::uint64_t> rejects_by_status;
  double duration_s = 0;  // first send to last reply or timeout
  LatencySummary latency;  // accepted replies only

  double accepted_per_s() const { return duration_s > 0 ? static_cast<double>(accepted) / duration_s : 0; }
  bool consistent() const { return sent == accepted + rejected + malformed + timeouts; }
};

struct MemoryResult {
  std::uint64_t rss_before_kib = 0;  // VmRSS of the LMA before the registrations
  std::uint64_t rss_after_kib = 0;   // and after them
  std::uint64_t bindings = 0;        // registrations accepted in between
  double bytes_per_binding() const;
};

struct Report {
  nlohmann::json setup;  // what ran: addresses, counts, options
  std::vector<PhaseResult> phases;
  std::optional<MemoryResult> memory;
  std::vector<std::string> notes;

  const PhaseResult* find(const std::string& name) const;
  // LMA throughput / echo throughput for the same window: register, refresh, deregister
  // against "echo". Empty when a phase is missing.
  std::map<std::string, double> ratios() const;
};

nlohmann::json to_json(const LatencySummary& s);
nlohmann::json to_json(const PhaseResult& p);
nlohmann::json to_json(const Report& r);
void print_text(const Report& r, std::ostream& out);

}  // namespace pmipx::bench
