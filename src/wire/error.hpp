// Typed decode/encode errors. An error names what went wrong and where (octet offset from the
// first octet of the unit being decoded: the Mobility Header, or the IPv6 packet), and never
// allocates: `what` always points to a string literal.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace pmipx::wire {

enum class WireErrc : std::uint8_t {
  kTruncated,            // fewer octets than the structure needs
  kBadPayloadProto,      // MH Payload Proto != 59 (RFC 6275 §9.2)
  kHeaderLenTooSmall,    // Header Len below the message minimum (PROTOCOL.md §2.2)
  kHeaderLenBeyondData,  // (Header Len + 1) * 8 exceeds the octets received
  kUnknownMhType,        // MH type this codec does not implement (answer: Binding Error 2)
  kOptionTruncated,      // option TLV runs past the end of the message
  kBadOptionLength,      // option Length does not fit the option's layout
  kDuplicateOption,      // a singleton option appears twice
  kOptionAfterAuth,      // AUTH must be the last option (RFC 4285)
  kBadValue,             // field value outside its valid range
  kReservedNonZero,      // reserved bits set (an error only in strict mode)
  kMisaligned,           // option violates its xn+y alignment (an error only in strict mode)
  kBadChecksum,          // MH checksum does not verify
  kTooLong,              // encode: value does not fit its length field
  kBadPacket,            // IPv6 header / extension header framing
};

const char* to_string(WireErrc code);

struct WireError {
  WireErrc code{};
  std::uint32_t offset = 0;   // octet offset of the offending field
  const char* what = "";      // static description of the specific check
  std::uint32_t value = 0;    // offending value (type, length...) when meaningful

  std::string describe() const;  // "bad option length at offset 34: HNP length must be 18 (got 17)"
};

inline WireError wire_error(WireErrc code, std::size_t offset, const char* what,
                            std::uint32_t value = 0) {
  return WireError{code, static_cast<std::uint32_t>(offset), what, value};
}

// A value or a WireError. Small on purpose: the codec needs only ok/value/error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(WireError error) : v_(error) {}     // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const WireError& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, WireError> v_;
};

// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace pmipx::wire
