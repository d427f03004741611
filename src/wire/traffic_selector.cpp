// RFC 6088 binary traffic selectors: a 32-bit presence-flag word, then the flagged fields in
// flag order with no padding (PROTOCOL.md §5.1).
#include "wire/traffic_selector.hpp"

#include <cstring>

namespace pmipx::wire {
namespace {

// Bounded reader over the selector body; `base` is the absolute offset of data[0].
class FieldReader {
 public:
  FieldReader(ByteView data, std::size_t base) : data_(data), base_(base) {}
  std::size_t offset() const { return base_ + pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

  bool take(std::uint8_t* out, std::size_t n) {
    if (remaining() < n) return false;
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool read(Ipv6Address& a) { return take(a.octets.data(), 16); }
  bool read(Ipv4Address& a) { return take(a.octets.data(), 4); }
  bool read(std::uint32_t& v) {
    std::uint8_t b[4];
    if (!take(b, 4)) return false;
    v = load_be32(b);
    return true;
  }
  bool read(std::uint16_t& v) {
    std::uint8_t b[2];
    if (!take(b, 2)) return false;
    v = load_be16(b);
    return true;
  }
  bool read(std::uint8_t& v) { return take(&v, 1); }

 private:
  ByteView data_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

// Reads the start/end pair selected by two flag bits.
template <class T>
Status read_pair(std::uint32_t flags, std::uint32_t start_bit, std::uint32_t end_bit,
                 FieldReader& r, std::optional<Bound<T>>& out) {
  bool has_start = (flags & start_bit) != 0;
  bool has_end = (flags & end_bit) != 0;
  if (has_end && !has_start) {
    return wire_error(WireErrc::kBadValue, r.offset(), "traffic selector end flag without start",
                      flags);
  }
  if (!has_start) return Ok{};
  Bound<T> b;
  std::size_t at = r.offset();
  if (!r.read(b.start)) return wire_error(WireErrc::kTruncated, at, "traffic selector field");
  if (has_end) {
    T end{};
    at = r.offset();
    if (!r.read(end)) return wire_error(WireErrc::kTruncated, at, "traffic selector field");
    if (end < b.start) return wire_error(WireErrc::kBadValue, at, "traffic selector end below start");
    b.end = end;
  }
  out = b;
  return Ok{};
}

void put(Bytes& out, const Ipv6Address& a) { out.insert(out.end(), a.octets.begin(), a.octets.end()); }
void put(Bytes& out, const Ipv4Address& a) { out.insert(out.end(), a.octets.begin(), a.octets.end()); }
void put(Bytes& out, std::uint32_t v) { ByteWriter(out).be32(v); }
void put(Bytes& out, std::uint16_t v) { ByteWriter(out).be16(v); }
void put(Bytes& out, std::uint8_t v) { out.push_back(v); }

template <class T>
Status write_pair(const std::optional<Bound<T>>& b, std::uint32_t start_bit, std::uint32_t end_bit,
                  std::uint32_t& flags, Bytes& fields) {
  if (!b) return Ok{};
  if (b->end && *b->end < b->start) {
    return wire_error(WireErrc::kBadValue, 0, "traffic selector end below start");
  }
  flags |= start_bit;
  put(fields, b->start);
  if (b->end) {
    flags |= end_bit;
    put(fields, *b->end);
  }
  return Ok{};
}

constexpr std::uint32_t bit(int letter_index) { return 0x80000000u >> letter_index; }

#define PMIPX_TS_TRY(expr)                  \
  do {                                      \
    auto s_ = (expr);                       \
    if (!s_.ok()) return s_.error();        \
  } while (0)

Result<TrafficSelector> decode_v6(FieldReader& r, std::uint32_t flags) {
  Ipv6TrafficSelector ts;
  PMIPX_TS_TRY(read_pair(flags, bit(0), bit(1), r, ts.src));
  PMIPX_TS_TRY(read_pair(flags, bit(2), bit(3), r, ts.dst));
  PMIPX_TS_TRY(read_pair(flags, bit(4), bit(5), r, ts.spi));
  PMIPX_TS_TRY(read_pair(flags, bit(6), bit(7), r, ts.flow_label));
  PMIPX_TS_TRY(read_pair(flags, bit(8), bit(9), r, ts.src_port));
  PMIPX_TS_TRY(read_pair(flags, bit(10), bit(11), r, ts.dst_port));
  PMIPX_TS_TRY(read_pair(flags, bit(12), bit(13), r, ts.traffic_class));
  PMIPX_TS_TRY(read_pair(flags, bit(14), bit(15), r, ts.next_header));
  return TrafficSelector{ts};
}

Result<TrafficSelector> decode_v4(FieldReader& r, std::uint32_t flags) {
  Ipv4TrafficSelector ts;
  PMIPX_TS_TRY(read_pair(flags, bit(0), bit(1), r, ts.src));
  PMIPX_TS_TRY(read_pair(flags, bit(2), bit(3), r, ts.dst));
  PMIPX_TS_TRY(read_pair(flags, bit(4), bit(5), r, ts.spi));
  PMIPX_TS_TRY(read_pair(flags, bit(6), bit(7), r, ts.src_port));
  PMIPX_TS_TRY(read_pair(flags, bit(8), bit(9), r, ts.dst_port));
  PMIPX_TS_TRY(read_pair(flags, bit(10), bit(11), r, ts.ds));
  PMIPX_TS_TRY(read_pair(flags, bit(12), bit(13), r, ts.protocol));
  return TrafficSelector{ts};
}

}  // namespace

std::uint8_t ts_format(const TrafficSelector& ts) {
  switch (ts.index()) {
    case 0: return kTsFormatIpv4;
    case 1: return kTsFormatIpv6;
    default: return std::get<RawTrafficSelector>(ts).format;
  }
}

Result<TrafficSelector> decode_traffic_selector(std::uint8_t format, ByteView data,
                                                std::size_t offset) {
  if (format == 0) return wire_error(WireErrc::kBadValue, offset - 2, "traffic selector format 0");
  if (format != kTsFormatIpv4 && format != kTsFormatIpv6) {
    return TrafficSelector{RawTrafficSelector{format, Bytes(data.begin(), data.end())}};
  }
  if (data.size() < 4) return wire_error(WireErrc::kTruncated, offset, "traffic selector flags");
  std::uint32_t flags = load_be32(data.data());
  std::uint32_t reserved = format == kTsFormatIpv6 ? 0x0000ffffu : 0x0003ffffu;
  if ((flags & reserved) != 0) {
    // Reserved flag bits would shift the field layout if they meant anything: reject.
    return wire_error(WireErrc::kBadValue, offset, "traffic selector reserved flags set", flags);
  }
  FieldReader r(data.subspan(4), offset + 4);
  auto ts = format == kTsFormatIpv6 ? decode_v6(r, flags) : decode_v4(r, flags);
  if (!ts) return ts;
  if (r.remaining() != 0) {
    return wire_error(WireErrc::kBadOptionLength, r.offset(),
                      "traffic selector has octets beyond its flagged fields",
                      static_cast<std::uint32_t>(r.remaining()));
  }
  return ts;
}

Status encode_traffic_selector(const TrafficSelector& ts, Bytes& out) {
  if (const auto* raw = std::get_if<RawTrafficSelector>(&ts)) {
    if (raw->format == 0) return wire_error(WireErrc::kBadValue, 0, "traffic selector format 0");
    out.insert(out.end(), raw->data.begin(), raw->data.end());
    return Ok{};
  }
  // Fields go straight into `out` after a flags placeholder that is patched at the end.
  std::size_t start = out.size();
  std::uint32_t flags = 0;
  out.resize(start + 4);
  Status s = Ok{};
  auto pair = [&](const auto& b, int letter) {
    if (s.ok()) s = write_pair(b, bit(letter), bit(letter + 1), flags, out);
  };
  if (const auto* v6 = std::get_if<Ipv6TrafficSelector>(&ts)) {
    pair(v6->src, 0);
    pair(v6->dst, 2);
    pair(v6->spi, 4);
    pair(v6->flow_label, 6);
    pair(v6->src_port, 8);
    pair(v6->dst_port, 10);
    pair(v6->traffic_class, 12);
    pair(v6->next_header, 14);
  } else {
    const auto& v4 = std::get<Ipv4TrafficSelector>(ts);
    pair(v4.src, 0);
    pair(v4.dst, 2);
    pair(v4.spi, 4);
    pair(v4.src_port, 6);
    pair(v4.dst_port, 8);
    pair(v4.ds, 10);
    pair(v4.protocol, 12);
  }
  if (!s.ok()) {
    out.resize(start);
    return s;
  }
  store_be32(out.data() + start, flags);
  return Ok{};
}

std::uint8_t ts_alignment(const TrafficSelector& ts) {
  if (const auto* v6 = std::get_if<Ipv6TrafficSelector>(&ts)) {
    if (v6->src || v6->dst) return 8;
    if (v6->spi || v6->flow_label) return 4;
    if (v6->src_port || v6->dst_port) return 2;
    return 1;
  }
  if (const auto* v4 = std::get_if<Ipv4TrafficSelector>(&ts)) {
    if (v4->src || v4->dst || v4->spi) return 4;
    if (v4->src_port || v4->dst_port) return 2;
    return 1;
  }
  return 1;
}

}  // namespace pmipx::wire
