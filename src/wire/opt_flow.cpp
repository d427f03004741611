// Flow binding options: Binding Identifier (35, RFC 5648 + BID-PRI of RFC 6089), Flow Summary
// (44) and Flow Identification (45) with its sub-options (RFC 6089, RFC 7109).
#include "wire/option_codec.hpp"

namespace pmipx::wire::detail {
namespace {

enum SubOption : std::uint8_t {
  kSubPad1 = 0,
  kSubPadN = 1,
  kSubBidRef = 2,
  kSubTrafficSelector = 3,
  kSubAction = 4,
  kSubTargetCoa = 5,
};

WireError duplicate_sub(std::size_t offset, std::uint8_t type) {
  return wire_error(WireErrc::kDuplicateOption, offset,
                    "flow identification sub-option may appear once", type);
}

Result<MobilityOption> decode_flow_id(const OptionInput& in, NoteSink& notes) {
  const std::uint8_t* d = in.data.data();
  const std::size_t n = in.data.size();
  if (n < 6) return bad_length(in, "flow identification shorter than 6");
  FlowIdOption o;
  o.fid = load_be16(d);
  o.priority = load_be16(d + 2);
  if (o.fid == 0) return wire_error(WireErrc::kBadValue, in.data_offset(), "FID 0 is reserved");
  PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 4, d[4], "flow identification reserved"));
  o.status = d[5];

  std::size_t pos = 6;
  while (pos < n) {
    std::size_t at = in.data_offset() + pos;
    std::uint8_t type = d[pos];
    if (type == kSubPad1) {
      ++pos;
      continue;
    }
    if (n - pos < 2) return wire_error(WireErrc::kOptionTruncated, at, "sub-option header", type);
    std::size_t len = d[pos + 1];
    if (n - pos - 2 < len) {
      return wire_error(WireErrc::kOptionTruncated, at, "sub-option runs past its option", type);
    }
    const std::uint8_t* s = d + pos + 2;
    switch (type) {
      case kSubPadN:
        for (std::size_t i = 0; i < len; ++i) {
          PMIPX_WIRE_TRY(notes.reserved(at + 2 + i, s[i], "PadN sub-option content"));
        }
        break;
      case kSubBidRef:
        if (!o.bid_refs.empty()) return duplicate_sub(at, type);
        if (len == 0 || len % 2 != 0) {
          return wire_error(WireErrc::kBadOptionLength, at + 1, "BID reference length must be 2k",
                            static_cast<std::uint32_t>(len));
        }
        for (std::size_t i = 0; i < len; i += 2) {
          std::uint16_t bid = load_be16(s + i);
          if (bid == 0) return wire_error(WireErrc::kBadValue, at + 2 + i, "BID 0 is reserved");
          o.bid_refs.push_back(bid);
        }
        break;
      case kSubTrafficSelector: {
        if (o.selector) return duplicate_sub(at, type);
        if (len < 2) {
          return wire_error(WireErrc::kBadOptionLength, at + 1, "traffic selector shorter than 2",
                            static_cast<std::uint32_t>(len));
        }
        PMIPX_WIRE_TRY(notes.reserved(at + 3, s[1], "traffic selector reserved"));
        auto ts = decode_traffic_selector(s[0], ByteView(s + 2, len - 2), at + 4);
        if (!ts) return ts.error();
        o.selector = std::move(*ts);
        break;
      }
      case kSubAction:
        if (o.action) return duplicate_sub(at, type);
        if (len != 2) {
          return wire_error(WireErrc::kBadOptionLength, at + 1, "flow binding action length must be 2",
                            static_cast<std::uint32_t>(len));
        }
        PMIPX_WIRE_TRY(notes.reserved(at + 2, s[0], "flow binding action reserved"));
        if (s[1] < 11 || s[1] > 16) {
          return wire_error(WireErrc::kBadValue, at + 3, "flow binding action not in 11..16", s[1]);
        }
        o.action = static_cast<FlowBindingAction>(s[1]);
        break;
      case kSubTargetCoa:
        if (o.target_care_of) return duplicate_sub(at, type);
        if (len == 6) {
          o.target_care_of = TargetCareOf{read_ipv4(s + 2)};
        } else if (len == 18) {
          o.target_care_of = TargetCareOf{read_ipv6(s + 2)};
        } else {
          return wire_error(WireErrc::kBadOptionLength, at + 1, "target care-of length must be 6 or 18",
                            static_cast<std::uint32_t>(len));
        }
        PMIPX_WIRE_TRY(notes.reserved(at + 2, load_be16(s), "target care-of reserved"));
        break;
      default:
        o.unknown.push_back(RawSubOption{type, Bytes(s, s + len)});
        break;
    }
    pos += 2 + len;
  }
  return MobilityOption{std::move(o)};
}

}  // namespace

Result<MobilityOption> decode_flow_option(const OptionInput& in, NoteSink& notes, bool& handled) {
  handled = true;
  const std::uint8_t* d = in.data.data();
  const std::size_t n = in.data.size();
  switch (static_cast<OptionType>(in.type)) {
    case OptionType::kBindingId: {
      BindingIdOption o;
      if (n == 4) {
      } else if (n == 8) {
        o.care_of = read_ipv4(d + 4);
      } else if (n == 20) {
        o.care_of = read_ipv6(d + 4);
      } else {
        return bad_length(in, "binding identifier length must be 4, 8 or 20");
      }
      o.bid = load_be16(d);
      if (o.bid == 0) return wire_error(WireErrc::kBadValue, in.data_offset(), "BID 0 is reserved");
      o.status = d[2];
      o.h = (d[3] & 0x80) != 0;
      o.priority = d[3] & 0x7f;
      return MobilityOption{std::move(o)};
    }
    case OptionType::kFlowSummary: {
      if (n == 0 || n % 2 != 0) return bad_length(in, "flow summary length must be 2k, k >= 1");
      FlowSummaryOption o;
      for (std::size_t i = 0; i < n; i += 2) {
        std::uint16_t fid = load_be16(d + i);
        if (fid == 0) return wire_error(WireErrc::kBadValue, in.data_offset() + i, "FID 0 is reserved");
        o.fids.push_back(fid);
      }
      return MobilityOption{std::move(o)};
    }
    case OptionType::kFlowId:
      return decode_flow_id(in, notes);
    default:
      handled = false;
      return MobilityOption{UnknownOption{}};
  }
}

Status encode(const BindingIdOption& o, MhWriter& w, const CodecConfig&) {
  if (o.bid == 0) return wire_error(WireErrc::kBadValue, w.offset(), "BID 0 is reserved");
  if (o.priority > 0x7f) return wire_error(WireErrc::kBadValue, w.offset(), "BID-PRI above 127", o.priority);
  return write_tlv(w, t(OptionType::kBindingId), [&]() -> Status {
    w.be16(o.bid);
    w.u8(o.status);
    w.u8(static_cast<std::uint8_t>((o.h ? 0x80 : 0) | o.priority));
    if (const auto* v4 = std::get_if<Ipv4Address>(&o.care_of)) w.bytes(v4->octets);
    if (const auto* v6 = std::get_if<Ipv6Address>(&o.care_of)) w.bytes(v6->octets);
    return Ok{};
  });
}

Status encode(const FlowSummaryOption& o, MhWriter& w, const CodecConfig&) {
  if (o.fids.empty()) return wire_error(WireErrc::kBadValue, w.offset(), "flow summary without FIDs");
  return write_tlv(w, t(OptionType::kFlowSummary), [&]() -> Status {
    for (auto fid : o.fids) {
      if (fid == 0) return wire_error(WireErrc::kBadValue, w.offset(), "FID 0 is reserved");
      w.be16(fid);
    }
    return Ok{};
  });
}

Status encode(const FlowIdOption& o, MhWriter& w, const CodecConfig&) {
  if (o.fid == 0) return wire_error(WireErrc::kBadValue, w.offset(), "FID 0 is reserved");
  return write_tlv(w, t(OptionType::kFlowId), [&]() -> Status {
    w.be16(o.fid);
    w.be16(o.priority);
    w.u8(0);
    w.u8(o.status);
    auto sub = [&](std::uint8_t type, auto&& body) { return write_tlv(w, type, body); };
    if (o.selector) {
      PMIPX_WIRE_TRY(sub(kSubTrafficSelector, [&]() -> Status {
        w.u8(ts_format(*o.selector));
        w.u8(0);
        return encode_traffic_selector(*o.selector, w.buffer());
      }));
    }
    if (!o.bid_refs.empty()) {
      PMIPX_WIRE_TRY(sub(kSubBidRef, [&]() -> Status {
        for (auto bid : o.bid_refs) {
          if (bid == 0) return wire_error(WireErrc::kBadValue, w.offset(), "BID 0 is reserved");
          w.be16(bid);
        }
        return Ok{};
      }));
    }
    if (o.action) {
      PMIPX_WIRE_TRY(sub(kSubAction, [&]() -> Status {
        w.u8(0);
        w.u8(static_cast<std::uint8_t>(*o.action));
        return Ok{};
      }));
    }
    if (o.target_care_of) {
      PMIPX_WIRE_TRY(sub(kSubTargetCoa, [&]() -> Status {
        w.be16(0);
        std::visit([&](const auto& a) { w.bytes(a.octets); }, o.target_care_of->address);
        return Ok{};
      }));
    }
    for (const auto& u : o.unknown) {
      if (u.type <= kSubTargetCoa) {
        return wire_error(WireErrc::kBadValue, w.offset(), "raw sub-option uses a known type", u.type);
      }
      PMIPX_WIRE_TRY(sub(u.type, [&]() -> Status {
        w.bytes(u.data);
        return Ok{};
      }));
    }
    return Ok{};
  });
}

}  // namespace pmipx::wire::detail
