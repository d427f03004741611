#include "app/bench_command.hpp"

#include <poll.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "bench/population.hpp"
#include "bench/report.hpp"
#include "bench/request_tracker.hpp"
#include "bench/send_schedule.hpp"
#include "core/time.hpp"
#include "io/raw_socket.hpp"
#include "version.hpp"
#include "wire/codec.hpp"

namespace pmipx::app {
namespace {

using Clock = std::chrono::steady_clock;

struct PhaseSpec {
  std::string name;
  bool echo = false;  // the echo bound instead of the LMA
  bench::PbuKind kind = bench::PbuKind::kRegister;
  double rate = 0;
  std::uint32_t window = 1;
};

// VmRSS of a process in KiB, 0 when it cannot be read.
std::uint64_t vm_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::uint64_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return 0;
}

std::string read_first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

// Waits until `fd` is readable or `until` (nanosecond resolution; the process's timer slack
// is set to 1 ns so short waits at a fixed rate are not rounded up to 50 µs).
void wait_readable(int fd, std::optional<Clock::time_point> until) {
  pollfd p{fd, POLLIN, 0};
  if (!until) {
    ::ppoll(&p, 1, nullptr, nullptr);
    return;
  }
  auto left = *until - Clock::now();
  if (left <= Clock::duration::zero()) return;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  ::ppoll(&p, 1, &ts, nullptr);
}

class Generator {
 public:
  Generator(bench::Population& population, io::RawSocket& mh, io::RawSocket& echo, wire::Ipv6Address lmaa,
            wire::Ipv6Address echo_address, std::chrono::milliseconds timeout)
      : population_(population),
        mh_(mh),
        echo_(echo),
        lmaa_(lmaa),
        echo_address_(echo_address),
        timeout_(timeout) {}

  bench::PhaseResult run(const PhaseSpec& spec) {
    bench::PhaseResult r;
    r.name = spec.name;
    r.target = spec.echo ? "echo" : "lma";
    r.rate_limit = spec.rate;
    r.window = spec.window;
    std::vector<std::uint32_t> mns;
    for (std::uint32_t mn = 0; mn < population_.config().mns; ++mn) {
      bool registered = population_.registered(mn);
      if (spec.echo || (spec.kind == bench::PbuKind::kRegister) != registered) mns.push_back(mn);
    }
    auto& socket = spec.echo ? echo_ : mh_;
    const auto& dst = spec.echo ? echo_address_ : lmaa_;
    bench::RequestTracker tracker(timeout_);
    std::vector<bench::Nanos> samples;
    samples.reserve(mns.size());
    std::vector<std::uint32_t> expired;
    wire::Bytes buffer;
    auto start = Clock::now();
    bench::SendSchedule schedule(mns.size(), spec.rate, spec.window, start);
    auto last_event = start;
    std::size_t next = 0;
    while (!schedule.all_sent() || tracker.in_flight() > 0) {
      auto now = Clock::now();
      for (auto n = schedule.due(now, tracker.in_flight()); n > 0; --n) {
        auto mn = mns[next];
        auto wall = core::to_timestamp(std::chrono::system_clock::now());
        auto request = population_.pbu(mn, spec.kind, wall);
        if (!tracker.add(request.key, mn, now)) break;  // sequence space wrapped onto a live request
        ++next;
        schedule.sent(1);
        buffer.clear();
        if (!wire::encode_message(request.pbu, buffer)) {
          tracker.complete(request.key, now);
          ++r.send_errors;
          continue;
        }
        if (auto error = socket.send(request.src, dst, buffer)) {
          tracker.complete(request.key, now);
          if (r.send_errors++ == 0) first_error_ = *error;
          continue;
        }
        ++r.sent;
        now = Clock::now();
      }
      while (auto d = socket.receive()) {
        auto at = Clock::now();
        last_event = at;
        auto decoded = wire::decode_message(d->payload);
        auto mag = population_.mag_index(d->dst);
        if (!decoded || !mag) {
          ++r.unmatched;
          continue;
        }
        std::uint16_t sequence = 0;
        const auto& m = decoded->message;
        if (const auto* ba = std::get_if<wire::BindingAck>(&m.body)) {
          sequence = ba->sequence;
        } else if (const auto* bu = std::get_if<wire::BindingUpdate>(&m.body); bu && spec.echo) {
          sequence = bu->sequence;
        } else {
          ++r.unmatched;  // another message type (an FMI, a Binding Error)
          continue;
        }
        auto done = tracker.complete(bench::RequestKey{*mag, sequence}, at);
        if (!done) {
          ++r.unmatched;
          continue;
        }
        if (spec.echo) {
          ++r.accepted;
          samples.push_back(done->latency);
          continue;
        }
        switch (population_.on_pba(done->mn, spec.kind, m)) {
          case bench::PbaOutcome::kAccepted:
            ++r.accepted;
            samples.push_back(done->latency);
            break;
          case bench::PbaOutcome::kRejected:
            ++r.rejected;
            ++r.rejects_by_status[static_cast<int>(std::get<wire::BindingAck>(m.body).status)];
            break;
          case bench::PbaOutcome::kMalformed:
            ++r.malformed;
            break;
        }
      }
      now = Clock::now();
      expired.clear();
      tracker.expire(now, expired);
      if (!expired.empty()) last_event = now;
      r.timeouts += expired.size();
      if (schedule.all_sent() && tracker.in_flight() == 0) break;
      if (schedule.due(now, tracker.in_flight()) > 0) continue;
      auto until = tracker.next_deadline();
      if (auto due = schedule.next_due(); due && tracker.in_flight() < spec.window) {
        until = until ? std::min(*until, *due) : *due;
      }
      wait_readable(socket.fd(), until);
    }
    r.duration_s = std::chrono::duration<double>(last_event - start).count();
    r.latency = bench::summarize(std::move(samples));
    return r;
  }

  const std::string& first_error() const { return first_error_; }

 private:
  bench::Population& population_;
  io::RawSocket& mh_;
  io::RawSocket& echo_;
  wire::Ipv6Address lmaa_;
  wire::Ipv6Address echo_address_;
  std::chrono::milliseconds timeout_;
  std::string first_error_;
};

std::optional<bench::PbuKind> kind_of(const std::string& phase) {
  if (phase == "register") return bench::PbuKind::kRegister;
  if (phase == "refresh" || phase == "refresh_half" || phase == "echo") return bench::PbuKind::kRefresh;
  if (phase == "deregister") return bench::PbuKind::kDeregister;
  return std::nullopt;
}

}  // namespace

int run_bench_signaling(const BenchSignalingOptions& o, std::ostream& out, std::ostream& err) {
  auto lmaa = wire::Ipv6Address::parse(o.lmaa);
  auto mag_base = wire::Ipv6Address::parse(o.mag_base);
  auto echo_address = wire::Ipv6Address::parse(o.echo_address.empty() ? o.lmaa : o.echo_address);
  if (!lmaa || !mag_base || !echo_address) {
    err << "pmipx bench signaling: --lma, --mag-base and --echo-address take IPv6 addresses\n";
    return 2;
  }
  for (const auto& p : o.phases) {
    if (!kind_of(p)) {
      err << "pmipx bench signaling: unknown phase '" << p << "' (echo, register, refresh, refresh_half, deregister)\n";
      return 2;
    }
  }
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

  bench::PopulationConfig pc;
  pc.lmaa = *lmaa;
  pc.mag_base = *mag_base;
  pc.mags = o.mags;
  pc.mns = o.mns;
  pc.domain = o.domain;
  pc.lifetime_s = o.lifetime_s;
  pc.timestamps = o.timestamps;
  bench::Population population(pc);

  std::optional<io::RawSocket> mh, echo;
  try {
    mh = io::RawSocket::mobility_header();
    echo = io::RawSocket::checksummed(o.echo_protocol);
  } catch (const std::system_error& e) {
    err << "pmipx bench signaling: " << e.what() << "\n";
    return 2;
  }
  Generator gen(population, *mh, *echo, *lmaa, *echo_address, std::chrono::milliseconds(o.timeout_ms));

  bench::Report report;
  report.setup = {{"version", PMIPX_VERSION},
                  {"lmaa", lmaa->to_string()},
                  {"echo_address", echo_address->to_string()},
                  {"echo_protocol", o.echo_protocol},
                  {"mag_base", mag_base->to_string()},
                  {"mags", o.mags},
                  {"mns", o.mns},
                  {"window", o.window},
                  {"rate_per_s", o.rate},
                  {"timeout_ms", o.timeout_ms},
                  {"timestamps", o.timestamps},
                  {"lifetime_s", o.lifetime_s},
                  {"lma_pid", o.lma_pid},
                  {"machine",
                   {{"nproc", std::thread::hardware_concurrency()},
                    {"cpu", cpu_model()},
                    {"kernel", read_first_line("/proc/sys/kernel/osrelease")}}}};
  report.notes = o.notes;
  report.notes.push_back(
      "latency is measured from the send of a request to the receipt of its reply in the generator, "
      "on one steady clock; every figure shares the CPU with the LMA and the echo responder");

  bool failed = false;
  for (const auto& name : o.phases) {
    PhaseSpec spec{name, name == "echo", *kind_of(name), o.rate, o.window};
    if (name == "refresh_half") {
      const auto* full = report.find("refresh");
      if (!full || full->accepted_per_s() <= 0) {
        report.notes.push_back("refresh_half skipped: it needs a refresh phase before it");
        continue;
      }
      spec.rate = full->accepted_per_s() / 2;
      spec.window = std::max<std::uint32_t>(o.window, 1024);  // the rate limits, not the window
    }
    std::uint64_t rss_before = 0;
    if (name == "register" && o.lma_pid > 0) rss_before = vm_rss_kib(o.lma_pid);
    auto result = gen.run(spec);
    if (name == "register" && o.lma_pid > 0) {
      report.memory = bench::MemoryResult{rss_before, vm_rss_kib(o.lma_pid), result.accepted};
    }
    if (result.timeouts || result.send_errors || result.malformed) failed = true;
    if (!o.json) {
      err << fmt::format("bench: {} done: {} sent, {} accepted, {} rejected, {} timeouts, {:.0f}/s\n", name,
                         result.sent, result.accepted, result.rejected, result.timeouts, result.accepted_per_s());
    }
    report.phases.push_back(std::move(result));
  }
  if (!gen.first_error().empty()) report.notes.push_back("first send error: " + gen.first_error());
  if (o.json) {
    out << bench::to_json(report).dump(2) << "\n";
  } else {
    bench::print_text(report, out);
  }
  return failed ? 1 : 0;
}

}  // namespace pmipx::app
