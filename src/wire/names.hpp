// Registry names for printing (PROTOCOL.md §1). Unknown values give nullptr.
#pragma once

#include <cstdint>

#include "wire/codepoints.hpp"

namespace pmipx::wire {

const char* mh_type_name(std::uint8_t type);
const char* option_name(std::uint8_t type);
const char* ba_status_name(std::uint8_t status);
const char* handoff_indicator_name(std::uint8_t hi);
const char* access_tech_name(std::uint8_t att);
const char* mn_id_subtype_name(std::uint8_t subtype);
const char* revocation_trigger_name(std::uint8_t trigger);
const char* revocation_status_name(std::uint8_t status);
const char* notification_reason_name(std::uint16_t reason);
const char* notification_ack_status_name(std::uint8_t status);
const char* flow_binding_action_name(std::uint8_t action);
const char* flow_id_status_name(std::uint8_t status);

}  // namespace pmipx::wire
