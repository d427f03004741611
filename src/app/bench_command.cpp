#include "app/bench_command.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

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
#include <httplib.h>
#include <nlohmann/json.hpp>

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
            wire::Ipv6Address echo_address, std::chrono::milliseconds timeout, std::uint32_t moves)
      : population_(population),
        mh_(mh),
        echo_(echo),
        lmaa_(lmaa),
        echo_address_(echo_address),
        timeout_(timeout),
        moves_(moves) {}

  bench::PhaseResult run(const PhaseSpec& spec) {
    bench::PhaseResult r;
    r.name = spec.name;
    r.target = spec.echo ? "echo" : "lma";
    r.rate_limit = spec.rate;
    r.window = spec.window;
    std::vector<std::uint32_t> mns;
    for (std::uint32_t mn = 0; mn < population_.config().mns; ++mn) {
      if (wanted(spec, mn)) mns.push_back(mn);
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
        } else if (answer_upn(*d, m)) {
          continue;  // an FMI or other UPN to an emulated MAG: acknowledged, not a reply
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

  // The flow-move phase, one MN at a time (the API call blocks): set flow 1 of the MN on its
  // first binding (BID 1, not timed), then time `POST /flows/move` to BID 2 until the FMI for
  // the second MAG arrives (answered at once with an FMA), or until the API answers when the
  // move needs no signaling.
  bench::PhaseResult run_moves(const PhaseSpec& spec, httplib::Client& api) {
    bench::PhaseResult r;
    r.name = spec.name;
    r.target = "lma";
    r.window = 1;
    std::vector<bench::Nanos> samples;
    auto start = Clock::now();
    for (std::uint32_t mn = 0; mn < population_.config().mns; ++mn) {
      if (!population_.second_registered(mn)) continue;
      ++r.sent;
      nlohmann::json flow{{"mn", population_.mn_name(mn)},
                          {"fid", 1},
                          {"priority", 1},
                          {"selector", {{"protocol", "udp"}, {"dst_ports", 5000}}},
                          {"bids", {1}}};
      auto set = api.Post("/flows/set", flow.dump(), "application/json");
      if (!set || set->status != 200) {
        note_api_error("flows/set", set);
        ++r.rejected;
        ++r.rejects_by_status[set ? set->status : 0];
        continue;
      }
      // Setting the flow informs the first MAG with an FMI of its own: answer it before the
      // move, which the LMA refuses (409) while a flow change of the MN waits for an FMA.
      if (pending_fma(set->body)) wait_fmi(mn, population_.mag_address(population_.mag_of(mn)), Clock::now() + timeout_);
      nlohmann::json move{{"mn", population_.mn_name(mn)}, {"fid", 1}, {"bid", 2}};
      auto t0 = Clock::now();
      auto res = api.Post("/flows/move", move.dump(), "application/json");
      // The FMA may still sit in the LMA's socket behind this request: retry until the timeout.
      for (auto give_up = t0 + timeout_; res && res->status == 409 && Clock::now() < give_up;) {
        drain_upns();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        t0 = Clock::now();
        res = api.Post("/flows/move", move.dump(), "application/json");
      }
      auto answered = Clock::now();
      if (!res || res->status != 200) {
        note_api_error("flows/move", res);
        ++r.rejected;
        ++r.rejects_by_status[res ? res->status : 0];
        continue;
      }
      if (!pending_fma(res->body)) {
        ++r.accepted;  // no signaling needed: applied when the API answered
        samples.push_back(answered - t0);
        continue;
      }
      auto fmi_at = wait_fmi(mn, population_.mag_address(population_.second_mag_of(mn)), t0 + timeout_);
      if (!fmi_at) {
        ++r.timeouts;
        continue;
      }
      ++r.accepted;
      samples.push_back(*fmi_at - t0);
    }
    drain_upns();
    r.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
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
  std::uint32_t moves_;  // MNs 0..moves_-1 get a second binding
  std::string first_error_;

  bool wanted(const PhaseSpec& spec, std::uint32_t mn) const {
    if (spec.echo) return true;
    switch (spec.kind) {
      case bench::PbuKind::kRegister: return !population_.registered(mn);
      case bench::PbuKind::kRefresh:
      case bench::PbuKind::kDeregister: return population_.registered(mn);
      case bench::PbuKind::kAttachSecond:
        return mn < moves_ && population_.registered(mn) && !population_.second_registered(mn);
      case bench::PbuKind::kDeregisterSecond: return population_.second_registered(mn);
    }
    return false;
  }

  // A UPN (FMI, MuHo update) to one of our MAGs: acknowledged with status 0, as a MAG that
  // accepts it would. Returns whether `m` was one.
  bool answer_upn(const io::Datagram& d, const wire::Message& m) {
    const auto* upn = std::get_if<wire::UpdateNotification>(&m.body);
    if (!upn || !population_.mag_index(d.dst)) return false;
    if (upn->ack_requested) {
      wire::Message upa{wire::UpdateNotificationAck{upn->sequence, wire::NotificationAckStatus::kSuccess}, {}};
      wire::Bytes out;
      if (wire::encode_message(upa, out)) mh_.send(d.dst, d.src, out);
    }
    return true;
  }

  void drain_upns() {
    while (auto d = mh_.receive()) {
      if (auto decoded = wire::decode_message(d->payload)) answer_upn(*d, decoded->message);
    }
  }

  static bool pending_fma(const std::string& api_answer) {
    auto body = nlohmann::json::parse(api_answer, nullptr, false);
    return body.is_object() && body.value("pending_fma", false);
  }

  // Waits for an FMI about `mn` to `mag` (answering it and any other UPN); its arrival time,
  // or nullopt.
  std::optional<Clock::time_point> wait_fmi(std::uint32_t mn, const wire::Ipv6Address& mag,
                                            Clock::time_point deadline) {
    auto name = population_.mn_name(mn);
    while (Clock::now() < deadline) {
      while (auto d = mh_.receive()) {
        auto at = Clock::now();
        auto decoded = wire::decode_message(d->payload);
        if (!decoded || !answer_upn(*d, decoded->message)) continue;
        const auto& m = decoded->message;
        const auto* id = wire::find_option<wire::MnIdOption>(m);
        if (d->dst == mag && std::get<wire::UpdateNotification>(m.body).reason == wire::NotificationReason::kFlowMobility &&
            id && id->identifier == name) {
          return at;
        }
      }
      wait_readable(mh_.fd(), deadline);
    }
    return std::nullopt;
  }

  void note_api_error(const char* what, const httplib::Result& res) {
    if (!first_error_.empty()) return;
    first_error_ = res ? fmt::format("{}: HTTP {}: {}", what, res->status, res->body)
                       : fmt::format("{}: {}", what, httplib::to_string(res.error()));
  }
};

std::optional<bench::PbuKind> kind_of(const std::string& phase) {
  if (phase == "register") return bench::PbuKind::kRegister;
  if (phase == "refresh" || phase == "refresh_half" || phase == "echo" || phase == "move") return bench::PbuKind::kRefresh;
  if (phase == "deregister") return bench::PbuKind::kDeregister;
  if (phase == "attach_second") return bench::PbuKind::kAttachSecond;
  if (phase == "deregister_second") return bench::PbuKind::kDeregisterSecond;
  return std::nullopt;
}

// "host:port" or "[v6]:port".
std::optional<std::pair<std::string, int>> split_host_port(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return std::nullopt;
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
    if (port > 65535) return std::nullopt;
  }
  if (host.empty() || port == 0) return std::nullopt;
  return std::pair{host, port};
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
  std::vector<std::string> phases = o.phases;
  if (phases.empty()) {
    phases = {"echo", "register", "refresh", "refresh_half"};
    if (o.moves > 0) phases.insert(phases.end(), {"attach_second", "move", "deregister_second"});
    phases.push_back("deregister");
  }
  for (const auto& p : phases) {
    if (!kind_of(p)) {
      err << "pmipx bench signaling: unknown phase '" << p
          << "' (echo, register, refresh, refresh_half, attach_second, move, deregister_second, deregister)\n";
      return 2;
    }
  }
  std::optional<std::pair<std::string, int>> api_at;
  if (std::find(phases.begin(), phases.end(), "move") != phases.end()) {
    api_at = split_host_port(o.api);
    if (!api_at || o.moves == 0 || o.mags < 2) {
      err << "pmipx bench signaling: flow moves need --moves N, --mags >= 2 and --api HOST:PORT (the LMA's API)\n";
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
  // A deep receive queue on our side (root may exceed rmem_max), so a reply lost at a rate
  // burst is lost at the LMA or the echo, not here while the generator was descheduled.
  for (int fd : {mh->fd(), echo->fd()}) {
    int bytes = 32 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes);
  }
  Generator gen(population, *mh, *echo, *lmaa, *echo_address, std::chrono::milliseconds(o.timeout_ms), o.moves);
  std::optional<httplib::Client> api;
  if (api_at) {
    api.emplace(api_at->first, api_at->second);
    api->set_keep_alive(true);
    api->set_tcp_nodelay(true);  // else Nagle + delayed ACK add 40 ms to each request
    api->set_read_timeout(std::chrono::milliseconds(o.timeout_ms));
  }

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
                  {"moves", o.moves},
                  {"api", o.api},
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
  for (const auto& name : phases) {
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
    auto result = name == "move" ? gen.run_moves(spec, *api) : gen.run(spec);
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
