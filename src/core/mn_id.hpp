// The stable identity of a mobile node (RFC 4283 MN-ID option: subtype + octets).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "wire/option.hpp"

namespace pmipx::core {

struct MnId {
  wire::MnIdSubtype subtype = wire::MnIdSubtype::kNai;
  std::string value;

  static MnId nai(std::string v) { return MnId{wire::MnIdSubtype::kNai, std::move(v)}; }
  static MnId from_option(const wire::MnIdOption& o) { return MnId{o.subtype, o.identifier}; }
  wire::MnIdOption to_option() const { return wire::MnIdOption{subtype, value}; }
  std::string to_string() const;  // NAI as is, other subtypes as "subtype:hex"
  std::uint64_t hash() const;      // FNV-1a over subtype and value: stable across runs
  auto operator<=>(const MnId&) const = default;
};

struct MnIdHash {
  std::size_t operator()(const MnId& id) const { return static_cast<std::size_t>(id.hash()); }
};

}  // namespace pmipx::core
