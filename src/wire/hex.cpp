#include "wire/hex.hpp"

namespace pmipx::wire {
namespace {
int digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Bytes> parse_hex(std::string_view text) {
  Bytes out;
  int hi = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (hi < 0 && c == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '-' || c == ',') continue;
    int v = digit(c);
    if (v < 0) return std::nullopt;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) return std::nullopt;
  return out;
}

std::string to_hex(ByteView octets) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(octets.size() * 2);
  for (auto b : octets) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xf];
  }
  return s;
}

}  // namespace pmipx::wire
