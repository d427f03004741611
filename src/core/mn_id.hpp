// The stable identity of a mobile node (RFC 4283 MN-ID option: subtype + octets).
#pragma once

#include <compare>
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
  auto operator<=>(const MnId&) const = default;
};

}  // namespace pmipx::core
