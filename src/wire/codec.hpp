// Mobility Header encode/decode (PROTOCOL.md §2–§5). Decoding is syntax only: lengths,
// alignment, reserved fields, value ranges and option multiplicity. Whether a message makes
// sense (mandatory options, status to answer) is the engines' call.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/bytes.hpp"
#include "wire/error.hpp"
#include "wire/message.hpp"

namespace pmipx::wire {

struct CodecConfig {
  // Mobility option type of the MuHo option (seed 002). 18 is RFC 5096's experimental type.
  std::uint8_t muho_option_type = static_cast<std::uint8_t>(OptionType::kExperimental);
  // RFC 6275 tells receivers to ignore reserved bits and not to rely on alignment. By default
  // such deviations are reported as notes; strict mode turns them into errors.
  bool strict = false;
};

struct DecodedMessage {
  Message message;
  std::size_t length = 0;            // octets of MH consumed: (Header Len + 1) * 8
  std::vector<WireError> notes;      // non-fatal deviations, at most kMaxNotes
  static constexpr std::size_t kMaxNotes = 16;
};

// `mh` starts at the Payload Proto octet. Octets after (Header Len + 1) * 8 are ignored.
// The checksum is not verified here (see checksum.hpp): the Linux raw socket already does.
Result<DecodedMessage> decode_message(ByteView mh, const CodecConfig& config = {});

// Appends the encoded message to `out` with the checksum field 0; returns its length.
// On error `out` is left as it was.
Result<std::size_t> encode_message(const Message& message, Bytes& out,
                                   const CodecConfig& config = {});
Result<Bytes> encode_message(const Message& message, const CodecConfig& config = {});

// Minimum Header Len per message type (PROTOCOL.md §2.2).
std::uint8_t min_header_len(MhType type);
bool is_known_mh_type(std::uint8_t type);

}  // namespace pmipx::wire
