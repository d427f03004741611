#include "wire/ipv6_packet.hpp"

#include <cstring>

#include "wire/codepoints.hpp"

namespace pmipx::wire {
namespace {
Ipv6Address at(const std::uint8_t* p) {
  Ipv6Address a;
  std::memcpy(a.octets.data(), p, 16);
  return a;
}
}  // namespace

Result<Ipv6Header> decode_ipv6_header(ByteView p) {
  if (p.size() < kIpv6HeaderLength) {
    return wire_error(WireErrc::kTruncated, 0, "IPv6 header shorter than 40 octets",
                      static_cast<std::uint32_t>(p.size()));
  }
  std::uint32_t w = load_be32(p.data());
  if ((w >> 28) != 6) return wire_error(WireErrc::kBadPacket, 0, "IP version is not 6", w >> 28);
  Ipv6Header h;
  h.traffic_class = static_cast<std::uint8_t>(w >> 20);
  h.flow_label = w & 0xfffff;
  h.payload_length = load_be16(p.data() + 4);
  h.next_header = p[6];
  h.hop_limit = p[7];
  h.src = at(p.data() + 8);
  h.dst = at(p.data() + 24);
  return h;
}

void encode_ipv6_header(const Ipv6Header& h, Bytes& out) {
  ByteWriter w(out);
  w.be32((6u << 28) | (std::uint32_t{h.traffic_class} << 20) | (h.flow_label & 0xfffff));
  w.be16(h.payload_length);
  w.u8(h.next_header);
  w.u8(h.hop_limit);
  w.bytes(h.src.octets);
  w.bytes(h.dst.octets);
}

void encode_primary_hoa_destopts(const PrimaryHoaDestOpts& h, Bytes& out, std::uint8_t option_type) {
  ByteWriter w(out);
  w.u8(h.next_header);
  w.u8(2);                      // (2 + 1) * 8 = 24 octets
  w.u8(1); w.u8(2); w.be16(0);  // PadN(4): the option lands at 8n+6
  w.u8(option_type);
  w.u8(16);
  w.bytes(h.primary_hoa.octets);
}

Result<DestOpts> decode_destopts(ByteView hdr, std::uint8_t primary_hoa_type) {
  if (hdr.size() < 2) return wire_error(WireErrc::kTruncated, 0, "destination options header");
  std::size_t len = (std::size_t{hdr[1]} + 1) * 8;
  if (len > hdr.size()) return wire_error(WireErrc::kTruncated, 1, "destination options length", hdr[1]);
  DestOpts d;
  d.next_header = hdr[0];
  d.length = len;
  std::size_t pos = 2;
  while (pos < len) {
    std::uint8_t type = hdr[pos];
    if (type == 0) {  // Pad1
      ++pos;
      continue;
    }
    if (len - pos < 2 || len - pos - 2 < hdr[pos + 1]) {
      return wire_error(WireErrc::kOptionTruncated, pos, "destination option runs past its header", type);
    }
    std::size_t olen = hdr[pos + 1];
    if (type == primary_hoa_type || type == kHomeAddressOptionType) {
      if (olen != 16) {
        return wire_error(WireErrc::kBadOptionLength, pos + 1, "home address option length must be 16",
                          static_cast<std::uint32_t>(olen));
      }
      auto& slot = type == kHomeAddressOptionType ? d.home_address : d.primary_hoa;
      if (slot) return wire_error(WireErrc::kDuplicateOption, pos, "home address option twice", type);
      slot = at(hdr.data() + pos + 2);
    } else if (type != 1 && (type >> 6) != 0) {
      // RFC 8200 §4.2: an unknown option whose top bits are not 00 means discard.
      d.discard = true;
    }
    pos += 2 + olen;
  }
  return d;
}

void encode_type2_routing_header(const Type2RoutingHeader& h, Bytes& out) {
  ByteWriter w(out);
  w.u8(h.next_header);
  w.u8(2);
  w.u8(2);
  w.u8(h.segments_left);
  w.be32(0);
  w.bytes(h.home_address.octets);
}

Result<Type2RoutingHeader> decode_type2_routing_header(ByteView hdr) {
  if (hdr.size() < kType2RoutingHeaderLength) {
    return wire_error(WireErrc::kTruncated, 0, "type 2 routing header shorter than 24 octets",
                      static_cast<std::uint32_t>(hdr.size()));
  }
  if (hdr[1] != 2) return wire_error(WireErrc::kBadValue, 1, "type 2 routing header length must be 2", hdr[1]);
  if (hdr[2] != 2) return wire_error(WireErrc::kBadValue, 2, "routing type is not 2", hdr[2]);
  if (hdr[3] > 1) return wire_error(WireErrc::kBadValue, 3, "segments left above 1", hdr[3]);
  return Type2RoutingHeader{hdr[0], hdr[3], at(hdr.data() + 8)};
}

Result<std::optional<MhInPacket>> locate_mh(ByteView packet) {
  auto ip = decode_ipv6_header(packet);
  if (!ip) return ip.error();
  std::size_t end = kIpv6HeaderLength + ip->payload_length;
  if (end > packet.size()) {
    return wire_error(WireErrc::kTruncated, 4, "IPv6 payload length exceeds the captured packet",
                      ip->payload_length);
  }
  MhInPacket m;
  m.ip = *ip;
  m.checksum_src = ip->src;
  m.checksum_dst = ip->dst;
  std::uint8_t nh = ip->next_header;
  std::size_t pos = kIpv6HeaderLength;
  for (int hops = 0; hops < 16; ++hops) {
    if (nh == kIpProtoMh) {
      m.mh_offset = pos;
      m.mh = packet.subspan(pos, end - pos);
      return std::optional<MhInPacket>{m};
    }
    ByteView rest = packet.subspan(pos, end - pos);
    if (nh == kIpProtoHopByHop || nh == kIpProtoDstOpts || nh == kIpProtoRouting) {
      if (rest.size() < 8) return wire_error(WireErrc::kTruncated, pos, "extension header");
      std::size_t len = (std::size_t{rest[1]} + 1) * 8;
      if (len > rest.size()) return wire_error(WireErrc::kTruncated, pos + 1, "extension header length", rest[1]);
      if (nh == kIpProtoDstOpts) {
        auto d = decode_destopts(rest.first(len));
        if (!d) {
          auto e = d.error();
          e.offset += static_cast<std::uint32_t>(pos);
          return e;
        }
        if (d->home_address) m.checksum_src = *d->home_address;
      }
      if (nh == kIpProtoRouting && rest[2] == 2) {
        auto rh = decode_type2_routing_header(rest.first(len));
        if (!rh) {
          auto e = rh.error();
          e.offset += static_cast<std::uint32_t>(pos);
          return e;
        }
        // On the wire (segments left 1) the final destination is the home address inside.
        if (rh->segments_left == 1) m.checksum_dst = rh->home_address;
      }
      nh = rest[0];
      pos += len;
    } else if (nh == kIpProtoFragment) {
      if (rest.size() < 8) return wire_error(WireErrc::kTruncated, pos, "fragment header");
      if ((load_be16(rest.data() + 2) & 0xfff8) != 0) return std::optional<MhInPacket>{};
      nh = rest[0];
      pos += 8;
    } else if (nh == kIpProtoAh) {
      if (rest.size() < 8) return wire_error(WireErrc::kTruncated, pos, "authentication header");
      std::size_t len = (std::size_t{rest[1]} + 2) * 4;
      if (len > rest.size()) return wire_error(WireErrc::kTruncated, pos + 1, "authentication header length", rest[1]);
      nh = rest[0];
      pos += len;
    } else {
      return std::optional<MhInPacket>{};
    }
  }
  return wire_error(WireErrc::kBadPacket, pos, "too many extension headers");
}

}  // namespace pmipx::wire
