// What engines ask the outside world to do. The daemon drains these queues after every call
// (STYLE.md: no callbacks out of the core).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>

#include "wire/address.hpp"
#include "wire/error.hpp"
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
  std::uint16_t fid = 0;    // flow events: the flow (FID), 0 otherwise
};

const char* to_string(EventKind kind);

// RFC 6275 §9.2: a message of unknown MH type is answered with Binding Error status 2, to a
// unicast source only. Shared by every engine that receives datagrams.
std::optional<Transmit> binding_error_for(const wire::WireError& e, const wire::Ipv6Address& src,
                                          const wire::Ipv6Address& dst);

// Engines queue their outputs; callers drain them one at a time.
template <class T>
std::optional<T> take_front(std::deque<T>& q) {
  if (q.empty()) return std::nullopt;
  T v = std::move(q.front());
  q.pop_front();
  return v;
}

}  // namespace pmipx::core
