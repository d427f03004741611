// RFC 5213 options and their close relatives: MN-ID (8), HNP (22), MuHo (seed 002), HI (23),
// ATT (24), MN-LL-ID (25, with IFP/P from seed 003), LLA (26), Timestamp (27), Restart
// Counter (28), Alternate CoA (3), MAG Identifier (64).
#include "wire/option_codec.hpp"

namespace pmipx::wire::detail {
namespace {

// Subtypes whose identifier has a fixed size (RFC 8371).
Status check_identifier(MnIdSubtype subtype, std::size_t size, std::size_t offset) {
  auto st = static_cast<std::uint8_t>(subtype);
  if (st == 0) return wire_error(WireErrc::kBadValue, offset, "identifier subtype 0 is reserved");
  std::size_t want = 0;
  switch (subtype) {
    case MnIdSubtype::kIpv6Address: want = 16; break;
    case MnIdSubtype::kEui48: want = 6; break;
    case MnIdSubtype::kEui64: want = 8; break;
    default: return Ok{};
  }
  if (size != 0 && size != want) {
    return wire_error(WireErrc::kBadOptionLength, offset,
                      "identifier size does not match its subtype",
                      static_cast<std::uint32_t>(size));
  }
  return Ok{};
}

Result<Ipv6Prefix> read_hnp_layout(const OptionInput& in, NoteSink& notes, bool& off_link,
                                   bool l_flag_allowed) {
  if (in.data.size() != 18) return bad_length(in, "home network prefix length must be 18");
  const std::uint8_t* d = in.data.data();
  std::uint8_t flags = d[0];
  off_link = l_flag_allowed && (flags & 0x80) != 0;
  std::uint8_t reserved_mask = l_flag_allowed ? 0x7f : 0xff;
  PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), flags & reserved_mask, "prefix option flags"));
  if (d[1] > 128) {
    return wire_error(WireErrc::kBadValue, in.data_offset() + 1, "prefix length above 128", d[1]);
  }
  Ipv6Prefix p{read_ipv6(d + 2), d[1]};
  PMIPX_WIRE_TRY(check_prefix_host_bits(p, in.data_offset() + 2, notes));
  return p;
}

}  // namespace

Status check_prefix_host_bits(const Ipv6Prefix& p, std::size_t offset, NoteSink& notes) {
  // Only the octets past the prefix length can hold stray bits.
  unsigned first = p.length / 8u;
  bool clean = true;
  if (first < 16) {
    unsigned bits = p.length % 8u;
    auto mask = static_cast<std::uint8_t>(0xffu >> bits);
    clean = (p.address.octets[first] & mask) == 0;
    for (unsigned i = first + 1; clean && i < 16; ++i) clean = p.address.octets[i] == 0;
  }
  if (!clean) {
    return notes.note(WireErrc::kBadValue, offset, "prefix has bits set beyond its length", p.length);
  }
  return Ok{};
}

Result<MobilityOption> decode_pmip_option(const OptionInput& in, const CodecConfig& config,
                                          NoteSink& notes, bool& handled) {
  handled = true;
  const std::uint8_t* d = in.data.data();
  const std::size_t n = in.data.size();

  if (in.type == config.muho_option_type) {
    bool unused = false;
    auto p = read_hnp_layout(in, notes, unused, false);
    if (!p) return p.error();
    return MobilityOption{MuhoOption{*p}};
  }

  switch (static_cast<OptionType>(in.type)) {
    case OptionType::kMnId:
    case OptionType::kMagIdentifier: {
      bool mag = in.type == static_cast<std::uint8_t>(OptionType::kMagIdentifier);
      std::size_t header = mag ? 2 : 1;  // MAG-ID has a reserved octet after the subtype
      if (n < header) return bad_length(in, "identifier option shorter than its header");
      auto subtype = static_cast<MnIdSubtype>(d[0]);
      std::string id(reinterpret_cast<const char*>(d + header), n - header);
      PMIPX_WIRE_TRY(check_identifier(subtype, id.size(), in.data_offset()));
      if (mag) {
        PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 1, d[1], "MAG identifier reserved"));
        return MobilityOption{MagIdentifierOption{subtype, std::move(id)}};
      }
      return MobilityOption{MnIdOption{subtype, std::move(id)}};
    }
    case OptionType::kHnp: {
      bool off_link = false;
      auto p = read_hnp_layout(in, notes, off_link, true);
      if (!p) return p.error();
      return MobilityOption{HnpOption{off_link, *p}};
    }
    case OptionType::kHandoffIndicator:
    case OptionType::kAccessTechType: {
      if (n != 2) return bad_length(in, "handoff indicator / access technology length must be 2");
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), d[0], "HI/ATT reserved"));
      if (in.type == static_cast<std::uint8_t>(OptionType::kHandoffIndicator)) {
        return MobilityOption{HandoffIndicatorOption{static_cast<HandoffIndicator>(d[1])}};
      }
      return MobilityOption{AccessTechTypeOption{static_cast<AccessTech>(d[1])}};
    }
    case OptionType::kMnLinkLayerId: {
      if (n < 3) return bad_length(in, "MN link-layer identifier needs at least 1 octet of id");
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 1, d[1] & 0x7fu, "MN-LL-ID reserved bits"));
      MnLinkLayerIdOption o;
      o.ifp = d[0];
      o.primary = (d[1] & 0x80) != 0;
      o.link_layer_id.assign(d + 2, d + n);
      return MobilityOption{std::move(o)};
    }
    case OptionType::kLinkLocalAddress:
      if (n != 16) return bad_length(in, "link-local address length must be 16");
      return MobilityOption{LinkLocalAddressOption{read_ipv6(d)}};
    case OptionType::kAlternateCoa:
      if (n != 16) return bad_length(in, "alternate care-of address length must be 16");
      return MobilityOption{AlternateCoaOption{read_ipv6(d)}};
    case OptionType::kTimestamp:
      if (n != 8) return bad_length(in, "timestamp length must be 8");
      return MobilityOption{TimestampOption{Timestamp{load_be64(d)}}};
    case OptionType::kRestartCounter:
      if (n != 4) return bad_length(in, "restart counter length must be 4");
      return MobilityOption{RestartCounterOption{load_be32(d)}};
    default:
      handled = false;
      return MobilityOption{UnknownOption{}};
  }
}

namespace {
Status encode_identifier(std::uint8_t type, MnIdSubtype subtype, const std::string& id, bool mag,
                         MhWriter& w) {
  PMIPX_WIRE_TRY(check_identifier(subtype, id.size(), w.offset()));
  return write_tlv(w, type, [&]() -> Status {
    w.u8(static_cast<std::uint8_t>(subtype));
    if (mag) w.u8(0);
    w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(id.data()), id.size()));
    return Ok{};
  });
}

Status encode_hnp_layout(MhWriter& w, std::uint8_t type, std::uint8_t flags, const Ipv6Prefix& p) {
  if (p.length > 128) return wire_error(WireErrc::kBadValue, w.offset(), "prefix length above 128", p.length);
  return write_tlv(w, type, [&]() -> Status {
    w.u8(flags);
    w.u8(p.length);
    w.bytes(p.address.octets);
    return Ok{};
  });
}

}  // namespace

Status encode(const MnIdOption& o, MhWriter& w, const CodecConfig&) {
  return encode_identifier(t(OptionType::kMnId), o.subtype, o.identifier, false, w);
}
Status encode(const MagIdentifierOption& o, MhWriter& w, const CodecConfig&) {
  return encode_identifier(t(OptionType::kMagIdentifier), o.subtype, o.identifier, true, w);
}
Status encode(const HnpOption& o, MhWriter& w, const CodecConfig&) {
  return encode_hnp_layout(w, t(OptionType::kHnp), o.off_link ? 0x80 : 0x00, o.prefix);
}
Status encode(const MuhoOption& o, MhWriter& w, const CodecConfig& c) {
  return encode_hnp_layout(w, c.muho_option_type, 0, o.prefix);
}
Status encode(const HandoffIndicatorOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kHandoffIndicator), [&]() -> Status {
    w.u8(0);
    w.u8(static_cast<std::uint8_t>(o.value));
    return Ok{};
  });
}
Status encode(const AccessTechTypeOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kAccessTechType), [&]() -> Status {
    w.u8(0);
    w.u8(static_cast<std::uint8_t>(o.value));
    return Ok{};
  });
}
Status encode(const MnLinkLayerIdOption& o, MhWriter& w, const CodecConfig&) {
  if (o.link_layer_id.empty()) {
    return wire_error(WireErrc::kBadValue, w.offset(), "MN link-layer identifier is empty");
  }
  return write_tlv(w, t(OptionType::kMnLinkLayerId), [&]() -> Status {
    w.u8(o.ifp);
    w.u8(o.primary ? 0x80 : 0x00);
    w.bytes(o.link_layer_id);
    return Ok{};
  });
}
Status encode(const LinkLocalAddressOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kLinkLocalAddress), [&]() -> Status {
    w.bytes(o.address.octets);
    return Ok{};
  });
}
Status encode(const AlternateCoaOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kAlternateCoa), [&]() -> Status {
    w.bytes(o.address.octets);
    return Ok{};
  });
}
Status encode(const TimestampOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kTimestamp), [&]() -> Status {
    w.be64(o.value.raw);
    return Ok{};
  });
}
Status encode(const RestartCounterOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kRestartCounter), [&]() -> Status {
    w.be32(o.value);
    return Ok{};
  });
}

}  // namespace pmipx::wire::detail
