// Option dispatch: decode by type, encode by value, alignment and multiplicity rules.
#include "wire/option_codec.hpp"

#include <array>
#include <type_traits>

namespace pmipx::wire::detail {

Status NoteSink::note(WireErrc code, std::size_t offset, const char* what, std::uint32_t value) {
  WireError e = wire_error(code, offset, what, value);
  if (strict_) return e;
  if (notes_.size() < DecodedMessage::kMaxNotes) notes_.push_back(e);
  return Ok{};
}

void MhWriter::align(Alignment a) {
  std::size_t need = (a.y + a.x - offset() % a.x) % a.x;
  if (need == 1) {
    u8(0);  // Pad1
  } else if (need >= 2) {
    u8(1);  // PadN
    u8(static_cast<std::uint8_t>(need - 2));
    zeros(need - 2);
  }
}

Result<MobilityOption> decode_option(const OptionInput& in, const CodecConfig& config,
                                     NoteSink& notes) {
  bool handled = false;
  auto r = decode_pmip_option(in, config, notes, handled);
  if (handled) return r;
  r = decode_flow_option(in, notes, handled);
  if (handled) return r;
  r = decode_ipv4_option(in, notes, handled);
  if (handled) return r;
  r = decode_misc_option(in, notes, handled);
  if (handled) return r;
  return MobilityOption{UnknownOption{in.type, Bytes(in.data.begin(), in.data.end())}};
}

namespace {

bool is_known_type(std::uint8_t type, const CodecConfig& config) {
  if (type == config.muho_option_type) return true;
  switch (static_cast<OptionType>(type)) {
    case OptionType::kPad1: case OptionType::kPadN: case OptionType::kAlternateCoa:
    case OptionType::kMnId: case OptionType::kAuth: case OptionType::kReplayProtection:
    case OptionType::kExperimental: case OptionType::kVendorSpecific: case OptionType::kHnp:
    case OptionType::kHandoffIndicator: case OptionType::kAccessTechType:
    case OptionType::kMnLinkLayerId: case OptionType::kLinkLocalAddress:
    case OptionType::kTimestamp: case OptionType::kRestartCounter: case OptionType::kGreKey:
    case OptionType::kBindingId: case OptionType::kIpv4HomeAddressRequest:
    case OptionType::kIpv4HomeAddressReply: case OptionType::kIpv4DefaultRouter:
    case OptionType::kIpv4DhcpSupportMode: case OptionType::kFlowSummary:
    case OptionType::kFlowId: case OptionType::kMnGroupId: case OptionType::kDmnp:
    case OptionType::kMagMultipathBinding: case OptionType::kMagIdentifier:
      return true;
  }
  return false;
}
}  // namespace

Status encode_option(const MobilityOption& option, MhWriter& w, const CodecConfig& config) {
  if (const auto* u = std::get_if<UnknownOption>(&option); u && is_known_type(u->type, config)) {
    // It would come back as a typed option: encode the typed value instead.
    return wire_error(WireErrc::kBadValue, w.offset(), "raw option uses a known type", u->type);
  }
  return std::visit([&](const auto& o) { return encode(o, w, config); }, option);
}

namespace {
struct AlignmentVisitor {
  Alignment operator()(const HnpOption&) const { return {8, 4}; }
  Alignment operator()(const MuhoOption&) const { return {8, 4}; }
  Alignment operator()(const MnLinkLayerIdOption&) const { return {2, 0}; }
  Alignment operator()(const LinkLocalAddressOption&) const { return {8, 6}; }
  Alignment operator()(const AlternateCoaOption&) const { return {8, 6}; }
  Alignment operator()(const TimestampOption&) const { return {8, 2}; }
  Alignment operator()(const ReplayProtectionOption&) const { return {8, 2}; }
  Alignment operator()(const RestartCounterOption&) const { return {4, 2}; }
  Alignment operator()(const GreKeyOption&) const { return {4, 0}; }
  Alignment operator()(const BindingIdOption& o) const {
    return std::holds_alternative<std::monostate>(o.care_of) ? Alignment{2, 0} : Alignment{8, 2};
  }
  Alignment operator()(const Ipv4HomeAddressRequestOption&) const { return {4, 0}; }
  Alignment operator()(const Ipv4HomeAddressReplyOption&) const { return {4, 0}; }
  Alignment operator()(const Ipv4DefaultRouterOption&) const { return {4, 0}; }
  Alignment operator()(const FlowSummaryOption&) const { return {2, 0}; }
  Alignment operator()(const FlowIdOption& o) const {
    // The traffic selector is the first sub-option, 8 octets in: align the option so the
    // selector meets RFC 6088's rule.
    std::uint8_t ts = o.selector ? ts_alignment(*o.selector) : 1;
    return {static_cast<std::uint8_t>(ts > 2 ? ts : 2), 0};
  }
  Alignment operator()(const DmnpOption&) const { return {8, 2}; }
  Alignment operator()(const VendorSpecificOption&) const { return {4, 2}; }
  Alignment operator()(const AuthOption&) const { return {4, 1}; }
  template <class T>
  Alignment operator()(const T&) const { return {1, 0}; }
};
}  // namespace

Alignment alignment_of(const MobilityOption& option) {
  return std::visit(AlignmentVisitor{}, option);
}

std::uint8_t option_type_of(const MobilityOption& option, const CodecConfig& config) {
  struct Visitor {
    const CodecConfig& c;
    std::uint8_t operator()(const MnIdOption&) const { return t(OptionType::kMnId); }
    std::uint8_t operator()(const HnpOption&) const { return t(OptionType::kHnp); }
    std::uint8_t operator()(const MuhoOption&) const { return c.muho_option_type; }
    std::uint8_t operator()(const HandoffIndicatorOption&) const { return t(OptionType::kHandoffIndicator); }
    std::uint8_t operator()(const AccessTechTypeOption&) const { return t(OptionType::kAccessTechType); }
    std::uint8_t operator()(const MnLinkLayerIdOption&) const { return t(OptionType::kMnLinkLayerId); }
    std::uint8_t operator()(const LinkLocalAddressOption&) const { return t(OptionType::kLinkLocalAddress); }
    std::uint8_t operator()(const TimestampOption&) const { return t(OptionType::kTimestamp); }
    std::uint8_t operator()(const RestartCounterOption&) const { return t(OptionType::kRestartCounter); }
    std::uint8_t operator()(const GreKeyOption&) const { return t(OptionType::kGreKey); }
    std::uint8_t operator()(const BindingIdOption&) const { return t(OptionType::kBindingId); }
    std::uint8_t operator()(const Ipv4HomeAddressRequestOption&) const { return t(OptionType::kIpv4HomeAddressRequest); }
    std::uint8_t operator()(const Ipv4HomeAddressReplyOption&) const { return t(OptionType::kIpv4HomeAddressReply); }
    std::uint8_t operator()(const Ipv4DefaultRouterOption&) const { return t(OptionType::kIpv4DefaultRouter); }
    std::uint8_t operator()(const Ipv4DhcpSupportModeOption&) const { return t(OptionType::kIpv4DhcpSupportMode); }
    std::uint8_t operator()(const FlowSummaryOption&) const { return t(OptionType::kFlowSummary); }
    std::uint8_t operator()(const FlowIdOption&) const { return t(OptionType::kFlowId); }
    std::uint8_t operator()(const MnGroupIdOption&) const { return t(OptionType::kMnGroupId); }
    std::uint8_t operator()(const DmnpOption&) const { return t(OptionType::kDmnp); }
    std::uint8_t operator()(const VendorSpecificOption&) const { return t(OptionType::kVendorSpecific); }
    std::uint8_t operator()(const AuthOption&) const { return t(OptionType::kAuth); }
    std::uint8_t operator()(const ReplayProtectionOption&) const { return t(OptionType::kReplayProtection); }
    std::uint8_t operator()(const AlternateCoaOption&) const { return t(OptionType::kAlternateCoa); }
    std::uint8_t operator()(const ExperimentalOption&) const { return t(OptionType::kExperimental); }
    std::uint8_t operator()(const MagMultipathBindingOption&) const { return t(OptionType::kMagMultipathBinding); }
    std::uint8_t operator()(const MagIdentifierOption&) const { return t(OptionType::kMagIdentifier); }
    std::uint8_t operator()(const UnknownOption& o) const { return o.type; }
  };
  return std::visit(Visitor{config}, option);
}

namespace {
// RFC 5213 §8.1/8.2 and the defining RFCs: these appear at most once per message. HNP, MuHo,
// BID, FID, Vendor-Specific, DMNP (one per family, checked by the caller), AUTH (MN-HA then
// MN-AAA) and unknown options may repeat.
template <class... T>
constexpr auto singleton_table(std::variant<T...>*) {
  return std::array<bool, sizeof...(T)>{
      (std::is_same_v<T, MnIdOption> || std::is_same_v<T, HandoffIndicatorOption> ||
       std::is_same_v<T, AccessTechTypeOption> || std::is_same_v<T, MnLinkLayerIdOption> ||
       std::is_same_v<T, LinkLocalAddressOption> || std::is_same_v<T, TimestampOption> ||
       std::is_same_v<T, RestartCounterOption> || std::is_same_v<T, GreKeyOption> ||
       std::is_same_v<T, Ipv4HomeAddressRequestOption> || std::is_same_v<T, Ipv4HomeAddressReplyOption> ||
       std::is_same_v<T, Ipv4DefaultRouterOption> || std::is_same_v<T, Ipv4DhcpSupportModeOption> ||
       std::is_same_v<T, FlowSummaryOption> || std::is_same_v<T, MnGroupIdOption> ||
       std::is_same_v<T, ReplayProtectionOption> || std::is_same_v<T, AlternateCoaOption> ||
       std::is_same_v<T, MagMultipathBindingOption> || std::is_same_v<T, MagIdentifierOption>)...};
}
constexpr auto kSingleton = singleton_table(static_cast<MobilityOption*>(nullptr));
}  // namespace

bool is_singleton(const MobilityOption& option) { return kSingleton[option.index()]; }

}  // namespace pmipx::wire::detail
