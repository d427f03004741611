#include "io/pcap_file.hpp"

#include <pcap/pcap.h>

#include <stdexcept>

namespace pmipx::io {
namespace {
constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
constexpr int kLinkTypeIpv6 = 229;
}  // namespace

PcapReader::PcapReader(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_open_offline(path.c_str(), err);
  if (!handle_) throw std::runtime_error("cannot read capture " + path + ": " + err);
  link_type_ = pcap_datalink(handle_);
  switch (link_type_) {
    case DLT_EN10MB: case DLT_RAW: case kLinkTypeIpv6: case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2: case DLT_NULL: case DLT_LOOP:
      break;
    default: {
      const char* name = pcap_datalink_val_to_name(link_type_);
      pcap_close(handle_);
      handle_ = nullptr;
      throw std::runtime_error("capture " + path + " has unsupported link type " +
                               std::to_string(link_type_) + " (" + (name ? name : "?") + ")");
    }
  }
}

PcapReader::~PcapReader() {
  if (handle_) pcap_close(handle_);
}

std::optional<std::size_t> PcapReader::ipv6_offset(wire::ByteView f) const {
  auto version6 = [&](std::size_t off) -> std::optional<std::size_t> {
    if (f.size() > off && (f[off] >> 4) == 6) return off;
    return std::nullopt;
  };
  switch (link_type_) {
    case DLT_RAW:
    case kLinkTypeIpv6:
      return version6(0);
    case DLT_EN10MB: {
      std::size_t off = 12;
      while (f.size() >= off + 2) {
        std::uint16_t et = wire::load_be16(f.data() + off);
        if (et == kEtherTypeVlan || et == kEtherTypeQinQ) {
          off += 4;
          continue;
        }
        return et == kEtherTypeIpv6 ? version6(off + 2) : std::nullopt;
      }
      return std::nullopt;
    }
    case DLT_LINUX_SLL:
      if (f.size() < 16 || wire::load_be16(f.data() + 14) != kEtherTypeIpv6) return std::nullopt;
      return version6(16);
    case DLT_LINUX_SLL2:
      if (f.size() < 20 || wire::load_be16(f.data()) != kEtherTypeIpv6) return std::nullopt;
      return version6(20);
    case DLT_NULL:
    case DLT_LOOP:
      // 4-octet address family in host or network order; IPv6 is 10, 24, 28 or 30.
      return version6(4);
    default:
      return std::nullopt;
  }
}

std::optional<CapturedFrame> PcapReader::next() {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == PCAP_ERROR_BREAK) return std::nullopt;
  if (rc != 1) throw std::runtime_error(std::string("capture read failed: ") + pcap_geterr(handle_));
  CapturedFrame f;
  f.number = ++count_;
  f.frame = wire::ByteView(data, hdr->caplen);
  f.truncated = hdr->caplen < hdr->len;
  f.ipv6_offset = ipv6_offset(f.frame);
  return f;
}

PcapWriter::PcapWriter(const std::string& path) {
  handle_ = pcap_open_dead(DLT_RAW, 65535);
  if (!handle_) throw std::runtime_error("pcap_open_dead failed");
  dumper_ = pcap_dump_open(handle_, path.c_str());
  if (!dumper_) {
    std::string err = pcap_geterr(handle_);
    pcap_close(handle_);
    throw std::runtime_error("cannot write capture " + path + ": " + err);
  }
}

PcapWriter::~PcapWriter() {
  if (dumper_) pcap_dump_close(dumper_);
  if (handle_) pcap_close(handle_);
}

void PcapWriter::write(wire::ByteView packet, std::uint64_t usec) {
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(usec / 1000000);
  hdr.ts.tv_usec = static_cast<suseconds_t>(usec % 1000000);
  hdr.caplen = static_cast<bpf_u_int32>(packet.size());
  hdr.len = hdr.caplen;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, packet.data());
}

}  // namespace pmipx::io
