// Hex text and octets, for the CLI, the printer, tests and tools.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wire/bytes.hpp"

namespace pmipx::wire {

// Hex digits, optionally separated by whitespace, ':', '-' or ',' and prefixed by "0x".
// Fails on any other character or on an odd number of digits.
std::optional<Bytes> parse_hex(std::string_view text);
std::string to_hex(ByteView octets);  // lower case, no separators

}  // namespace pmipx::wire
