#include "bench/request_tracker.hpp"

namespace pmipx::bench {

bool RequestTracker::add(RequestKey key, std::uint32_t mn, Instant sent) {
  auto [it, fresh] = pending_.try_emplace(key.packed(), Pending{mn, sent});
  if (!fresh) return false;
  order_.emplace_back(sent, key.packed());
  return true;
}

std::optional<Completed> RequestTracker::complete(RequestKey key, Instant now) {
  auto it = pending_.find(key.packed());
  if (it == pending_.end()) return std::nullopt;
  Completed c{it->second.mn, now - it->second.sent};
  pending_.erase(it);
  drop_answered_front();
  return c;
}

void RequestTracker::drop_answered_front() {
  // A front entry is stale when its key is gone or was reused by a later send.
  while (!order_.empty()) {
    auto it = pending_.find(order_.front().second);
    if (it != pending_.end() && it->second.sent == order_.front().first) break;
    order_.pop_front();
  }
}

void RequestTracker::expire(Instant now, std::vector<std::uint32_t>& expired) {
  drop_answered_front();
  while (!order_.empty() && order_.front().first + timeout_ <= now) {
    auto it = pending_.find(order_.front().second);
    expired.push_back(it->second.mn);
    pending_.erase(it);
    order_.pop_front();
    drop_answered_front();
  }
}

std::optional<Instant> RequestTracker::next_deadline() const {
  for (const auto& [sent, key] : order_) {
    auto it = pending_.find(key);
    if (it != pending_.end() && it->second.sent == sent) return sent + timeout_;
  }
  return std::nullopt;
}

}  // namespace pmipx::bench
