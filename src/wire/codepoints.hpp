// Code points of the Mobility Header registries (PROTOCOL.md §1). Enums are open: a value the
// registry does not name is still representable and is printed as a number.
#pragma once

#include <cstdint>

namespace pmipx::wire {

inline constexpr std::uint8_t kIpProtoMh = 135;
inline constexpr std::uint8_t kIpProtoNone = 59;  // MH Payload Proto, always 59
inline constexpr std::uint8_t kIpProtoIpv6 = 41;
inline constexpr std::uint8_t kIpProtoHopByHop = 0;
inline constexpr std::uint8_t kIpProtoRouting = 43;
inline constexpr std::uint8_t kIpProtoFragment = 44;
inline constexpr std::uint8_t kIpProtoAh = 51;
inline constexpr std::uint8_t kIpProtoDstOpts = 60;

// The largest Mobility Header: Header Len is 8 bits of 8-octet units beyond the first 8.
inline constexpr std::size_t kMaxMhLength = (255 + 1) * 8;

enum class MhType : std::uint8_t {
  kBindingRefreshRequest = 0,
  kBindingUpdate = 5,
  kBindingAck = 6,
  kBindingError = 7,
  kExperimental = 11,
  kHeartbeat = 13,
  kBindingRevocation = 16,
  kUpdateNotification = 19,     // FMI when the reason is FLOW-MOBILITY (RFC 7864)
  kUpdateNotificationAck = 20,  // FMA
};

enum class OptionType : std::uint8_t {
  kPad1 = 0,
  kPadN = 1,
  kAlternateCoa = 3,
  kMnId = 8,
  kAuth = 9,
  kReplayProtection = 10,  // MESG-ID
  kExperimental = 18,      // also the default MuHo type (DESIGN.md)
  kVendorSpecific = 19,
  kHnp = 22,
  kHandoffIndicator = 23,
  kAccessTechType = 24,
  kMnLinkLayerId = 25,
  kLinkLocalAddress = 26,
  kTimestamp = 27,
  kRestartCounter = 28,
  kGreKey = 33,
  kBindingId = 35,
  kIpv4HomeAddressRequest = 36,
  kIpv4HomeAddressReply = 37,
  kIpv4DefaultRouter = 38,
  kIpv4DhcpSupportMode = 39,
  kFlowSummary = 44,
  kFlowId = 45,
  kMnGroupId = 50,
  kDmnp = 55,
  kMagMultipathBinding = 63,
  kMagIdentifier = 64,
};

// BU flags, 16-bit field at MH offset 8 (PROTOCOL.md §1.4).
namespace bu_flag {
inline constexpr std::uint16_t kA = 0x8000, kH = 0x4000, kL = 0x2000, kK = 0x1000, kM = 0x0800,
                               kR = 0x0400, kP = 0x0200, kF = 0x0100, kT = 0x0080, kB = 0x0040,
                               kS = 0x0020, kD = 0x0010, kReserved = 0x000f;
}
// BA flags, 8-bit field at MH offset 7 (PROTOCOL.md §1.5).
namespace ba_flag {
inline constexpr std::uint8_t kK = 0x80, kR = 0x40, kP = 0x20, kT = 0x10, kB = 0x08, kS = 0x04,
                              kD = 0x02, kReserved = 0x01;
}

// Binding Acknowledgement status (PROTOCOL.md §1.6); < 128 accepted.
enum class BaStatus : std::uint8_t {
  kAccepted = 0,
  kGreKeyNotRequired = 2,
  kGreTlvNotSupported = 3,
  kReasonUnspecified = 128,
  kAdministrativelyProhibited = 129,
  kInsufficientResources = 130,
  kSequenceOutOfWindow = 135,
  kMipv6IdMismatch = 144,
  kMipv6MesgIdRequired = 145,
  kMipv6AuthFail = 146,
  kProxyRegNotEnabled = 152,
  kNotLmaForThisMn = 153,
  kMagNotAuthorizedForProxyReg = 154,
  kNotAuthorizedForHnp = 155,
  kTimestampMismatch = 156,
  kTimestampLowerThanPrevAccepted = 157,
  kMissingHnpOption = 158,
  kBcePbuPrefixSetDoNotMatch = 159,
  kMissingMnIdOption = 160,
  kMissingHandoffIndicatorOption = 161,
  kMissingAccessTechTypeOption = 162,
  kGreKeyOptionRequired = 163,
  kNotAuthorizedForIpv4MobilityService = 170,
  kNotAuthorizedForIpv4HomeAddress = 171,
  kNotAuthorizedForIpv6MobilityService = 172,
  kMultipleIpv4HomeAddressNotSupported = 173,
  kInvalidMnGroupId = 175,
  kNotAuthorizedForDelegatedMnp = 177,
  kRequestedDmnpInUse = 178,
  kCannotSupportMultipathBinding = 180,
};
inline bool is_accepted(BaStatus s) { return static_cast<std::uint8_t>(s) < 128; }

enum class HandoffIndicator : std::uint8_t {
  kReserved = 0,
  kNewInterface = 1,
  kInterfaceHandoff = 2,
  kInterMagSameInterface = 3,
  kUnknown = 4,
  kNotChanged = 5,
  kNewInterfaceSharingPrefixes = 6,  // RFC 7864
};

enum class AccessTech : std::uint8_t {
  kReserved = 0,
  kVirtual = 1,
  kPpp = 2,
  kEthernet = 3,
  kWlan = 4,
  kWimax = 5,
  kGeran = 6,
  kUtran = 7,
  kEutran = 8,
  kEhrpd = 9,
  kHrpd = 10,
  k1xRtt = 11,
  kUmb = 12,
  kNbIot = 13,
};

enum class MnIdSubtype : std::uint8_t {
  kNai = 1,
  kIpv6Address = 2,
  kImsi = 3,
  kPtmsi = 4,
  kEui48 = 5,
  kEui64 = 6,
  kGuti = 7,
  kDuid = 8,
};

enum class BindingErrorStatus : std::uint8_t { kUnknownBindingForHao = 1, kUnrecognizedMhType = 2 };

enum class RevocationTrigger : std::uint8_t {
  kUnspecified = 0,
  kAdministrative = 1,
  kInterMagSameAccessType = 2,
  kInterMagDifferentAccessType = 3,
  kInterMagUnknown = 4,
  kUserInitiated = 5,
  kAccessNetworkTermination = 6,
  kOutOfSyncBce = 7,
  kPerPeerPolicy = 128,
  kMobilityNodeLocalPolicy = 129,
};

enum class RevocationStatus : std::uint8_t {
  kSuccess = 0,
  kPartialSuccess = 1,
  kBindingDoesNotExist = 128,
  kIpv4HomeAddressRequired = 129,
  kGlobalRevocationNotAuthorized = 130,
  kMnIdentityRequired = 131,
  kRevocationFailedMnAttached = 132,
  kTriggerNotSupported = 133,
  kFunctionNotSupported = 134,
  kProxyRevocationNotSupported = 135,
};

enum class NotificationReason : std::uint16_t {
  kForceReregistration = 1,
  kUpdateSessionParameters = 2,
  kVendorSpecific = 3,
  kAniParamsRequested = 4,
  kQosServiceRequest = 5,
  kFlowMobility = 8,  // RFC 7864: the UPN is then an FMI
};

enum class NotificationAckStatus : std::uint8_t {
  kSuccess = 0,
  kFailedToUpdateSessionParameters = 128,
  kMissingVendorSpecificOption = 129,
  kCannotMeetQos = 130,
  kReasonUnspecified = 131,  // RFC 7864
  kMnNotAttached = 132,      // RFC 7864
};

enum class FlowBindingAction : std::uint8_t {
  kAdd = 11,
  kDelete = 12,
  kModify = 13,
  kRefresh = 14,
  kMove = 15,
  kRevoke = 16,
};

enum class FlowIdStatus : std::uint8_t {
  kSuccess = 0,
  kAdministrativelyProhibited = 128,
  kRejected = 129,
  kMalformed = 130,
  kBidNotFound = 131,
  kFidNotFound = 132,
  kTsFormatNotSupported = 133,
};

}  // namespace pmipx::wire
