// Internal to src/wire: per-option encode/decode, shared by the message codec.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/bytes.hpp"
#include "wire/codec.hpp"
#include "wire/error.hpp"
#include "wire/option.hpp"

#define PMIPX_WIRE_TRY(expr)                 \
  do {                                       \
    auto pmipx_try_status_ = (expr);         \
    if (!pmipx_try_status_.ok()) return pmipx_try_status_.error(); \
  } while (0)

namespace pmipx::wire::detail {

// Records non-fatal deviations; in strict mode they become errors.
class NoteSink {
 public:
  NoteSink(std::vector<WireError>& notes, bool strict) : notes_(notes), strict_(strict) {}
  Status note(WireErrc code, std::size_t offset, const char* what, std::uint32_t value = 0);
  Status reserved(std::size_t offset, std::uint32_t value, const char* what) {
    if (value == 0) return Ok{};
    return note(WireErrc::kReservedNonZero, offset, what, value);
  }

 private:
  std::vector<WireError>& notes_;
  bool strict_;
};

// An option TLV as found by the walker: `data` is the Length octets after Type/Length;
// `offset` is the MH offset of the Type octet.
struct OptionInput {
  std::uint8_t type = 0;
  ByteView data;
  std::size_t offset = 0;
  std::size_t data_offset() const { return offset + 2; }
};

// "xn+y" alignment of the option Type octet (PROTOCOL.md §1.3).
struct Alignment {
  std::uint8_t x = 1;
  std::uint8_t y = 0;
};

// Writes into an MH being built; offsets are relative to the MH's first octet.
class MhWriter : public ByteWriter {
 public:
  MhWriter(Bytes& out, std::size_t start) : ByteWriter(out), start_(start) {}
  std::size_t offset() const { return size() - start_; }
  // Pad1/PadN so that the next octet sits at x*n+y (PROTOCOL.md §2.7).
  void align(Alignment a);

 private:
  std::size_t start_;
};

Result<MobilityOption> decode_option(const OptionInput& in, const CodecConfig& config,
                                     NoteSink& notes);
Status encode_option(const MobilityOption& option, MhWriter& w, const CodecConfig& config);
Alignment alignment_of(const MobilityOption& option);
std::uint8_t option_type_of(const MobilityOption& option, const CodecConfig& config);
bool is_singleton(const MobilityOption& option);

// Family decoders; each checks the exact Length first.
Result<MobilityOption> decode_pmip_option(const OptionInput& in, const CodecConfig& config,
                                          NoteSink& notes, bool& handled);
Result<MobilityOption> decode_ipv4_option(const OptionInput& in, NoteSink& notes, bool& handled);
Result<MobilityOption> decode_flow_option(const OptionInput& in, NoteSink& notes, bool& handled);
Result<MobilityOption> decode_misc_option(const OptionInput& in, NoteSink& notes, bool& handled);

// Per-option encoders (Type, Length and body; no padding).
Status encode(const MnIdOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const HnpOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const MuhoOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const HandoffIndicatorOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const AccessTechTypeOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const MnLinkLayerIdOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const LinkLocalAddressOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const TimestampOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const RestartCounterOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const GreKeyOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const BindingIdOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const Ipv4HomeAddressRequestOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const Ipv4HomeAddressReplyOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const Ipv4DefaultRouterOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const Ipv4DhcpSupportModeOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const FlowSummaryOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const FlowIdOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const MnGroupIdOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const DmnpOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const VendorSpecificOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const AuthOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const ReplayProtectionOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const AlternateCoaOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const ExperimentalOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const MagMultipathBindingOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const MagIdentifierOption& o, MhWriter& w, const CodecConfig& c);
Status encode(const UnknownOption& o, MhWriter& w, const CodecConfig& c);

// Writes Type, a Length placeholder, the body, then patches Length (fails above 255).
template <class Body>
Status write_tlv(MhWriter& w, std::uint8_t type, Body&& body) {
  w.u8(type);
  std::size_t len_offset = w.offset();
  std::size_t len_at = w.size();
  w.u8(0);
  PMIPX_WIRE_TRY(body());
  std::size_t len = w.size() - len_at - 1;
  if (len > 255) {
    return wire_error(WireErrc::kTooLong, len_offset, "option body over 255 octets",
                      static_cast<std::uint32_t>(len));
  }
  *w.at(len_at) = static_cast<std::uint8_t>(len);
  return Ok{};
}

inline WireError bad_length(const OptionInput& in, const char* what) {
  return wire_error(WireErrc::kBadOptionLength, in.offset + 1, what,
                    static_cast<std::uint32_t>(in.data.size()));
}

inline Ipv6Address read_ipv6(const std::uint8_t* p) {
  Ipv6Address a;
  std::memcpy(a.octets.data(), p, 16);
  return a;
}
inline Ipv4Address read_ipv4(const std::uint8_t* p) {
  Ipv4Address a;
  std::memcpy(a.octets.data(), p, 4);
  return a;
}

constexpr std::uint8_t t(OptionType type) { return static_cast<std::uint8_t>(type); }

// Prefix bits beyond the length must be zero (a note: RFC 5213 says "should").
Status check_prefix_host_bits(const Ipv6Prefix& p, std::size_t offset, NoteSink& notes);

}  // namespace pmipx::wire::detail
