#include "core/lma/prefix_pool.hpp"

namespace pmipx::core {
namespace {

// Bit i of an address counted from the most significant bit.
bool bit(const wire::Ipv6Address& a, unsigned i) { return ((a.octets[i / 8] >> (7 - i % 8)) & 1) != 0; }
void set_bit(wire::Ipv6Address& a, unsigned i, bool v) {
  auto mask = static_cast<std::uint8_t>(1u << (7 - i % 8));
  if (v) {
    a.octets[i / 8] |= mask;
  } else {
    a.octets[i / 8] &= static_cast<std::uint8_t>(~mask);
  }
}

wire::Ipv6Prefix masked(const wire::Ipv6Prefix& p) {
  wire::Ipv6Prefix m{{}, p.length};
  for (unsigned i = 0; i < p.length; ++i) set_bit(m.address, i, bit(p.address, i));
  return m;
}

}  // namespace

std::optional<PrefixPool> PrefixPool::create(const wire::Ipv6Prefix& base, std::uint8_t delegated) {
  if (base.length >= delegated || delegated > 128 || delegated - base.length > 24) return std::nullopt;
  return PrefixPool(masked(base), delegated);
}

PrefixPool::PrefixPool(const wire::Ipv6Prefix& base, std::uint8_t delegated)
    : base_(base), delegated_(delegated), capacity_(std::size_t{1} << (delegated - base.length)) {
  bits_.assign((capacity_ + 63) / 64, 0);
}

std::optional<std::size_t> PrefixPool::index_of(const wire::Ipv6Prefix& p) const {
  if (p.length != delegated_ || !base_.contains(p.address)) return std::nullopt;
  std::size_t index = 0;
  for (unsigned i = base_.length; i < delegated_; ++i) index = (index << 1) | bit(p.address, i);
  if (masked(p) != p) return std::nullopt;  // host bits set: not one of ours
  return index;
}

wire::Ipv6Prefix PrefixPool::prefix_at(std::size_t index) const {
  wire::Ipv6Prefix p = base_;
  p.length = delegated_;
  for (unsigned i = delegated_; i-- > base_.length;) {
    set_bit(p.address, i, index & 1u);
    index >>= 1;
  }
  return p;
}

std::optional<wire::Ipv6Prefix> PrefixPool::allocate() {
  if (used_ == capacity_) return std::nullopt;
  for (std::size_t n = 0; n < capacity_; ++n) {
    std::size_t i = (cursor_ + n) % capacity_;
    std::uint64_t& word = bits_[i / 64];
    if (word == ~std::uint64_t{0}) {
      n += 63 - i % 64;  // skip the rest of a full word
      continue;
    }
    if (!(word >> (i % 64) & 1u)) {
      word |= std::uint64_t{1} << (i % 64);
      ++used_;
      cursor_ = (i + 1) % capacity_;
      return prefix_at(i);
    }
  }
  return std::nullopt;
}

bool PrefixPool::reserve(const wire::Ipv6Prefix& p) {
  auto i = index_of(p);
  if (!i) return false;
  std::uint64_t& word = bits_[*i / 64];
  std::uint64_t mask = std::uint64_t{1} << (*i % 64);
  if (word & mask) return false;
  word |= mask;
  ++used_;
  return true;
}

void PrefixPool::release(const wire::Ipv6Prefix& p) {
  auto i = index_of(p);
  if (!i) return;
  std::uint64_t& word = bits_[*i / 64];
  std::uint64_t mask = std::uint64_t{1} << (*i % 64);
  if (word & mask) {
    word &= ~mask;
    --used_;
  }
}

bool PrefixPool::contains(const wire::Ipv6Prefix& p) const { return index_of(p).has_value(); }

bool PrefixPool::in_use(const wire::Ipv6Prefix& p) const {
  auto i = index_of(p);
  return i && (bits_[*i / 64] >> (*i % 64) & 1u);
}

}  // namespace pmipx::core
