#include "core/action.hpp"

namespace pmipx::core {

std::optional<Transmit> binding_error_for(const wire::WireError& e, const wire::Ipv6Address& src,
                                          const wire::Ipv6Address& dst) {
  if (e.code != wire::WireErrc::kUnknownMhType || src.is_multicast() || src.is_zero()) return std::nullopt;
  return Transmit{dst, src,
                  wire::Message{wire::BindingError{wire::BindingErrorStatus::kUnrecognizedMhType, {}}, {}}};
}

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kMessageDropped: return "message-dropped";
    case EventKind::kPbuAccepted: return "pbu-accepted";
    case EventKind::kPbuRejected: return "pbu-rejected";
    case EventKind::kBindingCreated: return "binding-created";
    case EventKind::kBindingUpdated: return "binding-updated";
    case EventKind::kBindingHandoff: return "binding-handoff";
    case EventKind::kBindingDeregistered: return "binding-deregistered";
    case EventKind::kBindingDeleted: return "binding-deleted";
    case EventKind::kBindingExpired: return "binding-expired";
    case EventKind::kPrefixAllocated: return "prefix-allocated";
    case EventKind::kPrefixReleased: return "prefix-released";
    case EventKind::kMnAttached: return "mn-attached";
    case EventKind::kMnRegistered: return "mn-registered";
    case EventKind::kMnRejected: return "mn-rejected";
    case EventKind::kMnDetached: return "mn-detached";
    case EventKind::kPbuRetransmitted: return "pbu-retransmitted";
    case EventKind::kRegistrationUnanswered: return "registration-unanswered";
    case EventKind::kFlowMoved: return "flow-moved";
    case EventKind::kFlowMoveFailed: return "flow-move-failed";
    case EventKind::kFlowRemoved: return "flow-removed";
  }
  return "unknown";
}

}  // namespace pmipx::core
