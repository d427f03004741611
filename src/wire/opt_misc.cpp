// Remaining options: GRE Key (33, RFC 5845), DMNP (55, RFC 7148), Vendor-Specific (19, RFC
// 5094), AUTH (9) and MESG-ID (10) of RFC 4285, MN Group Identifier (50, RFC 6602),
// Experimental (18, RFC 5096), MAG Multipath Binding (63, RFC 8278), and unknown options.
#include "wire/option_codec.hpp"

namespace pmipx::wire::detail {
Result<MobilityOption> decode_misc_option(const OptionInput& in, NoteSink& notes, bool& handled) {
  handled = true;
  const std::uint8_t* d = in.data.data();
  const std::size_t n = in.data.size();
  switch (static_cast<OptionType>(in.type)) {
    case OptionType::kGreKey: {
      if (n != 2 && n != 6) return bad_length(in, "GRE key length must be 2 or 6");
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), load_be16(d), "GRE key reserved"));
      GreKeyOption o;
      if (n == 6) o.key = load_be32(d + 2);
      return MobilityOption{o};
    }
    case OptionType::kDmnp: {
      if (n != 6 && n != 18) return bad_length(in, "DMNP length must be 6 or 18");
      bool v4 = (d[0] & 0x80) != 0;
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), d[0] & 0x7fu, "DMNP reserved"));
      if (v4 != (n == 6)) return bad_length(in, "DMNP length does not match its V flag");
      if (d[1] > (v4 ? 32 : 128)) {
        return wire_error(WireErrc::kBadValue, in.data_offset() + 1, "DMNP prefix length too long", d[1]);
      }
      if (v4) return MobilityOption{DmnpOption{Ipv4Prefix{read_ipv4(d + 2), d[1]}}};
      Ipv6Prefix p{read_ipv6(d + 2), d[1]};
      PMIPX_WIRE_TRY(check_prefix_host_bits(p, in.data_offset() + 2, notes));
      return MobilityOption{DmnpOption{p}};
    }
    case OptionType::kVendorSpecific: {
      if (n < 5) return bad_length(in, "vendor-specific option shorter than 5");
      return MobilityOption{VendorSpecificOption{load_be32(d), d[4], Bytes(d + 5, d + n)}};
    }
    case OptionType::kAuth: {
      if (n < 5) return bad_length(in, "authentication option shorter than 5");
      if ((n - 5) % 4 != 0) {
        // Placed at 4n+1 and ending the message on 8n, the authenticator is a multiple of
        // 4 octets (96-bit HMAC-SHA1, 256-bit HMAC-SHA256...).
        return bad_length(in, "authenticator length must be a multiple of 4");
      }
      if (d[0] != 1 && d[0] != 2) {
        return wire_error(WireErrc::kBadValue, in.data_offset(), "authentication subtype not 1 or 2", d[0]);
      }
      return MobilityOption{AuthOption{d[0], load_be32(d + 1), Bytes(d + 5, d + n)}};
    }
    case OptionType::kReplayProtection:
      if (n != 8) return bad_length(in, "replay protection length must be 8");
      return MobilityOption{ReplayProtectionOption{load_be64(d)}};
    case OptionType::kMnGroupId:
      if (n != 6) return bad_length(in, "MN group identifier length must be 6");
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 1, d[1], "MN group identifier reserved"));
      return MobilityOption{MnGroupIdOption{d[0], load_be32(d + 2)}};
    case OptionType::kExperimental:
      return MobilityOption{ExperimentalOption{Bytes(d, d + n)}};
    case OptionType::kMagMultipathBinding: {
      if (n != 6) return bad_length(in, "MAG multipath binding length must be 6");
      MagMultipathBindingOption o;
      o.if_att = static_cast<AccessTech>(d[0]);
      o.if_label = d[1];
      o.bid = d[2];
      o.bulk = (d[3] & 0x80) != 0;
      o.overwrite = (d[3] & 0x40) != 0;
      if (o.bid == 0 || o.bid == 255) {
        return wire_error(WireErrc::kBadValue, in.data_offset() + 2, "multipath BID must be 1..254", o.bid);
      }
      if (o.bulk && o.overwrite) {
        return wire_error(WireErrc::kBadValue, in.data_offset() + 3, "multipath B and O both set", d[3]);
      }
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 3, d[3] & 0x3fu, "multipath flags reserved"));
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 4, load_be16(d + 4), "multipath reserved"));
      return MobilityOption{o};
    }
    default:
      handled = false;
      return MobilityOption{UnknownOption{}};
  }
}

Status encode(const GreKeyOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kGreKey), [&]() -> Status {
    w.be16(0);
    if (o.key) w.be32(*o.key);
    return Ok{};
  });
}

Status encode(const DmnpOption& o, MhWriter& w, const CodecConfig&) {
  if (const auto* v6 = std::get_if<Ipv6Prefix>(&o.prefix); v6 && v6->length > 128) {
    return wire_error(WireErrc::kBadValue, w.offset(), "DMNP prefix length too long", v6->length);
  }
  if (const auto* v4 = std::get_if<Ipv4Prefix>(&o.prefix); v4 && v4->length > 32) {
    return wire_error(WireErrc::kBadValue, w.offset(), "DMNP prefix length too long", v4->length);
  }
  return write_tlv(w, t(OptionType::kDmnp), [&]() -> Status {
    if (const auto* v4 = std::get_if<Ipv4Prefix>(&o.prefix)) {
      w.u8(0x80);
      w.u8(v4->length);
      w.bytes(v4->address.octets);
    } else {
      const auto& v6 = std::get<Ipv6Prefix>(o.prefix);
      w.u8(0);
      w.u8(v6.length);
      w.bytes(v6.address.octets);
    }
    return Ok{};
  });
}

Status encode(const VendorSpecificOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kVendorSpecific), [&]() -> Status {
    w.be32(o.vendor_id);
    w.u8(o.subtype);
    w.bytes(o.data);
    return Ok{};
  });
}

Status encode(const AuthOption& o, MhWriter& w, const CodecConfig&) {
  if (o.subtype != 1 && o.subtype != 2) {
    return wire_error(WireErrc::kBadValue, w.offset(), "authentication subtype not 1 or 2", o.subtype);
  }
  if (o.authenticator.size() % 4 != 0) {
    return wire_error(WireErrc::kBadValue, w.offset(), "authenticator length must be a multiple of 4",
                      static_cast<std::uint32_t>(o.authenticator.size()));
  }
  return write_tlv(w, t(OptionType::kAuth), [&]() -> Status {
    w.u8(o.subtype);
    w.be32(o.spi);
    w.bytes(o.authenticator);
    return Ok{};
  });
}

Status encode(const ReplayProtectionOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kReplayProtection), [&]() -> Status {
    w.be64(o.timestamp);
    return Ok{};
  });
}

Status encode(const MnGroupIdOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kMnGroupId), [&]() -> Status {
    w.u8(o.subtype);
    w.u8(0);
    w.be32(o.group_id);
    return Ok{};
  });
}

Status encode(const ExperimentalOption& o, MhWriter& w, const CodecConfig& c) {
  if (c.muho_option_type == t(OptionType::kExperimental)) {
    return wire_error(WireErrc::kBadValue, w.offset(),
                      "type 18 is configured as MuHo; cannot send a generic experimental option");
  }
  return write_tlv(w, t(OptionType::kExperimental), [&]() -> Status {
    w.bytes(o.data);
    return Ok{};
  });
}

Status encode(const MagMultipathBindingOption& o, MhWriter& w, const CodecConfig&) {
  if (o.bid == 0 || o.bid == 255) {
    return wire_error(WireErrc::kBadValue, w.offset(), "multipath BID must be 1..254", o.bid);
  }
  if (o.bulk && o.overwrite) {
    return wire_error(WireErrc::kBadValue, w.offset(), "multipath B and O both set");
  }
  return write_tlv(w, t(OptionType::kMagMultipathBinding), [&]() -> Status {
    w.u8(static_cast<std::uint8_t>(o.if_att));
    w.u8(o.if_label);
    w.u8(o.bid);
    w.u8(static_cast<std::uint8_t>((o.bulk ? 0x80 : 0) | (o.overwrite ? 0x40 : 0)));
    w.be16(0);
    return Ok{};
  });
}

Status encode(const UnknownOption& o, MhWriter& w, const CodecConfig&) {
  if (o.type <= 1) return wire_error(WireErrc::kBadValue, w.offset(), "padding is not an option value");
  return write_tlv(w, o.type, [&]() -> Status {
    w.bytes(o.data);
    return Ok{};
  });
}

}  // namespace pmipx::wire::detail
