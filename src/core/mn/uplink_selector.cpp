#include "core/mn/uplink_selector.hpp"

#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace pmipx::core {

namespace {

template <class Ts>
Ts swapped(Ts ts) {
  std::swap(ts.src, ts.dst);
  std::swap(ts.src_port, ts.dst_port);
  return ts;
}

template <class T>
std::optional<std::string> check_range(const char* field, const std::optional<wire::Bound<T>>& b) {
  if (b && b->end && *b->end < b->start) return fmt::format("selector {} range ends before it starts", field);
  return std::nullopt;
}

}  // namespace

wire::TrafficSelector uplink_view(const wire::TrafficSelector& network_selector) {
  return std::visit(
      [](const auto& ts) -> wire::TrafficSelector {
        using T = std::decay_t<decltype(ts)>;
        if constexpr (std::is_same_v<T, wire::RawTrafficSelector>) {
          return ts;  // opaque: check_selector refuses it anyway
        } else {
          return swapped(ts);
        }
      },
      network_selector);
}

std::optional<std::string> check_selector(const wire::TrafficSelector& ts) {
  if (const auto* v6 = std::get_if<wire::Ipv6TrafficSelector>(&ts)) {
    for (auto e : {check_range("src", v6->src), check_range("dst", v6->dst), check_range("spi", v6->spi),
                   check_range("flow-label", v6->flow_label), check_range("src-port", v6->src_port),
                   check_range("dst-port", v6->dst_port), check_range("traffic-class", v6->traffic_class),
                   check_range("next-header", v6->next_header)}) {
      if (e) return e;
    }
    return std::nullopt;
  }
  if (const auto* v4 = std::get_if<wire::Ipv4TrafficSelector>(&ts)) {
    for (auto e : {check_range("src", v4->src), check_range("dst", v4->dst), check_range("spi", v4->spi),
                   check_range("src-port", v4->src_port), check_range("dst-port", v4->dst_port),
                   check_range("ds", v4->ds), check_range("protocol", v4->protocol)}) {
      if (e) return e;
    }
    return std::nullopt;
  }
  return fmt::format("traffic selector format {} is not supported", ts_format(ts));
}

}  // namespace pmipx::core
