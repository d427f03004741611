// Home network prefixes handed out from one aggregate: every /delegated_length inside
// base. Allocation is a bitmap scan from a moving cursor, so released prefixes are reused
// last (a prefix just released is not handed to the next MN at once).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "wire/address.hpp"

namespace pmipx::core {

class PrefixPool {
 public:
  // Fails (nullopt) unless base.length < delegated_length <= 128 and the pool holds at most
  // 2^24 prefixes.
  static std::optional<PrefixPool> create(const wire::Ipv6Prefix& base, std::uint8_t delegated_length);

  std::optional<wire::Ipv6Prefix> allocate();
  // Marks a specific prefix used (e.g. a static or requested one). False if taken or foreign.
  bool reserve(const wire::Ipv6Prefix& p);
  void release(const wire::Ipv6Prefix& p);
  bool contains(const wire::Ipv6Prefix& p) const;
  bool in_use(const wire::Ipv6Prefix& p) const;

  std::size_t capacity() const { return capacity_; }
  std::size_t used() const { return used_; }
  const wire::Ipv6Prefix& base() const { return base_; }
  std::uint8_t delegated_length() const { return delegated_; }

 private:
  PrefixPool(const wire::Ipv6Prefix& base, std::uint8_t delegated);
  std::optional<std::size_t> index_of(const wire::Ipv6Prefix& p) const;
  wire::Ipv6Prefix prefix_at(std::size_t index) const;

  wire::Ipv6Prefix base_;
  std::uint8_t delegated_ = 64;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::size_t cursor_ = 0;
  std::vector<std::uint64_t> bits_;
};

}  // namespace pmipx::core
