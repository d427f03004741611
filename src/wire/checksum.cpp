#include "wire/checksum.hpp"

namespace pmipx::wire {
namespace {

std::uint32_t sum16(ByteView data, std::uint32_t acc) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += load_be16(data.data() + i);
  if (i < data.size()) acc += std::uint32_t{data[i]} << 8;
  return acc;
}

std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

}  // namespace

std::uint16_t upper_layer_checksum(const Ipv6Address& src, const Ipv6Address& dst,
                                   std::uint8_t next_header, ByteView payload,
                                   std::size_t checksum_offset) {
  std::uint32_t acc = 0;
  acc = sum16(src.octets, acc);
  acc = sum16(dst.octets, acc);
  auto len = static_cast<std::uint32_t>(payload.size());
  acc += len >> 16;
  acc += len & 0xffff;
  acc += next_header;
  acc = sum16(payload, acc);
  if (checksum_offset + 1 < payload.size()) {
    // Take the stored checksum back out: ones'-complement subtraction is adding the complement.
    acc += static_cast<std::uint16_t>(~load_be16(payload.data() + checksum_offset));
  }
  return static_cast<std::uint16_t>(~fold(acc));
}

std::uint16_t mh_checksum(const Ipv6Address& src, const Ipv6Address& dst, ByteView mh) {
  return upper_layer_checksum(src, dst, 135, mh, 4);
}

void set_mh_checksum(const Ipv6Address& src, const Ipv6Address& dst, std::span<std::uint8_t> mh) {
  if (mh.size() < 6) return;
  store_be16(mh.data() + 4, mh_checksum(src, dst, mh));
}

bool mh_checksum_ok(const Ipv6Address& src, const Ipv6Address& dst, ByteView mh) {
  if (mh.size() < 6) return false;
  return mh_checksum(src, dst, mh) == load_be16(mh.data() + 4);
}

}  // namespace pmipx::wire
