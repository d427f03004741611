#include "bench/report.hpp"

#include <fmt/format.h>

namespace pmipx::bench {
namespace {

double us(Nanos d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

double MemoryResult::bytes_per_binding() const {
  if (bindings == 0 || rss_after_kib < rss_before_kib) return 0;
  return static_cast<double>(rss_after_kib - rss_before_kib) * 1024.0 / static_cast<double>(bindings);
}

const PhaseResult* Report::find(const std::string& name) const {
  for (const auto& p : phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::map<std::string, double> Report::ratios() const {
  std::map<std::string, double> out;
  const auto* echo = find("echo");
  if (!echo || echo->accepted_per_s() <= 0) return out;
  for (const char* name : {"register", "refresh", "deregister"}) {
    if (const auto* p = find(name)) out[name] = p->accepted_per_s() / echo->accepted_per_s();
  }
  return out;
}

nlohmann::json to_json(const LatencySummary& s) {
  nlohmann::json cdf = nlohmann::json::array();
  for (const auto& [p, v] : s.cdf) cdf.push_back({p, us(v)});
  return {{"count", s.count}, {"min_us", us(s.min)}, {"mean_us", us(s.mean)}, {"p50_us", us(s.p50)},
          {"p99_us", us(s.p99)}, {"p999_us", us(s.p999)}, {"max_us", us(s.max)}, {"cdf_us", cdf}};
}

nlohmann::json to_json(const PhaseResult& p) {
  nlohmann::json by = nlohmann::json::object();
  for (const auto& [status, n] : p.rejects_by_status) by[std::to_string(status)] = n;
  return {{"name", p.name},
          {"target", p.target},
          {"rate_limit_per_s", p.rate_limit},
          {"window", p.window},
          {"sent", p.sent},
          {"accepted", p.accepted},
          {"rejected", p.rejected},
          {"malformed", p.malformed},
          {"timeouts", p.timeouts},
          {"send_errors", p.send_errors},
          {"unmatched", p.unmatched},
          {"rejects_by_status", by},
          {"duration_s", p.duration_s},
          {"accepted_per_s", p.accepted_per_s()},
          {"consistent", p.consistent()},
          {"latency", to_json(p.latency)}};
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json phases = nlohmann::json::array();
  for (const auto& p : r.phases) phases.push_back(to_json(p));
  nlohmann::json j{{"setup", r.setup}, {"phases", phases}, {"ratios_to_echo", r.ratios()}, {"notes", r.notes}};
  if (r.memory) {
    j["memory"] = {{"rss_before_kib", r.memory->rss_before_kib},
                   {"rss_after_kib", r.memory->rss_after_kib},
                   {"bindings", r.memory->bindings},
                   {"bytes_per_binding", r.memory->bytes_per_binding()}};
  } else {
    j["memory"] = nullptr;
  }
  return j;
}

void print_text(const Report& r, std::ostream& out) {
  out << fmt::format("{:<13} {:>6} {:>9} {:>6} {:>9} {:>9} {:>6} {:>6} {:>10} {:>9} {:>9} {:>9}\n", "phase", "target",
                     "rate", "window", "sent", "accepted", "rej", "t/o", "acc/s", "p50 us", "p99 us", "p99.9 us");
  for (const auto& p : r.phases) {
    out << fmt::format("{:<13} {:>6} {:>9} {:>6} {:>9} {:>9} {:>6} {:>6} {:>10.0f} {:>9.1f} {:>9.1f} {:>9.1f}\n", p.name,
                       p.target, p.rate_limit > 0 ? fmt::format("{:.0f}", p.rate_limit) : "max", p.window, p.sent,
                       p.accepted, p.rejected + p.malformed, p.timeouts, p.accepted_per_s(), us(p.latency.p50),
                       us(p.latency.p99), us(p.latency.p999));
  }
  for (const auto& [name, ratio] : r.ratios()) out << fmt::format("{} / echo throughput: {:.2f}\n", name, ratio);
  if (r.memory) {
    out << fmt::format("LMA RSS {} KiB -> {} KiB for {} bindings: {:.0f} bytes per binding\n", r.memory->rss_before_kib,
                       r.memory->rss_after_kib, r.memory->bindings, r.memory->bytes_per_binding());
  }
  for (const auto& n : r.notes) out << "note: " << n << "\n";
}

}  // namespace pmipx::bench
