// Deadlines keyed by what they are for. Arming a key again moves its deadline; the next
// deadline is the earliest; expired keys come out in deadline order. Handling a timeout
// that is not due does nothing (quinn-proto's timer table, STYLE.md).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace pmipx::core {

template <class Key>
class TimerQueue {
 public:
  void arm(const Key& key, Instant when) {
    cancel(key);
    by_key_.emplace(key, when);
    by_time_.emplace(when, key);
  }
  void cancel(const Key& key) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    by_time_.erase({it->second, key});
    by_key_.erase(it);
  }
  std::optional<Instant> next() const {
    if (by_time_.empty()) return std::nullopt;
    return by_time_.begin()->first;
  }
  // Removes and returns the first key due at `now`, if any.
  std::optional<Key> pop_due(Instant now) {
    if (by_time_.empty() || by_time_.begin()->first > now) return std::nullopt;
    Key key = by_time_.begin()->second;
    by_time_.erase(by_time_.begin());
    by_key_.erase(key);
    return key;
  }
  std::size_t size() const { return by_key_.size(); }

 private:
  std::map<Key, Instant> by_key_;
  std::set<std::pair<Instant, Key>> by_time_;
};

}  // namespace pmipx::core
