#include "sim_lab.hpp"

#include <algorithm>

#include "wire/checksum.hpp"
#include "wire/print.hpp"

namespace pmipx::sim {

SimLab::SimLab(LmaConfig lma, PolicyStore policy, std::uint64_t seed)
    : lma_(std::make_unique<LmaEngine>(std::move(lma), std::move(policy))), rng_(seed) {}

std::size_t SimLab::add_mag(const wire::Ipv6Address& address, MagConfig c) {
  c.proxy_coa = address;
  c.lmaa = lma_->config().address;
  c.timestamps = lma_->config().timestamps;
  std::vector<wire::Ipv6Address> addresses{address};
  for (const auto& w : c.wan_links) addresses.push_back(w.proxy_coa);
  mags_.push_back(MagNode{std::move(addresses), std::make_unique<MagEngine>(std::move(c)), {}});
  return mags_.size() - 1;
}

void SimLab::wan_link_down(std::size_t mag, PathIndex path) {
  auto& engine = *mags_.at(mag).engine;
  dead_.push_back(engine.config().wan_links.at(path).proxy_coa);
  engine.wan_link_down(now_, path);
  collect();
}

void SimLab::wan_link_up(std::size_t mag, PathIndex path) {
  auto& engine = *mags_.at(mag).engine;
  auto coa = engine.config().wan_links.at(path).proxy_coa;
  dead_.erase(std::remove(dead_.begin(), dead_.end(), coa), dead_.end());
  engine.wan_link_up(now_, path);
  collect();
}

void SimLab::attach(std::size_t mag, const Attachment& a) {
  mags_.at(mag).engine->attach(now_, a);
  collect();
}

void SimLab::detach(std::size_t mag, LinkId link) {
  mags_.at(mag).engine->detach(now_, link);
  collect();
}

void SimLab::send(const Transmit& t) {
  auto bytes = wire::encode_message(t.message, lma_->config().codec);
  WireRecord rec{now_.mono, t.src, t.dst, {}, t.message, false};
  if (!bytes) {
    // An engine built something the codec refuses: a bug worth seeing in the test.
    ++decode_failures_;
    rec.dropped = true;
    log_.push_back(std::move(rec));
    return;
  }
  wire::set_mh_checksum(t.src, t.dst, *bytes);
  rec.mh = *bytes;
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  bool dead = std::find(dead_.begin(), dead_.end(), t.src) != dead_.end() ||
              std::find(dead_.begin(), dead_.end(), t.dst) != dead_.end();
  bool lost = coin(rng_) < conditions.loss || (drop_if && drop_if(rec)) || dead;
  rec.dropped = lost;
  log_.push_back(rec);
  if (lost) return;
  int copies = coin(rng_) < conditions.duplicate ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    Duration extra{};
    if (conditions.jitter.count() > 0) {
      std::uniform_int_distribution<Duration::rep> j(0, conditions.jitter.count() - 1);
      extra = Duration(j(rng_));
    }
    queue_.push_back(Delivery{now_.mono + conditions.delay + extra, order_++, t.src, t.dst, *bytes});
    std::push_heap(queue_.begin(), queue_.end(), std::greater<>{});
  }
}

void SimLab::collect() {
  // Drain until quiet: a delivery can cause transmissions that cause nothing more here.
  while (auto t = lma_->poll_transmit()) send(*t);
  while (auto o = lma_->poll_dataplane()) lma_ops_.push_back(*o);
  while (auto e = lma_->poll_event()) events_.push_back(*e);
  for (auto& m : mags_) {
    while (auto t = m.engine->poll_transmit()) send(*t);
    while (auto o = m.engine->poll_dataplane()) m.ops.push_back(*o);
    while (auto e = m.engine->poll_event()) events_.push_back(*e);
  }
}

void SimLab::deliver(const Delivery& d) {
  if (!wire::mh_checksum_ok(d.src, d.dst, d.mh)) {
    ++decode_failures_;
    return;
  }
  ++delivered_;
  if (d.dst == lma_->config().address) {
    lma_->handle_datagram(now_, d.src, d.dst, d.mh);
  } else {
    for (auto& m : mags_) {
      if (std::find(m.addresses.begin(), m.addresses.end(), d.dst) != m.addresses.end()) {
        m.engine->handle_datagram(now_, d.src, d.dst, d.mh);
      }
    }
  }
  collect();
}

std::optional<Instant> SimLab::next_timer() const {
  std::optional<Instant> t = lma_->poll_timeout();
  for (const auto& m : mags_) {
    auto mt = m.engine->poll_timeout();
    if (mt && (!t || *mt < *t)) t = mt;
  }
  return t;
}

void SimLab::advance_to(Instant t) {
  auto d = t - now_.mono;
  now_.mono = t;
  now_.wall += std::chrono::duration_cast<WallTime::duration>(d);
}

void SimLab::run_until(Instant end) {
  for (;;) {
    std::optional<Instant> next = next_timer();
    if (queue_.empty() && !next) break;  // nothing left to happen
    bool delivery_first = !queue_.empty() && (!next || queue_.front().at <= *next);
    Instant at = delivery_first ? queue_.front().at : *next;
    if (at > end) break;
    if (at > now_.mono) advance_to(at);
    if (delivery_first) {
      std::pop_heap(queue_.begin(), queue_.end(), std::greater<>{});
      Delivery d = std::move(queue_.back());
      queue_.pop_back();
      deliver(d);
    } else {
      lma_->handle_timeout(now_);
      for (auto& m : mags_) m.engine->handle_timeout(now_);
      collect();
    }
  }
  if (end > now_.mono) advance_to(end);
}

std::vector<std::string> SimLab::chart() const {
  std::vector<std::string> out;
  for (const auto& r : log_) out.push_back((r.dropped ? "x" : "") + wire::message_name(r.message));
  return out;
}

}  // namespace pmipx::sim
