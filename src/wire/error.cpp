#include "wire/error.hpp"

#include <fmt/format.h>

namespace pmipx::wire {

const char* to_string(WireErrc code) {
  switch (code) {
    case WireErrc::kTruncated: return "truncated";
    case WireErrc::kBadPayloadProto: return "bad payload proto";
    case WireErrc::kHeaderLenTooSmall: return "header length too small";
    case WireErrc::kHeaderLenBeyondData: return "header length beyond data";
    case WireErrc::kUnknownMhType: return "unknown mobility header type";
    case WireErrc::kOptionTruncated: return "option truncated";
    case WireErrc::kBadOptionLength: return "bad option length";
    case WireErrc::kDuplicateOption: return "duplicate option";
    case WireErrc::kOptionAfterAuth: return "option after authentication option";
    case WireErrc::kBadValue: return "bad value";
    case WireErrc::kReservedNonZero: return "reserved field not zero";
    case WireErrc::kMisaligned: return "misaligned option";
    case WireErrc::kBadChecksum: return "bad checksum";
    case WireErrc::kTooLong: return "too long";
    case WireErrc::kBadPacket: return "bad packet";
  }
  return "unknown error";
}

std::string WireError::describe() const {
  return fmt::format("{} at offset {}: {} ({})", to_string(code), offset, what, value);
}

}  // namespace pmipx::wire
