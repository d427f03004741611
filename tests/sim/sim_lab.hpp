// An in-memory PMIPv6 network for scenario tests (STYLE.md: quinn-proto's Pair): one LMA and
// several MAGs, the same engines the daemons run, a virtual clock, and a wire with delay,
// jitter, loss and duplication. Every message crosses it encoded and checksummed, and is
// decoded on arrival, so scenarios exercise the codec too. Seeded: runs are reproducible.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/lma/lma_engine.hpp"
#include "core/mag/mag_engine.hpp"

namespace pmipx::sim {

using namespace pmipx::core;

struct WireConditions {
  Duration delay = milliseconds(5);
  Duration jitter{};          // extra uniform delay in [0, jitter): reorders
  double loss = 0.0;          // probability a message is dropped
  double duplicate = 0.0;     // probability a message is delivered twice
};

// One message as it crossed the wire (after encoding), for assertions and captures.
struct WireRecord {
  Instant sent;
  wire::Ipv6Address src, dst;
  wire::Bytes mh;
  wire::Message message;
  bool dropped = false;
};

class SimLab {
 public:
  SimLab(LmaConfig lma, PolicyStore policy, std::uint64_t seed = 1);

  // Adds a MAG whose proxy-CoA is `address` (plus the addresses of any WAN links in
  // `overrides`); returns its index.
  std::size_t add_mag(const wire::Ipv6Address& address, MagConfig overrides = {});
  // A MAG's WAN link fails or returns: the MAG is told, and the wire drops everything to or
  // from that proxy-CoA while it is down.
  void wan_link_down(std::size_t mag, PathIndex path);
  void wan_link_up(std::size_t mag, PathIndex path);
  // Runs a command against a MAG at the current time and sends what it queued.
  template <class F>
  auto at_mag(std::size_t mag, F&& command) {
    auto r = command(*mags_.at(mag).engine, now_);
    collect();
    return r;
  }

  void attach(std::size_t mag, const Attachment& a);
  // Runs an operator command against the LMA at the current time and sends what it queued.
  template <class F>
  auto at_lma(F&& command) {
    auto r = command(*lma_, now_);
    collect();
    return r;
  }
  void detach(std::size_t mag, LinkId link);

  // Runs events until virtual time reaches `t` (or passes `d` from now).
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now_.mono + d); }

  WireConditions conditions;
  // Drops a message when it returns true (after `conditions` let it through).
  std::function<bool(const WireRecord&)> drop_if;

  LmaEngine& lma() { return *lma_; }
  MagEngine& mag(std::size_t i) { return *mags_.at(i).engine; }
  const Now& now() const { return now_; }
  const std::vector<WireRecord>& wire_log() const { return log_; }
  const std::vector<LmaDataplaneOp>& lma_ops() const { return lma_ops_; }
  const std::vector<MagDataplaneOp>& mag_ops(std::size_t i) const { return mags_.at(i).ops; }
  const std::vector<Event>& events() const { return events_; }
  std::size_t delivered() const { return delivered_; }
  std::size_t decode_failures() const { return decode_failures_; }

  // Message names on the wire in order, e.g. {"PBU", "PBA"}; dropped ones are marked "x".
  std::vector<std::string> chart() const;

 private:
  struct MagNode {
    std::vector<wire::Ipv6Address> addresses;
    std::unique_ptr<MagEngine> engine;
    std::vector<MagDataplaneOp> ops;
  };
  struct Delivery {
    Instant at;
    std::uint64_t order;
    wire::Ipv6Address src, dst;
    wire::Bytes mh;
    bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  void collect();
  void send(const Transmit& t);
  void deliver(const Delivery& d);
  void advance_to(Instant t);
  std::optional<Instant> next_timer() const;

  Now now_{Instant{} + seconds(1), WallTime{} + seconds(1'700'000'000)};
  std::unique_ptr<LmaEngine> lma_;
  std::vector<MagNode> mags_;
  std::vector<Delivery> queue_;  // min-heap on (at, order)
  std::uint64_t order_ = 0;
  std::mt19937_64 rng_;
  std::vector<WireRecord> log_;
  std::vector<LmaDataplaneOp> lma_ops_;
  std::vector<Event> events_;
  std::size_t delivered_ = 0;
  std::size_t decode_failures_ = 0;
  std::vector<wire::Ipv6Address> dead_;  // proxy-CoAs of WAN links that are down
};

}  // namespace pmipx::sim
