// Mobility Header codec micro-benchmarks: decode and encode of
//   PBU  the PROTOCOL.md §14.1 initial PBU (88 octets),
//   PBA  a PBA echoing the PBU's options with 4 HNP options,
//   FMI  an UPN reason 8 (FLOW-MOBILITY) with 8 Flow Identification options, each with an
//        IPv6 traffic selector and a BID reference.
// Besides time per operation, each benchmark reports heap allocations per operation
// (`allocs_per_op`, `alloc_bytes_per_op`), counted by the global operator new below.
#include <benchmark/benchmark.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "wire/codec.hpp"
#include "wire/hex.hpp"
#include "wire/message.hpp"

// ---- allocation counting ----------------------------------------------------------------

namespace {
std::size_t g_allocs = 0;
std::size_t g_alloc_bytes = 0;

void* counted_alloc(std::size_t size) {
  ++g_allocs;
  g_alloc_bytes += size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* counted_alloc_aligned(std::size_t size, std::align_val_t align) {
  ++g_allocs;
  g_alloc_bytes += size;
  auto a = static_cast<std::size_t>(align);
  std::size_t rounded = (size + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t a) { return counted_alloc_aligned(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_alloc_aligned(size, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace pmipx::wire;

// Counts the allocations of the timed loop only: construct just before it, call stop()
// just after it (before anything else allocates).
class AllocScope {
 public:
  explicit AllocScope(benchmark::State& state) : state_(state) {
    g_allocs = 0;
    g_alloc_bytes = 0;
  }
  void stop() {
    std::size_t allocs = g_allocs, bytes = g_alloc_bytes;
    auto n = static_cast<double>(state_.iterations());
    if (n > 0) {
      state_.counters["allocs_per_op"] = static_cast<double>(allocs) / n;
      state_.counters["alloc_bytes_per_op"] = static_cast<double>(bytes) / n;
    }
  }

 private:
  benchmark::State& state_;
};

// ---- messages -----------------------------------------------------------------------------

Bytes hex(const char* text) { return *parse_hex(text); }

// PROTOCOL.md §14.1.
const Bytes& pbu_bytes() {
  static const Bytes b = hex(
      "3b 0a 05 00 e4 63 00 01 82 00 03 84 16 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "00 00 08 10 01 6d 6e 31 40 65 78 61 6d 70 6c 65 2e 63 6f 6d 17 02 00 01 18 02 00 04 1b 08"
      "00 00 65 53 f1 00 80 00 01 00 1a 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  return b;
}

Ipv6Address v6(const char* t) { return *Ipv6Address::parse(t); }
Ipv6Prefix pfx(const char* t) { return *Ipv6Prefix::parse(t); }

Message pba_message() {
  return Message{BindingAck{BaStatus::kAccepted, ba_flag::kP, 1, Lifetime{900 / 4}},
                 {HnpOption{false, pfx("2001:db8:1:1::/64")},
                  HnpOption{false, pfx("2001:db8:1:2::/64")},
                  HnpOption{false, pfx("2001:db8:1:3::/64")},
                  HnpOption{false, pfx("2001:db8:1:4::/64")},
                  MnIdOption{MnIdSubtype::kNai, "mn1@example.com"},
                  HandoffIndicatorOption{HandoffIndicator::kNewInterface},
                  AccessTechTypeOption{AccessTech::kWlan},
                  TimestampOption{Timestamp{0x00006553f1008000ULL}},
                  LinkLocalAddressOption{v6("fe80::200:5eff:fe00:5213")}}};
}

Message fmi_message() {
  Message m{UpdateNotification{10, NotificationReason::kFlowMobility, true, false},
            {MnIdOption{MnIdSubtype::kNai, "mn1@example.com"},
             HnpOption{true, pfx("2001:db8:1:2::/64")}}};
  for (std::uint16_t i = 1; i <= 8; ++i) {
    Ipv6TrafficSelector ts;
    Ipv6Address src = v6("2001:db8:1:2::100");
    src.octets[15] = static_cast<std::uint8_t>(i);
    ts.src = Bound<Ipv6Address>{src, std::nullopt};
    ts.dst_port = Bound<std::uint16_t>{static_cast<std::uint16_t>(5000 + 10 * i),
                                       static_cast<std::uint16_t>(5009 + 10 * i)};
    ts.next_header = Bound<std::uint8_t>{17, std::nullopt};
    FlowIdOption f;
    f.fid = i;
    f.priority = static_cast<std::uint16_t>(10 * i);
    f.selector = TrafficSelector{ts};
    f.bid_refs = {static_cast<std::uint16_t>(1 + i % 2)};
    m.options.emplace_back(std::move(f));
  }
  return m;
}

Bytes must_encode(const Message& m) {
  auto r = encode_message(m);
  if (!r) std::abort();
  return *r;
}

const Message& pbu_msg() {
  static const Message m = decode_message(pbu_bytes())->message;
  return m;
}
const Message& pba_msg() {
  static const Message m = pba_message();
  return m;
}
const Message& fmi_msg() {
  static const Message m = fmi_message();
  return m;
}
const Bytes& pba_bytes() {
  static const Bytes b = must_encode(pba_msg());
  return b;
}
const Bytes& fmi_bytes() {
  static const Bytes b = must_encode(fmi_msg());
  return b;
}

// ---- benchmarks ---------------------------------------------------------------------------

void run_decode(benchmark::State& state, const Bytes& wire) {
  const CodecConfig config{};
  {
    auto check = decode_message(wire, config);
    if (!check || !check->notes.empty()) {
      state.SkipWithError("benchmark input does not decode cleanly");
      return;
    }
  }
  ByteView view(wire);
  AllocScope allocs(state);
  for (auto _ : state) {
    benchmark::DoNotOptimize(view);
    auto r = decode_message(view, config);
    benchmark::DoNotOptimize(r);
  }
  allocs.stop();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(wire.size()));
  state.SetLabel(std::to_string(wire.size()) + " octets");
}

// Appends into a buffer reused across iterations (capacity kept): the engines' send path.
void run_encode(benchmark::State& state, const Message& m) {
  const CodecConfig config{};
  Bytes out;
  out.reserve(2048);
  if (!encode_message(m, out, config)) {
    state.SkipWithError("benchmark message does not encode");
    return;
  }
  std::size_t size = out.size();
  AllocScope allocs(state);
  for (auto _ : state) {
    out.clear();
    auto r = encode_message(m, out, config);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  allocs.stop();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(size));
  state.SetLabel(std::to_string(size) + " octets");
}

// The convenience overload that returns a fresh vector.
void run_encode_alloc(benchmark::State& state, const Message& m) {
  const CodecConfig config{};
  AllocScope allocs(state);
  for (auto _ : state) {
    auto r = encode_message(m, config);
    benchmark::DoNotOptimize(r);
  }
  allocs.stop();
}

void BM_Decode_PBU(benchmark::State& s) { run_decode(s, pbu_bytes()); }
void BM_Decode_PBA_4HNP(benchmark::State& s) { run_decode(s, pba_bytes()); }
void BM_Decode_FMI_8FID(benchmark::State& s) { run_decode(s, fmi_bytes()); }
void BM_Encode_PBU(benchmark::State& s) { run_encode(s, pbu_msg()); }
void BM_Encode_PBA_4HNP(benchmark::State& s) { run_encode(s, pba_msg()); }
void BM_Encode_FMI_8FID(benchmark::State& s) { run_encode(s, fmi_msg()); }
void BM_EncodeNewBuffer_PBU(benchmark::State& s) { run_encode_alloc(s, pbu_msg()); }
void BM_EncodeNewBuffer_FMI_8FID(benchmark::State& s) { run_encode_alloc(s, fmi_msg()); }

BENCHMARK(BM_Decode_PBU);
BENCHMARK(BM_Decode_PBA_4HNP);
BENCHMARK(BM_Decode_FMI_8FID);
BENCHMARK(BM_Encode_PBU);
BENCHMARK(BM_Encode_PBA_4HNP);
BENCHMARK(BM_Encode_FMI_8FID);
BENCHMARK(BM_EncodeNewBuffer_PBU);
BENCHMARK(BM_EncodeNewBuffer_FMI_8FID);

}  // namespace

BENCHMARK_MAIN();
