// LMA engine throughput and memory (issue 3): initial registrations, and refreshes with N
// bindings in the cache. Live heap bytes are tracked by a replaced operator new/delete, so
// "bytes per binding" is the cache's real footprint (entries, indexes, pool bitmap).
//
//   ./build/bench/engine_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/lma/lma_engine.hpp"
#include "core/mag/mag_engine.hpp"

namespace {
std::atomic<std::int64_t> g_live{0};
// Only the memory benchmark counts; the others run without the bookkeeping cost.
std::atomic<bool> g_track{true};

// Kept out of line so the compiler does not pair the replaced operators with malloc/free.
[[gnu::noinline]] void* tracked_alloc(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  if (g_track.load(std::memory_order_relaxed)) g_live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  return p;
}
[[gnu::noinline]] void tracked_free(void* p) noexcept {
  if (!p) return;
  if (g_track.load(std::memory_order_relaxed)) g_live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) { return tracked_alloc(n); }
void* operator new[](std::size_t n) { return tracked_alloc(n); }
void operator delete(void* p) noexcept { tracked_free(p); }
void operator delete[](void* p) noexcept { tracked_free(p); }
void operator delete(void* p, std::size_t) noexcept { tracked_free(p); }
void operator delete[](void* p, std::size_t) noexcept { tracked_free(p); }

namespace {
using namespace pmipx;
using namespace pmipx::core;

const wire::Ipv6Address kLmaa = *wire::Ipv6Address::parse("2001:db8:b::1");
const wire::Ipv6Address kMag = *wire::Ipv6Address::parse("2001:db8:a::1");

struct Bench {
  std::unique_ptr<LmaEngine> lma;
  Now now{Instant{} + seconds(1), WallTime{} + seconds(1'700'000'000)};
  std::vector<wire::Message> refresh;  // one prepared refresh PBU per MN

  explicit Bench(std::size_t n) {
    PolicyStore p(PrefixPool::create(*wire::Ipv6Prefix::parse("2001:db8::/40"), 64));
    p.authorize_mag(kMag);
    for (std::size_t i = 0; i < n; ++i) {
      MnProfile mn;
      mn.id = MnId::nai("mn" + std::to_string(i) + "@bench.example");
      p.add_mn(mn);
    }
    LmaConfig c;
    c.address = kLmaa;
    lma = std::make_unique<LmaEngine>(c, std::move(p));
  }

  // 16 µs of wall time per message keeps every timestamp strictly greater (48.16 format).
  void tick() {
    now.mono += std::chrono::microseconds(16);
    now.wall += std::chrono::microseconds(16);
  }

  static wire::Message pbu(std::size_t i, const wire::Ipv6Prefix& hnp, wire::HandoffIndicator hi) {
    return wire::Message{wire::BindingUpdate{1, wire::bu_flag::kA | wire::bu_flag::kP, wire::Lifetime{900}},
                         {wire::HnpOption{false, hnp},
                          wire::MnIdOption{wire::MnIdSubtype::kNai, "mn" + std::to_string(i) + "@bench.example"},
                          wire::HandoffIndicatorOption{hi}, wire::AccessTechTypeOption{wire::AccessTech::kWlan},
                          wire::TimestampOption{}}};
  }

  void handle(wire::Message& m) {
    std::get<wire::TimestampOption>(m.options[4]).value = to_timestamp(now.wall);
    lma->handle_message(now, kMag, kLmaa, m);
    while (lma->poll_transmit()) {
    }
    while (lma->poll_dataplane()) {
    }
    while (lma->poll_event()) {
    }
    tick();
  }

  void register_all(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto m = pbu(i, wire::Ipv6Prefix{}, wire::HandoffIndicator::kNewInterface);
      handle(m);
    }
  }

  void prepare_refreshes(std::size_t n) {
    refresh.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto ids = lma->bindings().by_mn(MnId::nai("mn" + std::to_string(i) + "@bench.example"));
      refresh.push_back(pbu(i, lma->bindings().find(ids.at(0))->prefixes.at(0), wire::HandoffIndicator::kNotChanged));
    }
  }
};

void BM_LmaInitialRegistration(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    Bench b(n);
    std::int64_t before = g_live.load();
    state.ResumeTiming();
    b.register_all(n);
    state.PauseTiming();
    if (b.lma->bindings().size() != n) state.SkipWithError("registration failed");
    state.counters["bytes_per_binding"] =
        static_cast<double>(g_live.load() - before) / static_cast<double>(n);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LmaInitialRegistration)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_LmaRefresh(benchmark::State& state) {
  g_track = false;
  auto n = static_cast<std::size_t>(state.range(0));
  Bench b(n);
  b.register_all(n);
  b.prepare_refreshes(n);
  std::size_t i = 0;
  std::uint64_t accepted_before = b.lma->counters().pba_accepted;
  for (auto _ : state) {
    auto& m = b.refresh[i];
    std::get<wire::BindingUpdate>(m.body).sequence++;
    b.handle(m);
    if (++i == n) i = 0;
  }
  auto accepted = b.lma->counters().pba_accepted - accepted_before;
  if (accepted != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("a refresh was rejected");
  state.SetItemsProcessed(state.iterations());
  state.counters["bindings"] = static_cast<double>(b.lma->bindings().size());
}
BENCHMARK(BM_LmaRefresh)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);

// MAG attachments per second: attach -> PBU, then the LMA's PBA -> registered (tunnel, route,
// RA operations). The LMA engine answers in the loop, so this is MAG + LMA work per MN.
void BM_MagAttach(benchmark::State& state) {
  g_track = false;
  auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    Bench b(n);
    MagConfig mc;
    mc.proxy_coa = kMag;
    mc.lmaa = kLmaa;
    MagEngine mag(mc);
    state.ResumeTiming();
    for (std::size_t i = 0; i < n; ++i) {
      Attachment a;
      a.link = static_cast<LinkId>(i + 1);
      a.mn_id = MnId::nai("mn" + std::to_string(i) + "@bench.example");
      a.att = wire::AccessTech::kWlan;
      mag.attach(b.now, a);
      while (auto t = mag.poll_transmit()) b.lma->handle_message(b.now, t->src, t->dst, t->message);
      while (auto t = b.lma->poll_transmit()) mag.handle_message(b.now, t->src, t->dst, t->message);
      while (mag.poll_dataplane()) {
      }
      while (mag.poll_event()) {
      }
      while (b.lma->poll_dataplane()) {
      }
      while (b.lma->poll_event()) {
      }
      b.tick();
    }
    state.PauseTiming();
    if (mag.counters().pba_accepted != n) state.SkipWithError("an attachment did not register");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MagAttach)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
