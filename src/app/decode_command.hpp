// `pmipx decode`: print every Mobility Header message of a capture or a hex dump.
#pragma once

#include <iosfwd>
#include <string>

#include "wire/codec.hpp"

namespace pmipx::app {

struct DecodeOptions {
  std::string pcap_path;        // a capture file (pcap or pcapng)
  std::string hex;              // or a hex dump: an IPv6 packet or a bare Mobility Header
  bool json = false;
  bool verify_checksum = true;  // bare MH needs src/dst for this
  std::string src, dst;         // pseudo-header addresses for a bare MH
  wire::CodecConfig codec;
};

// Returns the process exit code: 0 when every MH message decoded cleanly, 1 when any frame
// had an error (each is reported with its frame number and offset), 2 on unusable input.
int run_decode(const DecodeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pmipx::app
