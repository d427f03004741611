// What the MN agent reports: a log line and a counter each (STYLE.md). Kept apart from the
// network engines' EventKind: the MN has no bindings, only interfaces, addresses and rules.
#pragma once

#include <cstdint>
#include <string>

#include "core/mn/uplink_rule.hpp"

namespace pmipx::core {

enum class MnEventKind : std::uint8_t {
  kInterfaceUp,
  kInterfaceDown,
  kPrefixIgnored,        // RA prefix not usable for an address (RFC 4862 §5.5.3)
  kPrefixExpired,        // valid lifetime ran out
  kRouterExpired,        // router lifetime ran out: no default route on the interface
  kAddressAdded,
  kAddressRemoved,
  kAddressConflict,      // the address already belongs to another interface: not configured
  kPrimaryHoaChanged,    // seed 003 §2.1
  kDefaultUplinkChanged,
  kRuleResolved,         // a rule now leaves through another interface
  kRuleSuspended,        // no usable interface at all
  kHandoverIndicated,    // IFP/P sent towards a MAG (seed 003 §6.2)
  kCommandRejected,      // bad input: nothing changed
};

struct MnEvent {
  MnEventKind kind{};
  IfaceId iface = 0;      // kLogicalInterface when none or the logical one
  std::uint32_t rule = 0; // uplink rule, 0 if none
  std::string detail;
};

const char* to_string(MnEventKind kind);

}  // namespace pmipx::core
