// What engines ask the outside world to do. The daemon drains these queues after every call
// (STYLE.md: no callbacks out of the core).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>

#include "wire/address.hpp"
#include "wire/message.hpp"

namespace pmipx::core {

// A message to send. Encoding happens at the edge; the typed value is what tests inspect.
struct Transmit {
  wire::Ipv6Address src;
  wire::Ipv6Address dst;
  wire::Message message;
};

// Something worth a log line and a counter.
enum class EventKind : std::uint8_t {
  kMessageDropped,     // malformed, unexpected or silently ignored input
  kPbuAccepted,
  kPbuRejected,
  kBindingCreated,
  kBindingUpdated,
  kBindingHandoff,
  kBindingDeregistered,
  kBindingDeleted,
  kBindingExpired,
  kPrefixAllocated,
  kPrefixReleased,
  kMnAttached,             // MAG
  kMnRegistered,
  kMnRejected,
  kMnDetached,
  kPbuRetransmitted,
  kRegistrationUnanswered,
  kFlowMoved,              // flow mobility cache changed and programmed
  kFlowMoveFailed,         // FMA failure status or no FMA: rolled back
  kFlowRemoved,  // still no PBA after many retransmissions
};

struct Event {
  EventKind kind{};
  std::string mn;           // MN identifier, printable
  std::uint64_t entry = 0;  // binding cache entry, 0 if none
  std::uint32_t status = 0; // PBA status or similar
  std::string detail;
};

const char* to_string(EventKind kind);

// Engines queue their outputs; callers drain them one at a time.
template <class T>
std::optional<T> take_front(std::deque<T>& q) {
  if (q.empty()) return std::nullopt;
  T v = std::move(q.front());
  q.pop_front();
  return v;
}

}  // namespace pmipx::core
