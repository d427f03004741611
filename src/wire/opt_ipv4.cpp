// RFC 5844 IPv4 support options: Home Address Request (36) / Reply (37), Default Router (38),
// DHCP Support Mode (39).
#include "wire/option_codec.hpp"

namespace pmipx::wire::detail {
namespace {

Status check_v4_prefix_length(std::uint8_t len, std::size_t offset) {
  if (len > 32) return wire_error(WireErrc::kBadValue, offset, "IPv4 prefix length above 32", len);
  return Ok{};
}
}  // namespace

Result<MobilityOption> decode_ipv4_option(const OptionInput& in, NoteSink& notes, bool& handled) {
  handled = true;
  const std::uint8_t* d = in.data.data();
  const std::size_t n = in.data.size();
  switch (static_cast<OptionType>(in.type)) {
    case OptionType::kIpv4HomeAddressRequest: {
      if (n != 6) return bad_length(in, "IPv4 home address request length must be 6");
      std::uint16_t word = load_be16(d);
      auto plen = static_cast<std::uint8_t>(word >> 10);
      PMIPX_WIRE_TRY(check_v4_prefix_length(plen, in.data_offset()));
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), word & 0x03ffu, "IPv4 HoA request reserved"));
      return MobilityOption{Ipv4HomeAddressRequestOption{plen, read_ipv4(d + 2)}};
    }
    case OptionType::kIpv4HomeAddressReply: {
      if (n != 6) return bad_length(in, "IPv4 home address reply length must be 6");
      auto plen = static_cast<std::uint8_t>(d[1] >> 2);
      PMIPX_WIRE_TRY(check_v4_prefix_length(plen, in.data_offset() + 1));
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset() + 1, d[1] & 0x03u, "IPv4 HoA reply reserved"));
      return MobilityOption{Ipv4HomeAddressReplyOption{d[0], plen, read_ipv4(d + 2)}};
    }
    case OptionType::kIpv4DefaultRouter:
      if (n != 6) return bad_length(in, "IPv4 default router length must be 6");
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), load_be16(d), "IPv4 default router reserved"));
      return MobilityOption{Ipv4DefaultRouterOption{read_ipv4(d + 2)}};
    case OptionType::kIpv4DhcpSupportMode: {
      if (n != 2) return bad_length(in, "IPv4 DHCP support mode length must be 2");
      std::uint16_t word = load_be16(d);
      PMIPX_WIRE_TRY(notes.reserved(in.data_offset(), word & 0xfffeu, "DHCP support mode reserved"));
      return MobilityOption{Ipv4DhcpSupportModeOption{(word & 1u) != 0}};
    }
    default:
      handled = false;
      return MobilityOption{UnknownOption{}};
  }
}

Status encode(const Ipv4HomeAddressRequestOption& o, MhWriter& w, const CodecConfig&) {
  PMIPX_WIRE_TRY(check_v4_prefix_length(o.prefix_length, w.offset()));
  return write_tlv(w, t(OptionType::kIpv4HomeAddressRequest), [&]() -> Status {
    w.be16(static_cast<std::uint16_t>(o.prefix_length << 10));
    w.bytes(o.address.octets);
    return Ok{};
  });
}
Status encode(const Ipv4HomeAddressReplyOption& o, MhWriter& w, const CodecConfig&) {
  PMIPX_WIRE_TRY(check_v4_prefix_length(o.prefix_length, w.offset()));
  return write_tlv(w, t(OptionType::kIpv4HomeAddressReply), [&]() -> Status {
    w.u8(o.status);
    w.u8(static_cast<std::uint8_t>(o.prefix_length << 2));
    w.bytes(o.address.octets);
    return Ok{};
  });
}
Status encode(const Ipv4DefaultRouterOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kIpv4DefaultRouter), [&]() -> Status {
    w.be16(0);
    w.bytes(o.address.octets);
    return Ok{};
  });
}
Status encode(const Ipv4DhcpSupportModeOption& o, MhWriter& w, const CodecConfig&) {
  return write_tlv(w, t(OptionType::kIpv4DhcpSupportMode), [&]() -> Status {
    w.be16(o.server ? 1 : 0);
    return Ok{};
  });
}

}  // namespace pmipx::wire::detail
