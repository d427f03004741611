// Mobility options as typed values (PROTOCOL.md §4). Padding (Pad1/PadN) is not a value:
// the decoder consumes it and the encoder inserts it from the alignment rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wire/address.hpp"
#include "wire/bytes.hpp"
#include "wire/codepoints.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::wire {

// 48.16 fixed point, seconds since the Unix epoch (RFC 5213 §8.8; not NTP).
struct Timestamp {
  std::uint64_t raw = 0;

  static Timestamp from_parts(std::uint64_t seconds, std::uint16_t fraction) {
    return Timestamp{(seconds << 16) | fraction};
  }
  std::uint64_t seconds() const { return raw >> 16; }
  std::uint16_t fraction() const { return static_cast<std::uint16_t>(raw & 0xffff); }
  auto operator<=>(const Timestamp&) const = default;
};

struct MnIdOption {  // type 8, RFC 4283
  MnIdSubtype subtype = MnIdSubtype::kNai;
  std::string identifier;  // raw octets (NAI as UTF-8); may be empty in a rejecting PBA
  bool operator==(const MnIdOption&) const = default;
};

struct HnpOption {  // type 22, RFC 5213 §8.3; L flag RFC 7864 §4.1
  bool off_link = false;  // L: route towards the MN but do not advertise on-link
  Ipv6Prefix prefix;      // ALL_ZERO = "please assign"
  bool operator==(const HnpOption&) const = default;
};

// MuHo (seed 002): HNP layout under an experimental type (default 18, CodecConfig). An
// ALL_ZERO prefix in a PBU asks for the prefixes of the MN's other interfaces.
struct MuhoOption {
  Ipv6Prefix prefix;
  bool operator==(const MuhoOption&) const = default;
};

struct HandoffIndicatorOption {  // type 23
  HandoffIndicator value = HandoffIndicator::kReserved;
  bool operator==(const HandoffIndicatorOption&) const = default;
};

struct AccessTechTypeOption {  // type 24
  AccessTech value = AccessTech::kReserved;
  bool operator==(const AccessTechTypeOption&) const = default;
};

// type 25. IFP and P (seed 003) live in the two octets RFC 5213 reserves.
struct MnLinkLayerIdOption {
  std::uint8_t ifp = 0;  // interface priority, higher wins
  bool primary = false;  // P: this interface holds the primary HoA
  Bytes link_layer_id;   // e.g. a 6-octet MAC
  bool operator==(const MnLinkLayerIdOption&) const = default;
};

struct LinkLocalAddressOption {  // type 26
  Ipv6Address address;
  bool operator==(const LinkLocalAddressOption&) const = default;
};

struct TimestampOption {  // type 27
  Timestamp value;
  bool operator==(const TimestampOption&) const = default;
};

struct RestartCounterOption {  // type 28, RFC 5847
  std::uint32_t value = 0;
  bool operator==(const RestartCounterOption&) const = default;
};

struct GreKeyOption {  // type 33, RFC 5845
  std::optional<std::uint32_t> key;  // absent: Length 2, "GRE encapsulation only"
  bool operator==(const GreKeyOption&) const = default;
};

struct BindingIdOption {  // type 35, RFC 5648 (+ BID-PRI from RFC 6089)
  std::uint16_t bid = 0;
  std::uint8_t status = 0;    // meaningful in a BA only
  bool h = false;             // simultaneous home/foreign (MIPv6)
  std::uint8_t priority = 0;  // BID-PRI, 7 bits, lower = higher priority
  std::variant<std::monostate, Ipv4Address, Ipv6Address> care_of;
  bool operator==(const BindingIdOption&) const = default;
};

struct Ipv4HomeAddressRequestOption {  // type 36, RFC 5844
  std::uint8_t prefix_length = 0;      // 0..32
  Ipv4Address address;                 // 0.0.0.0 = "please allocate"
  bool operator==(const Ipv4HomeAddressRequestOption&) const = default;
};

struct Ipv4HomeAddressReplyOption {  // type 37
  std::uint8_t status = 0;
  std::uint8_t prefix_length = 0;
  Ipv4Address address;
  bool operator==(const Ipv4HomeAddressReplyOption&) const = default;
};

struct Ipv4DefaultRouterOption {  // type 38
  Ipv4Address address;
  bool operator==(const Ipv4DefaultRouterOption&) const = default;
};

struct Ipv4DhcpSupportModeOption {  // type 39
  bool server = false;              // S: MAG is the DHCP server (else relay)
  bool operator==(const Ipv4DhcpSupportModeOption&) const = default;
};

struct FlowSummaryOption {  // type 44, RFC 6089
  std::vector<std::uint16_t> fids;
  bool operator==(const FlowSummaryOption&) const = default;
};

struct TargetCareOf {  // FID sub-option 5, RFC 7109
  std::variant<Ipv4Address, Ipv6Address> address;
  bool operator==(const TargetCareOf&) const = default;
};

struct RawSubOption {  // FID sub-option this codec does not know, kept to be echoed
  std::uint8_t type = 0;
  Bytes data;
  bool operator==(const RawSubOption&) const = default;
};

// type 45, RFC 6089. Sub-options are encoded in a fixed order: traffic selector first (so its
// addresses can be 8-aligned), then BID references, action, target CoA, unknown ones.
struct FlowIdOption {
  std::uint16_t fid = 0;       // 1..65535
  std::uint16_t priority = 0;  // FID-PRI, lower = higher priority
  std::uint8_t status = 0;     // meaningful in acknowledgements
  std::optional<TrafficSelector> selector;
  std::vector<std::uint16_t> bid_refs;
  std::optional<FlowBindingAction> action;
  std::optional<TargetCareOf> target_care_of;
  std::vector<RawSubOption> unknown;
  bool operator==(const FlowIdOption&) const = default;
};

struct MnGroupIdOption {  // type 50, RFC 6602
  std::uint8_t subtype = 1;
  std::uint32_t group_id = 0;
  bool operator==(const MnGroupIdOption&) const = default;
};

struct DmnpOption {  // type 55, RFC 7148
  std::variant<Ipv6Prefix, Ipv4Prefix> prefix;
  bool operator==(const DmnpOption&) const = default;
};

struct VendorSpecificOption {  // type 19, RFC 5094
  std::uint32_t vendor_id = 0;
  std::uint8_t subtype = 0;
  Bytes data;
  bool operator==(const VendorSpecificOption&) const = default;
};

struct AuthOption {  // type 9, RFC 4285; always the last option
  std::uint8_t subtype = 1;  // 1 MN-HA, 2 MN-AAA
  std::uint32_t spi = 0;
  Bytes authenticator;
  bool operator==(const AuthOption&) const = default;
};

struct ReplayProtectionOption {  // type 10 (MESG-ID), NTP 32.32 timestamp
  std::uint64_t timestamp = 0;
  bool operator==(const ReplayProtectionOption&) const = default;
};

struct AlternateCoaOption {  // type 3
  Ipv6Address address;
  bool operator==(const AlternateCoaOption&) const = default;
};

struct ExperimentalOption {  // type 18 when it is not configured as MuHo
  Bytes data;
  bool operator==(const ExperimentalOption&) const = default;
};

struct MagMultipathBindingOption {  // type 63, RFC 8278
  AccessTech if_att = AccessTech::kReserved;
  std::uint8_t if_label = 0;
  std::uint8_t bid = 0;  // 1..254
  bool bulk = false;       // B
  bool overwrite = false;  // O
  bool operator==(const MagMultipathBindingOption&) const = default;
};

struct MagIdentifierOption {  // type 64, RFC 8278
  MnIdSubtype subtype = MnIdSubtype::kNai;
  std::string identifier;
  bool operator==(const MagIdentifierOption&) const = default;
};

// Unknown option types are skipped for processing but kept (RFC 6275 §6.2.1) so they can be
// shown and echoed.
struct UnknownOption {
  std::uint8_t type = 0;
  Bytes data;
  bool operator==(const UnknownOption&) const = default;
};

using MobilityOption =
    std::variant<MnIdOption, HnpOption, MuhoOption, HandoffIndicatorOption, AccessTechTypeOption,
                 MnLinkLayerIdOption, LinkLocalAddressOption, TimestampOption,
                 RestartCounterOption, GreKeyOption, BindingIdOption,
                 Ipv4HomeAddressRequestOption, Ipv4HomeAddressReplyOption,
                 Ipv4DefaultRouterOption, Ipv4DhcpSupportModeOption, FlowSummaryOption,
                 FlowIdOption, MnGroupIdOption, DmnpOption, VendorSpecificOption, AuthOption,
                 ReplayProtectionOption, AlternateCoaOption, ExperimentalOption,
                 MagMultipathBindingOption, MagIdentifierOption, UnknownOption>;

}  // namespace pmipx::wire
