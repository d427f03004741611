#include "core/mn/mn_event.hpp"

namespace pmipx::core {

const char* to_string(MnEventKind kind) {
  switch (kind) {
    case MnEventKind::kInterfaceUp: return "interface-up";
    case MnEventKind::kInterfaceDown: return "interface-down";
    case MnEventKind::kPrefixIgnored: return "prefix-ignored";
    case MnEventKind::kPrefixExpired: return "prefix-expired";
    case MnEventKind::kRouterExpired: return "router-expired";
    case MnEventKind::kAddressAdded: return "address-added";
    case MnEventKind::kAddressRemoved: return "address-removed";
    case MnEventKind::kAddressConflict: return "address-conflict";
    case MnEventKind::kPrimaryHoaChanged: return "primary-hoa-changed";
    case MnEventKind::kDefaultUplinkChanged: return "default-uplink-changed";
    case MnEventKind::kRuleResolved: return "rule-resolved";
    case MnEventKind::kRuleSuspended: return "rule-suspended";
    case MnEventKind::kHandoverIndicated: return "handover-indicated";
    case MnEventKind::kCommandRejected: return "command-rejected";
  }
  return "unknown";
}

}  // namespace pmipx::core
