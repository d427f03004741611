#include "dataplane/selector_conv.hpp"

#include <cstring>

#include <fmt/format.h>

namespace pmipx::dataplane {
namespace {

template <class T>
bool range_ok(const std::optional<wire::Bound<T>>& b) {
  return !b || !b->end || !(*b->end < b->start);
}

}  // namespace

std::variant<pmipx_dp_selector, std::string> to_dp_selector(const wire::Ipv6TrafficSelector& ts) {
  pmipx_dp_selector out{};
  for (auto [ok, name] : {std::pair{range_ok(ts.src), "src"}, {range_ok(ts.dst), "dst"}, {range_ok(ts.spi), "spi"},
                          {range_ok(ts.flow_label), "flow-label"}, {range_ok(ts.src_port), "src-port"},
                          {range_ok(ts.dst_port), "dst-port"}, {range_ok(ts.traffic_class), "traffic-class"},
                          {range_ok(ts.next_header), "next-header"}}) {
    if (!ok) return fmt::format("selector {} range ends before it starts", name);
  }
  if (ts.src) {
    out.fields |= PMIPX_TS_SRC;
    std::memcpy(out.src_start, ts.src->start.octets.data(), 16);
    std::memcpy(out.src_end, ts.src->last().octets.data(), 16);
  }
  if (ts.dst) {
    out.fields |= PMIPX_TS_DST;
    std::memcpy(out.dst_start, ts.dst->start.octets.data(), 16);
    std::memcpy(out.dst_end, ts.dst->last().octets.data(), 16);
  }
  if (ts.spi) {
    out.fields |= PMIPX_TS_SPI;
    out.spi_start = ts.spi->start;
    out.spi_end = ts.spi->last();
  }
  if (ts.flow_label) {
    if (ts.flow_label->start > 0xfffff || ts.flow_label->last() > 0xfffff)
      return std::string("selector flow label exceeds 20 bits");
    out.fields |= PMIPX_TS_FLOW_LABEL;
    out.flow_label_start = ts.flow_label->start;
    out.flow_label_end = ts.flow_label->last();
  }
  if (ts.src_port) {
    out.fields |= PMIPX_TS_SRC_PORT;
    out.src_port_start = ts.src_port->start;
    out.src_port_end = ts.src_port->last();
  }
  if (ts.dst_port) {
    out.fields |= PMIPX_TS_DST_PORT;
    out.dst_port_start = ts.dst_port->start;
    out.dst_port_end = ts.dst_port->last();
  }
  if (ts.traffic_class) {
    out.fields |= PMIPX_TS_TRAFFIC_CLASS;
    out.traffic_class_start = ts.traffic_class->start;
    out.traffic_class_end = ts.traffic_class->last();
  }
  if (ts.next_header) {
    out.fields |= PMIPX_TS_NEXT_HEADER;
    out.next_header_start = ts.next_header->start;
    out.next_header_end = ts.next_header->last();
  }
  return out;
}

std::variant<pmipx_dp_selector, std::string> to_dp_selector(const wire::TrafficSelector& ts) {
  if (const auto* v6 = std::get_if<wire::Ipv6TrafficSelector>(&ts)) return to_dp_selector(*v6);
  return fmt::format("traffic selector format {} is not supported by the data plane", wire::ts_format(ts));
}

}  // namespace pmipx::dataplane
