// Reads and writes capture files (pcap and pcapng through libpcap) and finds the IPv6
// packet inside each frame, whatever the link type of the capture.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wire/bytes.hpp"

struct pcap;
struct pcap_dumper;

namespace pmipx::io {

struct CapturedFrame {
  std::size_t number = 0;         // 1-based, as tshark numbers frames
  wire::ByteView frame;           // the whole captured frame
  std::optional<std::size_t> ipv6_offset;  // where the IPv6 header starts, if there is one
  bool truncated = false;         // captured length shorter than the original
};

class PcapReader {
 public:
  // Throws std::runtime_error naming the file when it cannot be opened or its link type is
  // not one pmipx understands.
  explicit PcapReader(const std::string& path);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // The next frame, valid until the following call; nullopt at the end of the file.
  std::optional<CapturedFrame> next();
  int link_type() const { return link_type_; }

 private:
  std::optional<std::size_t> ipv6_offset(wire::ByteView frame) const;

  pcap* handle_ = nullptr;
  int link_type_ = 0;
  std::size_t count_ = 0;
};

// Writes raw IPv6 packets (link type RAW) to a pcap file.
class PcapWriter {
 public:
  explicit PcapWriter(const std::string& path);  // throws std::runtime_error
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void write(wire::ByteView ipv6_packet, std::uint64_t usec_since_epoch);

 private:
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
};

}  // namespace pmipx::io
