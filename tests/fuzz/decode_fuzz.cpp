// libFuzzer target over the Mobility Header codec.
//
// Each input is tried as a Mobility Header (default, strict and an alternative MuHo type
// configuration) and as an IPv6 packet (locate_mh, then the MH found inside). Properties,
// any violation of which traps:
//   * no crash, sanitizer report or exception anywhere (decoder, encoder, printers);
//   * a decoded message consumes (Header Len + 1) * 8 octets, within the input;
//   * strict and default agree: strict accepts iff default accepts with no notes, and then
//     both give the same message;
//   * round trip: if decode succeeds, encode succeeds; decoding the encoding succeeds, gives
//     an equal Message and no reserved/alignment notes; re-encoding gives identical bytes;
//   * encode appends relative to the start of the message (same bytes after a prefix), and
//     leaves the buffer unchanged on error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "wire/checksum.hpp"
#include "wire/codec.hpp"
#include "wire/ipv6_packet.hpp"
#include "wire/message.hpp"
#include "wire/print.hpp"

namespace {

using namespace pmipx::wire;

[[noreturn]] void fail(const char* what, const char* detail = "") {
  std::fprintf(stderr, "decode_fuzz: property violated: %s %s\n", what, detail);
  std::fflush(stderr);
  __builtin_trap();
}

#define FUZZ_CHECK(cond, ...)                                   \
  do {                                                          \
    if (!(cond)) fail("`" #cond "`" __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

// Keeps the optimizer from discarding printer output.
volatile std::size_t g_sink = 0;

void exercise_printers(const DecodedMessage& d, const CodecConfig& config) {
  Json j = to_json(d.message, config);
  g_sink = g_sink + j.dump().size();  // dump() throws on invalid UTF-8: must not happen
  g_sink = g_sink + to_text(d.message, config).size();
  g_sink = g_sink + message_name(d.message).size();
  for (const auto& note : d.notes) {
    g_sink = g_sink + to_json(note).dump().size() + note.describe().size();
  }
}

void exercise_error(const WireError& e) {
  g_sink = g_sink + e.describe().size() + to_json(e).dump().size();
}

// Re-encoding pads every option to its alignment. A message whose options were packed
// without that padding (decoded leniently, with kMisaligned notes) can therefore grow past
// the 2048-octet maximum: the only encode failure a decodable message may have.
bool tolerated_encode_error(const WireError& e, bool input_misaligned) {
  return input_misaligned && e.code == WireErrc::kTooLong;
}

// Decode → encode → decode → encode must be stable.
void check_round_trip(const Message& m, const CodecConfig& config, bool input_misaligned) {
  auto enc1 = encode_message(m, config);
  if (!enc1.ok() && tolerated_encode_error(enc1.error(), input_misaligned)) {
    // On error the output buffer is left as it was.
    const Bytes before{0xde, 0xad, 0xbe};
    Bytes out = before;
    auto r = encode_message(m, out, config);
    FUZZ_CHECK(!r.ok() && out == before);
    return;
  }
  FUZZ_CHECK(enc1.ok(), enc1.ok() ? "" : enc1.error().describe().c_str());
  const Bytes& b1 = *enc1;
  FUZZ_CHECK(!b1.empty() && b1.size() % 8 == 0 && b1.size() <= 2048);
  FUZZ_CHECK(b1[1] == b1.size() / 8 - 1);

  auto dec2 = decode_message(b1, config);
  FUZZ_CHECK(dec2.ok(), dec2.ok() ? "" : dec2.error().describe().c_str());
  FUZZ_CHECK(dec2->length == b1.size());
  FUZZ_CHECK(dec2->message == m);
  for (const auto& note : dec2->notes) {
    // The encoder's output is canonical: zero reserved bits and padding, options aligned.
    FUZZ_CHECK(note.code != WireErrc::kReservedNonZero && note.code != WireErrc::kMisaligned,
               note.describe().c_str());
  }

  auto enc2 = encode_message(dec2->message, config);
  FUZZ_CHECK(enc2.ok(), enc2.ok() ? "" : enc2.error().describe().c_str());
  FUZZ_CHECK(*enc2 == b1);

  // Appending after unrelated octets gives the same message bytes (offsets are MH-relative).
  Bytes out{0xde, 0xad, 0xbe};
  auto n = encode_message(m, out, config);
  FUZZ_CHECK(n.ok() && *n == b1.size());
  FUZZ_CHECK(out.size() == 3 + b1.size());
  FUZZ_CHECK(Bytes(out.begin() + 3, out.end()) == b1);
}

// Decodes `mh` under `config`; returns the result for cross-config comparison.
Result<DecodedMessage> check_mh(ByteView mh, const CodecConfig& config) {
  auto dec = decode_message(mh, config);
  if (!dec.ok()) {
    exercise_error(dec.error());
    return dec;
  }
  FUZZ_CHECK(mh.size() >= 6);
  FUZZ_CHECK(dec->length == (std::size_t{mh[1]} + 1) * 8);
  FUZZ_CHECK(dec->length <= mh.size());
  FUZZ_CHECK(dec->notes.size() <= DecodedMessage::kMaxNotes);
  if (config.strict) FUZZ_CHECK(dec->notes.empty());
  FUZZ_CHECK(static_cast<std::uint8_t>(mh_type(dec->message.body)) == mh[2]);
  exercise_printers(*dec, config);
  // Notes are capped, so a full list may have lost a misalignment note.
  bool misaligned = dec->notes.size() == DecodedMessage::kMaxNotes;
  for (const auto& n : dec->notes) misaligned = misaligned || n.code == WireErrc::kMisaligned;
  check_round_trip(dec->message, config, misaligned);
  return dec;
}

void check_mh_all_configs(ByteView mh) {
  const CodecConfig lenient{};
  CodecConfig strict{};
  strict.strict = true;
  auto a = check_mh(mh, lenient);
  auto b = check_mh(mh, strict);
  if (b.ok()) {
    FUZZ_CHECK(a.ok());
    FUZZ_CHECK(a->message == b->message);
  }
  if (a.ok() && a->notes.empty()) {
    FUZZ_CHECK(b.ok(), b.ok() ? "" : b.error().describe().c_str());
  }

  // Type 18 as the plain RFC 5096 experimental option, MuHo moved to an unassigned type.
  CodecConfig alt{};
  alt.muho_option_type = 0xfe;
  (void)check_mh(mh, alt);

  if (mh.size() >= 6) {
    // The checksum helpers read the whole view.
    g_sink = g_sink + mh_checksum(Ipv6Address{}, Ipv6Address{}, mh);
  }
}

void check_packet(ByteView packet) {
  auto r = locate_mh(packet);
  if (!r.ok()) {
    exercise_error(r.error());
    return;
  }
  if (!r->has_value()) return;
  const MhInPacket& m = **r;
  FUZZ_CHECK(m.mh_offset >= kIpv6HeaderLength);
  FUZZ_CHECK(m.mh_offset + m.mh.size() <= packet.size());
  FUZZ_CHECK(m.mh.data() == packet.data() + m.mh_offset);
  FUZZ_CHECK(m.mh_offset + m.mh.size() == kIpv6HeaderLength + m.ip.payload_length);
  g_sink = g_sink + mh_checksum_ok(m.checksum_src, m.checksum_dst, m.mh);
  check_mh_all_configs(m.mh);

  // Re-encoding the fixed header gives the input's first 40 octets.
  Bytes hdr;
  encode_ipv6_header(m.ip, hdr);
  FUZZ_CHECK(hdr.size() == kIpv6HeaderLength);
  FUZZ_CHECK(Bytes(packet.begin(), packet.begin() + 40) == hdr);
}

void check_ext_headers(ByteView data) {
  if (auto d = decode_destopts(data); d.ok()) {
    FUZZ_CHECK(d->length <= data.size() && d->length % 8 == 0);
  }
  if (auto rh = decode_type2_routing_header(data); rh.ok()) {
    Bytes out;
    encode_type2_routing_header(*rh, out);
    FUZZ_CHECK(out.size() == kType2RoutingHeaderLength);
    FUZZ_CHECK(decode_type2_routing_header(out).ok());
    FUZZ_CHECK(*decode_type2_routing_header(out) == *rh);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView input(data, size);
  check_mh_all_configs(input);
  check_packet(input);
  check_ext_headers(input);
  return 0;
}
