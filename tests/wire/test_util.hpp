// Helpers shared by the wire tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "wire/address.hpp"
#include "wire/bytes.hpp"
#include "wire/codec.hpp"
#include "wire/hex.hpp"

namespace pmipx::wire::test {

inline Bytes hex(const std::string& text) {
  auto b = parse_hex(text);
  EXPECT_TRUE(b.has_value()) << "bad hex in test: " << text;
  return b.value_or(Bytes{});
}

inline Ipv6Address v6(const char* text) { return *Ipv6Address::parse(text); }
inline Ipv4Address v4(const char* text) { return *Ipv4Address::parse(text); }
inline Ipv6Prefix pfx(const char* text) { return *Ipv6Prefix::parse(text); }

inline Bytes encode_ok(const Message& m, const CodecConfig& c = {}) {
  auto r = encode_message(m, c);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
  return r.ok() ? *r : Bytes{};
}

inline Message decode_ok(const Bytes& b, const CodecConfig& c = {}) {
  auto r = decode_message(b, c);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
  return r.ok() ? r->message : Message{};
}

// Encode, decode, compare; then the bytes must re-encode identically.
inline Bytes round_trip(const Message& m, const CodecConfig& c = {}) {
  Bytes b = encode_ok(m, c);
  if (b.size() < 8) {
    ADD_FAILURE() << "encode failed";
    return b;
  }
  EXPECT_EQ(b.size() % 8, 0u);
  EXPECT_EQ(b[1], b.size() / 8 - 1);
  auto d = decode_message(b, c);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().describe());
  if (!d.ok()) return b;
  EXPECT_EQ(d->message, m);
  EXPECT_TRUE(d->notes.empty()) << d->notes.front().describe();
  EXPECT_EQ(encode_ok(d->message, c), b);
  return b;
}

inline WireError decode_err(const Bytes& b, const CodecConfig& c = {}) {
  auto r = decode_message(b, c);
  EXPECT_FALSE(r.ok()) << "decoded although malformed";
  return r.ok() ? WireError{} : r.error();
}

}  // namespace pmipx::wire::test

namespace pmipx::wire::test {

// A PBU fixed part followed by the given raw option octets, padded to a multiple of 8 with
// Pad1/PadN, Header Len set. Options start at MH offset 12.
inline Bytes pbu_with_raw_options(const Bytes& options, std::uint8_t mh_type = 5) {
  Bytes b = hex("3b 00 05 00 00 00 00 01 82 00 03 84");
  b[2] = mh_type;
  b.insert(b.end(), options.begin(), options.end());
  std::size_t need = (8 - b.size() % 8) % 8;
  if (need == 1) {
    b.push_back(0);
  } else if (need >= 2) {
    b.push_back(1);
    b.push_back(static_cast<std::uint8_t>(need - 2));
    b.insert(b.end(), need - 2, 0);
  }
  b[1] = static_cast<std::uint8_t>(b.size() / 8 - 1);
  return b;
}

inline Message pbu(std::vector<MobilityOption> options) {
  return Message{BindingUpdate{1, bu_flag::kA | bu_flag::kP, Lifetime{900}}, std::move(options)};
}

}  // namespace pmipx::wire::test
