#include "wire/names.hpp"

namespace pmipx::wire {

const char* mh_type_name(std::uint8_t type) {
  switch (type) {
    case 0: return "Binding Refresh Request";
    case 1: return "Home Test Init";
    case 2: return "Care-of Test Init";
    case 3: return "Home Test";
    case 4: return "Care-of Test";
    case 5: return "Binding Update";
    case 6: return "Binding Acknowledgement";
    case 7: return "Binding Error";
    case 8: return "Fast Binding Update";
    case 9: return "Fast Binding Acknowledgment";
    case 10: return "Fast Neighbor Advertisement";
    case 11: return "Experimental Mobility Header";
    case 12: return "Home Agent Switch";
    case 13: return "Heartbeat";
    case 14: return "Handover Initiate";
    case 15: return "Handover Acknowledge";
    case 16: return "Binding Revocation";
    case 17: return "Localized Routing Initiation";
    case 18: return "Localized Routing Acknowledgment";
    case 19: return "Update Notification";
    case 20: return "Update Notification Acknowledgement";
    case 21: return "Flow Binding";
    case 22: return "Subscription Query";
    case 23: return "Subscription Response";
    default: return nullptr;
  }
}

const char* option_name(std::uint8_t type) {
  switch (type) {
    case 0: return "Pad1";
    case 1: return "PadN";
    case 2: return "Binding Refresh Advice";
    case 3: return "Alternate CoA";
    case 4: return "Nonce Indices";
    case 5: return "Binding Authorization Data";
    case 6: return "Mobile Network Prefix";
    case 7: return "Link-Layer Address";
    case 8: return "MN-ID";
    case 9: return "Authentication";
    case 10: return "Replay Protection";
    case 18: return "Experimental";
    case 19: return "Vendor-Specific";
    case 20: return "Service Selection";
    case 22: return "HNP";
    case 23: return "Handoff Indicator";
    case 24: return "Access Technology Type";
    case 25: return "MN Link-layer ID";
    case 26: return "Link-local Address";
    case 27: return "Timestamp";
    case 28: return "Restart Counter";
    case 33: return "GRE Key";
    case 35: return "Binding ID";
    case 36: return "IPv4 HoA Request";
    case 37: return "IPv4 HoA Reply";
    case 38: return "IPv4 Default Router";
    case 39: return "IPv4 DHCP Support Mode";
    case 44: return "Flow Summary";
    case 45: return "Flow Identification";
    case 50: return "MN Group ID";
    case 55: return "DMNP";
    case 63: return "MAG Multipath Binding";
    case 64: return "MAG Identifier";
    default: return nullptr;
  }
}

const char* ba_status_name(std::uint8_t s) {
  switch (s) {
    case 0: return "accepted";
    case 1: return "accepted, prefix discovery necessary";
    case 2: return "GRE_KEY_OPTION_NOT_REQUIRED";
    case 3: return "GRE_TUNNELING_BUT_TLV_HEADER_NOT_SUPPORTED";
    case 128: return "reason unspecified";
    case 129: return "administratively prohibited";
    case 130: return "insufficient resources";
    case 131: return "home registration not supported";
    case 132: return "not home subnet";
    case 133: return "not home agent for this mobile node";
    case 134: return "duplicate address detection failed";
    case 135: return "sequence number out of window";
    case 139: return "registration type change disallowed";
    case 143: return "forwarding setup failed";
    case 144: return "MIPV6-ID-MISMATCH";
    case 145: return "MIPV6-MESG-ID-REQD";
    case 146: return "MIPV6-AUTH-FAIL";
    case 151: return "SERVICE_AUTHORIZATION_FAILED";
    case 152: return "PROXY_REG_NOT_ENABLED";
    case 153: return "NOT_LMA_FOR_THIS_MOBILE_NODE";
    case 154: return "MAG_NOT_AUTHORIZED_FOR_PROXY_REG";
    case 155: return "NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX";
    case 156: return "TIMESTAMP_MISMATCH";
    case 157: return "TIMESTAMP_LOWER_THAN_PREV_ACCEPTED";
    case 158: return "MISSING_HOME_NETWORK_PREFIX_OPTION";
    case 159: return "BCE_PBU_PREFIX_SET_DO_NOT_MATCH";
    case 160: return "MISSING_MN_IDENTIFIER_OPTION";
    case 161: return "MISSING_HANDOFF_INDICATOR_OPTION";
    case 162: return "MISSING_ACCESS_TECH_TYPE_OPTION";
    case 163: return "GRE_KEY_OPTION_REQUIRED";
    case 170: return "NOT_AUTHORIZED_FOR_IPV4_MOBILITY_SERVICE";
    case 171: return "NOT_AUTHORIZED_FOR_IPV4_HOME_ADDRESS";
    case 172: return "NOT_AUTHORIZED_FOR_IPV6_MOBILITY_SERVICE";
    case 173: return "MULTIPLE_IPV4_HOME_ADDRESS_ASSIGNMENT_NOT_SUPPORTED";
    case 174: return "invalid care-of address";
    case 175: return "INVALID_MOBILE_NODE_GROUP_IDENTIFIER";
    case 177: return "NOT_AUTHORIZED_FOR_DELEGATED_MNP";
    case 178: return "REQUESTED_DMNP_IN_USE";
    case 179: return "CANNOT_MEET_QOS_SERVICE_REQUEST";
    case 180: return "CANNOT_SUPPORT_MULTIPATH_BINDING";
    default: return nullptr;
  }
}

const char* handoff_indicator_name(std::uint8_t hi) {
  switch (hi) {
    case 0: return "reserved";
    case 1: return "attachment over a new interface";
    case 2: return "handoff between interfaces";
    case 3: return "handoff between MAGs, same interface";
    case 4: return "handoff state unknown";
    case 5: return "handoff state not changed";
    case 6: return "new interface sharing prefixes";
    default: return nullptr;
  }
}

const char* access_tech_name(std::uint8_t att) {
  switch (att) {
    case 0: return "reserved";
    case 1: return "virtual";
    case 2: return "PPP";
    case 3: return "IEEE 802.3";
    case 4: return "IEEE 802.11a/b/g";
    case 5: return "IEEE 802.16e";
    case 6: return "3GPP GERAN";
    case 7: return "3GPP UTRAN";
    case 8: return "3GPP E-UTRAN";
    case 9: return "3GPP2 eHRPD";
    case 10: return "3GPP2 HRPD";
    case 11: return "3GPP2 1xRTT";
    case 12: return "3GPP2 UMB";
    case 13: return "3GPP NB-IoT";
    default: return nullptr;
  }
}

const char* mn_id_subtype_name(std::uint8_t subtype) {
  switch (subtype) {
    case 1: return "nai";
    case 2: return "ipv6";
    case 3: return "imsi";
    case 4: return "p-tmsi";
    case 5: return "eui48";
    case 6: return "eui64";
    case 7: return "guti";
    case 8: return "duid";
    default: return nullptr;
  }
}

const char* revocation_trigger_name(std::uint8_t trigger) {
  switch (trigger) {
    case 0: return "unspecified";
    case 1: return "administrative reason";
    case 2: return "inter-MAG handover, same access type";
    case 3: return "inter-MAG handover, different access type";
    case 4: return "inter-MAG handover, unknown";
    case 5: return "user-initiated session termination";
    case 6: return "access network session termination";
    case 7: return "possible out-of-sync BCE state";
    case 128: return "per-peer policy";
    case 129: return "revoking mobility node local policy";
    default: return nullptr;
  }
}

const char* revocation_status_name(std::uint8_t status) {
  switch (status) {
    case 0: return "success";
    case 1: return "partial success";
    case 128: return "binding does not exist";
    case 129: return "IPv4 home address option required";
    case 130: return "global revocation not authorized";
    case 131: return "revoked mobile nodes identity required";
    case 132: return "revocation failed, MN is attached";
    case 133: return "revocation trigger not supported";
    case 134: return "revocation function not supported";
    case 135: return "proxy binding revocation not supported";
    default: return nullptr;
  }
}

const char* notification_reason_name(std::uint16_t reason) {
  switch (reason) {
    case 1: return "FORCE-REREGISTRATION";
    case 2: return "UPDATE-SESSION-PARAMETERS";
    case 3: return "VENDOR-SPECIFIC-REASON";
    case 4: return "ANI-PARAMS-REQUESTED";
    case 5: return "QOS_SERVICE_REQUEST";
    case 6: return "PGW-TRIGGERED-PCSCF-RESTORATION-PCO";
    case 7: return "PGW-TRIGGERED-PCSCF-RESTORATION-DHCP";
    case 8: return "FLOW-MOBILITY";
    default: return nullptr;
  }
}

const char* notification_ack_status_name(std::uint8_t status) {
  switch (status) {
    case 0: return "success";
    case 128: return "failed to update session parameters";
    case 129: return "missing vendor-specific option";
    case 130: return "cannot meet QoS service request";
    case 131: return "reason unspecified";
    case 132: return "MN not attached";
    default: return nullptr;
  }
}

const char* flow_binding_action_name(std::uint8_t action) {
  switch (action) {
    case 11: return "add";
    case 12: return "delete";
    case 13: return "modify";
    case 14: return "refresh";
    case 15: return "move";
    case 16: return "revoke";
    default: return nullptr;
  }
}

const char* flow_id_status_name(std::uint8_t status) {
  switch (status) {
    case 0: return "flow binding successful";
    case 128: return "administratively prohibited";
    case 129: return "flow binding rejected";
    case 130: return "flow identification option malformed";
    case 131: return "BID not found";
    case 132: return "FID not found";
    case 133: return "traffic selector format not supported";
    default: return nullptr;
  }
}

}  // namespace pmipx::wire
