// Mobility Header framing (RFC 6275 §6.1), the fixed part of each message (PROTOCOL.md §3)
// and the option walk (§2.6) with padding (§2.7).
#include <bitset>

#include "wire/codec.hpp"
#include "wire/option_codec.hpp"

namespace pmipx::wire {

using detail::MhWriter;
using detail::NoteSink;

MhType mh_type(const MessageBody& body) {
  struct Visitor {
    MhType operator()(const BindingUpdate&) const { return MhType::kBindingUpdate; }
    MhType operator()(const BindingAck&) const { return MhType::kBindingAck; }
    MhType operator()(const BindingError&) const { return MhType::kBindingError; }
    MhType operator()(const Heartbeat&) const { return MhType::kHeartbeat; }
    MhType operator()(const BindingRevocationIndication&) const { return MhType::kBindingRevocation; }
    MhType operator()(const BindingRevocationAck&) const { return MhType::kBindingRevocation; }
    MhType operator()(const UpdateNotification&) const { return MhType::kUpdateNotification; }
    MhType operator()(const UpdateNotificationAck&) const { return MhType::kUpdateNotificationAck; }
  };
  return std::visit(Visitor{}, body);
}

bool is_known_mh_type(std::uint8_t type) {
  switch (static_cast<MhType>(type)) {
    case MhType::kBindingUpdate: case MhType::kBindingAck: case MhType::kBindingError:
    case MhType::kHeartbeat: case MhType::kBindingRevocation:
    case MhType::kUpdateNotification: case MhType::kUpdateNotificationAck:
      return true;
    default:
      return false;
  }
}

std::uint8_t min_header_len(MhType type) {
  return type == MhType::kBindingError ? 2 : 1;
}

namespace {

constexpr std::size_t kCommonLength = 6;

std::size_t fixed_length(MhType type) { return type == MhType::kBindingError ? 24 : 12; }

Result<MessageBody> decode_body(MhType type, const std::uint8_t* m, NoteSink& notes) {
  switch (type) {
    case MhType::kBindingUpdate: {
      BindingUpdate bu{load_be16(m + 6), load_be16(m + 8), Lifetime{load_be16(m + 10)}};
      PMIPX_WIRE_TRY(notes.reserved(8, bu.flags & bu_flag::kReserved, "binding update reserved flags"));
      bu.flags &= static_cast<std::uint16_t>(~bu_flag::kReserved);  // ignored on receipt, not echoed
      return MessageBody{bu};
    }
    case MhType::kBindingAck: {
      BindingAck ba{static_cast<BaStatus>(m[6]), m[7], load_be16(m + 8), Lifetime{load_be16(m + 10)}};
      PMIPX_WIRE_TRY(notes.reserved(7, ba.flags & ba_flag::kReserved, "binding ack reserved flag"));
      ba.flags &= static_cast<std::uint8_t>(~ba_flag::kReserved);
      return MessageBody{ba};
    }
    case MhType::kBindingError: {
      if (m[6] != 1 && m[6] != 2) {
        return wire_error(WireErrc::kBadValue, 6, "binding error status not 1 or 2", m[6]);
      }
      PMIPX_WIRE_TRY(notes.reserved(7, m[7], "binding error reserved"));
      return MessageBody{BindingError{static_cast<BindingErrorStatus>(m[6]), detail::read_ipv6(m + 8)}};
    }
    case MhType::kHeartbeat: {
      std::uint16_t word = load_be16(m + 6);
      Heartbeat hb{(word & 0x0002) != 0, (word & 0x0001) != 0, load_be32(m + 8)};
      if (hb.unsolicited && !hb.response) {
        return wire_error(WireErrc::kBadValue, 7, "heartbeat U set on a request", word);
      }
      PMIPX_WIRE_TRY(notes.reserved(6, word & 0xfffcu, "heartbeat reserved"));
      return MessageBody{hb};
    }
    case MhType::kBindingRevocation: {
      std::uint16_t word = load_be16(m + 10);
      RevocationFlags flags{(word & 0x8000) != 0, (word & 0x4000) != 0, (word & 0x2000) != 0};
      PMIPX_WIRE_TRY(notes.reserved(10, word & 0x1fffu, "binding revocation reserved"));
      if (m[6] == 1) {
        return MessageBody{BindingRevocationIndication{static_cast<RevocationTrigger>(m[7]),
                                                       load_be16(m + 8), flags}};
      }
      if (m[6] == 2) {
        return MessageBody{
            BindingRevocationAck{static_cast<RevocationStatus>(m[7]), load_be16(m + 8), flags}};
      }
      return wire_error(WireErrc::kBadValue, 6, "binding revocation type not 1 or 2", m[6]);
    }
    case MhType::kUpdateNotification: {
      std::uint16_t reason = load_be16(m + 8);
      if (reason == 0) return wire_error(WireErrc::kBadValue, 8, "notification reason 0 is reserved");
      std::uint16_t word = load_be16(m + 10);
      PMIPX_WIRE_TRY(notes.reserved(10, word & 0x3fffu, "update notification reserved"));
      return MessageBody{UpdateNotification{load_be16(m + 6), static_cast<NotificationReason>(reason),
                                            (word & 0x8000) != 0, (word & 0x4000) != 0}};
    }
    case MhType::kUpdateNotificationAck: {
      std::uint32_t reserved = (std::uint32_t{m[9]} << 16) | load_be16(m + 10);
      PMIPX_WIRE_TRY(notes.reserved(9, reserved, "update notification ack reserved"));
      return MessageBody{
          UpdateNotificationAck{load_be16(m + 6), static_cast<NotificationAckStatus>(m[8])}};
    }
    default:
      return wire_error(WireErrc::kUnknownMhType, 2, "unknown mobility header type",
                        static_cast<std::uint32_t>(type));
  }
}

// Key for multiplicity checks: the variant index, with DMNP split per address family.
std::size_t multiplicity_key(const MobilityOption& o) {
  if (const auto* d = std::get_if<DmnpOption>(&o)) {
    return std::variant_size_v<MobilityOption> + d->prefix.index();
  }
  return o.index();
}

// Options in [pos, end), counted by a first walk so the vector is allocated once (an option
// value is large: growing the vector would move every one of them).
std::size_t count_options(ByteView mh, std::size_t pos) {
  std::size_t n = 0;
  while (pos < mh.size()) {
    std::uint8_t type = mh[pos];
    if (type == 0) {
      ++pos;
      continue;
    }
    if (mh.size() - pos < 2) break;
    n += type != 1;
    pos += 2u + mh[pos + 1];
  }
  return n;
}

Status decode_options(ByteView mh, std::size_t pos, const CodecConfig& config, NoteSink& notes,
                      std::vector<MobilityOption>& out) {
  const std::size_t end = mh.size();
  out.reserve(count_options(mh, pos));
  bool seen_auth = false;
  std::size_t padding_after_auth_at = 0;  // padding seen since the last AUTH option
  std::bitset<std::variant_size_v<MobilityOption> + 2> seen;
  while (pos < end) {
    std::uint8_t type = mh[pos];
    bool padding = type == static_cast<std::uint8_t>(OptionType::kPad1) ||
                   type == static_cast<std::uint8_t>(OptionType::kPadN);
    if (seen_auth && !padding && type != static_cast<std::uint8_t>(OptionType::kAuth)) {
      // RFC 4285: authentication options come last (MN-HA, then MN-AAA).
      return wire_error(WireErrc::kOptionAfterAuth, pos, "authentication option must be last", type);
    }
    if (seen_auth && padding && padding_after_auth_at == 0) padding_after_auth_at = pos;
    if (type == static_cast<std::uint8_t>(OptionType::kPad1)) {
      ++pos;
      continue;
    }
    if (end - pos < 2) return wire_error(WireErrc::kOptionTruncated, pos, "option header", type);
    std::size_t len = mh[pos + 1];
    if (end - pos - 2 < len) {
      return wire_error(WireErrc::kOptionTruncated, pos, "option runs past the message", type);
    }
    if (type == static_cast<std::uint8_t>(OptionType::kPadN)) {
      for (std::size_t i = 0; i < len; ++i) {
        PMIPX_WIRE_TRY(notes.reserved(pos + 2 + i, mh[pos + 2 + i], "PadN content"));
      }
      pos += 2 + len;
      continue;
    }
    detail::OptionInput in{type, mh.subspan(pos + 2, len), pos};
    auto opt = detail::decode_option(in, config, notes);
    if (!opt) return opt.error();
    auto a = detail::alignment_of(*opt);
    if (pos % a.x != a.y) {
      PMIPX_WIRE_TRY(notes.note(WireErrc::kMisaligned, pos, "option not at its xn+y alignment", type));
    }
    if (detail::is_singleton(*opt) || std::holds_alternative<DmnpOption>(*opt)) {
      std::size_t key = multiplicity_key(*opt);
      if (seen.test(key)) {
        return wire_error(WireErrc::kDuplicateOption, pos, "option may appear only once", type);
      }
      seen.set(key);
    }
    seen_auth = std::holds_alternative<AuthOption>(*opt);
    padding_after_auth_at = 0;
    out.push_back(std::move(*opt));
    pos += 2 + len;
  }
  if (padding_after_auth_at != 0) {
    // Padding after the final authentication option would sit outside the authenticated
    // octets; the sender places the option to end the message (PROTOCOL.md §2.7).
    return wire_error(WireErrc::kOptionAfterAuth, padding_after_auth_at,
                      "padding after the final authentication option");
  }
  return Ok{};
}

void encode_body(const MessageBody& body, MhWriter& w) {
  struct Visitor {
    MhWriter& w;
    void operator()(const BindingUpdate& m) const {
      w.be16(m.sequence);
      w.be16(static_cast<std::uint16_t>(m.flags & ~bu_flag::kReserved));
      w.be16(m.lifetime.units);
    }
    void operator()(const BindingAck& m) const {
      w.u8(static_cast<std::uint8_t>(m.status));
      w.u8(static_cast<std::uint8_t>(m.flags & ~ba_flag::kReserved));
      w.be16(m.sequence);
      w.be16(m.lifetime.units);
    }
    void operator()(const BindingError& m) const {
      w.u8(static_cast<std::uint8_t>(m.status));
      w.u8(0);
      w.bytes(m.home_address.octets);
    }
    void operator()(const Heartbeat& m) const {
      w.be16(static_cast<std::uint16_t>((m.unsolicited ? 2 : 0) | (m.response ? 1 : 0)));
      w.be32(m.sequence);
    }
    static std::uint16_t flags(const RevocationFlags& f) {
      return static_cast<std::uint16_t>((f.proxy ? 0x8000 : 0) | (f.ipv4_only ? 0x4000 : 0) |
                                        (f.global ? 0x2000 : 0));
    }
    void operator()(const BindingRevocationIndication& m) const {
      w.u8(1);
      w.u8(static_cast<std::uint8_t>(m.trigger));
      w.be16(m.sequence);
      w.be16(flags(m.flags));
    }
    void operator()(const BindingRevocationAck& m) const {
      w.u8(2);
      w.u8(static_cast<std::uint8_t>(m.status));
      w.be16(m.sequence);
      w.be16(flags(m.flags));
    }
    void operator()(const UpdateNotification& m) const {
      w.be16(m.sequence);
      w.be16(static_cast<std::uint16_t>(m.reason));
      w.be16(static_cast<std::uint16_t>((m.ack_requested ? 0x8000 : 0) | (m.retransmission ? 0x4000 : 0)));
    }
    void operator()(const UpdateNotificationAck& m) const {
      w.be16(m.sequence);
      w.u8(static_cast<std::uint8_t>(m.status));
      w.zeros(3);
    }
  };
  std::visit(Visitor{w}, body);
}

Status check_body(const MessageBody& body) {
  if (const auto* hb = std::get_if<Heartbeat>(&body); hb && hb->unsolicited && !hb->response) {
    return wire_error(WireErrc::kBadValue, 7, "heartbeat U set on a request");
  }
  if (const auto* be = std::get_if<BindingError>(&body)) {
    auto s = static_cast<std::uint8_t>(be->status);
    if (s != 1 && s != 2) return wire_error(WireErrc::kBadValue, 6, "binding error status not 1 or 2", s);
  }
  if (const auto* upn = std::get_if<UpdateNotification>(&body);
      upn && static_cast<std::uint16_t>(upn->reason) == 0) {
    return wire_error(WireErrc::kBadValue, 8, "notification reason 0 is reserved");
  }
  return Ok{};
}

Status encode_into(const Message& message, Bytes& out, std::size_t start, const CodecConfig& config) {
  PMIPX_WIRE_TRY(check_body(message.body));
  MhWriter w(out, start);
  MhType type = mh_type(message.body);
  w.u8(kIpProtoNone);
  w.u8(0);  // Header Len, patched below
  w.u8(static_cast<std::uint8_t>(type));
  w.u8(0);
  w.be16(0);  // checksum: computed by the kernel or set_mh_checksum
  encode_body(message.body, w);

  const auto& opts = message.options;
  for (std::size_t i = 0; i < opts.size(); ++i) {
    if (const auto* auth = std::get_if<AuthOption>(&opts[i])) {
      if (i + 1 != opts.size() && !std::holds_alternative<AuthOption>(opts[i + 1])) {
        return wire_error(WireErrc::kOptionAfterAuth, w.offset(), "authentication option must be last");
      }
      // No padding may follow the last AUTH option, so place it to end on an 8-octet boundary
      // (RFC 4285 §5; PROTOCOL.md §2.7).
      if (i + 1 == opts.size()) {
        // With a multiple-of-4 authenticator (checked by its encoder) this start is 4n+1.
        std::size_t size = 7 + auth->authenticator.size();
        auto y = static_cast<std::uint8_t>((8 - size % 8) % 8);
        w.align({8, y});
        PMIPX_WIRE_TRY(detail::encode_option(opts[i], w, config));
        continue;
      }
    }
    w.align(detail::alignment_of(opts[i]));
    PMIPX_WIRE_TRY(detail::encode_option(opts[i], w, config));
  }
  w.align({8, 0});
  std::size_t total = w.offset();
  if (total > kMaxMhLength) {
    return wire_error(WireErrc::kTooLong, 1, "message longer than 2048 octets",
                      static_cast<std::uint32_t>(total));
  }
  *w.at(start + 1) = static_cast<std::uint8_t>(total / 8 - 1);
  return Ok{};
}

}  // namespace

Result<DecodedMessage> decode_message(ByteView mh, const CodecConfig& config) {
  // RFC 6275 §9.2 order: type, payload proto, header length.
  if (mh.size() < kCommonLength) {
    return wire_error(WireErrc::kTruncated, 0, "mobility header shorter than 6 octets",
                      static_cast<std::uint32_t>(mh.size()));
  }
  if (!is_known_mh_type(mh[2])) {
    return wire_error(WireErrc::kUnknownMhType, 2, "unknown mobility header type", mh[2]);
  }
  auto type = static_cast<MhType>(mh[2]);
  if (mh[0] != kIpProtoNone) {
    return wire_error(WireErrc::kBadPayloadProto, 0, "payload proto must be 59", mh[0]);
  }
  if (mh[1] < min_header_len(type)) {
    return wire_error(WireErrc::kHeaderLenTooSmall, 1, "header length below the message minimum", mh[1]);
  }
  std::size_t total = (std::size_t{mh[1]} + 1) * 8;
  if (total > mh.size()) {
    return wire_error(WireErrc::kHeaderLenBeyondData, 1, "header length exceeds the octets received",
                      static_cast<std::uint32_t>(mh.size()));
  }
  mh = mh.first(total);

  DecodedMessage out;
  out.length = total;
  NoteSink notes(out.notes, config.strict);
  PMIPX_WIRE_TRY(notes.reserved(3, mh[3], "mobility header reserved"));
  auto body = decode_body(type, mh.data(), notes);
  if (!body) return body.error();
  out.message.body = std::move(*body);
  PMIPX_WIRE_TRY(decode_options(mh, fixed_length(type), config, notes, out.message.options));
  return out;
}

Result<std::size_t> encode_message(const Message& message, Bytes& out, const CodecConfig& config) {
  std::size_t start = out.size();
  auto s = encode_into(message, out, start, config);
  if (!s) {
    out.resize(start);
    return s.error();
  }
  return out.size() - start;
}

Result<Bytes> encode_message(const Message& message, const CodecConfig& config) {
  Bytes out;
  out.reserve(128);
  auto r = encode_message(message, out, config);
  if (!r) return r.error();
  return out;
}

}  // namespace pmipx::wire
