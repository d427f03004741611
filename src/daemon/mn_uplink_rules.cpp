#include "daemon/mn_uplink_rules.hpp"

#include <fmt/format.h>

#include "core/mn/uplink_selector.hpp"

namespace pmipx::daemon {
namespace {

bool bit(const wire::Ipv6Address& a, unsigned i) { return ((a.octets[i / 8] >> (7 - i % 8)) & 1) != 0; }

std::optional<io::PortRange> ports(const std::optional<wire::Bound<std::uint16_t>>& b, const char* field,
                                   std::vector<std::string>& caveats, std::string& why) {
  if (!b) return std::nullopt;
  std::uint16_t start = b->start, end = b->last();
  if (start == 0 && end == 0xffff) return std::nullopt;  // every port: nothing to match
  // The kernel refuses 0 and 65535 in a rule's port range (fib_rule_port_range_valid).
  if (end == 0 || start == 0xffff) {
    why = fmt::format("{} port {} alone cannot be matched by a kernel rule", field, start);
    return std::nullopt;
  }
  if (start == 0) start = 1;  // port 0 carries no traffic: 1.. means the same
  if (end == 0xffff) {
    end = 0xfffe;
    caveats.push_back(fmt::format("{} port 65535 is left out (a kernel rule cannot match it)", field));
  }
  return io::PortRange{start, end};
}

std::optional<wire::Ipv6Prefix> address(const std::optional<wire::Bound<wire::Ipv6Address>>& b, const char* field,
                                        std::string& why) {
  if (!b) return std::nullopt;
  auto p = as_prefix(*b);
  if (!p) {
    why = fmt::format("{} range {}-{} is not one prefix (a kernel rule matches a prefix)", field,
                      b->start.to_string(), b->last().to_string());
    return std::nullopt;
  }
  if (p->length == 0) return std::nullopt;  // every address
  return p;
}

}  // namespace

std::optional<wire::Ipv6Prefix> as_prefix(const wire::Bound<wire::Ipv6Address>& range) {
  const wire::Ipv6Address& first = range.start;
  const wire::Ipv6Address& last = range.last();
  unsigned common = 0;
  while (common < 128 && bit(first, common) == bit(last, common)) ++common;
  // A prefix of length `common`: the first address ends in zeros, the last in ones.
  for (unsigned i = common; i < 128; ++i) {
    if (bit(first, i) || !bit(last, i)) return std::nullopt;
  }
  return wire::Ipv6Prefix{first, static_cast<std::uint8_t>(common)};
}

std::variant<UplinkKernelRule, std::string> to_kernel_rule(const wire::TrafficSelector& selector,
                                                           std::uint16_t priority, unsigned ifindex) {
  if (auto why = core::check_selector(selector)) return *why;
  const auto* ts = std::get_if<wire::Ipv6TrafficSelector>(&selector);
  if (!ts) return std::string("only IPv6 selectors apply: the MN steers IPv6 packets");
  if (priority > kMnMaxUplinkPriority) {
    return fmt::format("priority {} is above {}: the kernel rule would follow the source-address rules", priority,
                       kMnMaxUplinkPriority);
  }
  if (ts->spi) return std::string("an SPI cannot be matched by a kernel rule");
  if (ts->flow_label) return std::string("a flow label cannot be matched by a kernel rule");

  UplinkKernelRule out;
  io::PolicyRule& r = out.rule;
  r.table = kMnTableBase + ifindex;
  r.priority = kMnUplinkPriorityBase + priority;
  std::string why;
  r.source = address(ts->src, "source", why);
  if (!why.empty()) return why;
  r.destination = address(ts->dst, "destination", why);
  if (!why.empty()) return why;
  r.sport = ports(ts->src_port, "source", out.caveats, why);
  if (!why.empty()) return why;
  r.dport = ports(ts->dst_port, "destination", out.caveats, why);
  if (!why.empty()) return why;
  if (ts->next_header) {
    const unsigned first = ts->next_header->start, last = ts->next_header->last();
    if (first != last) return fmt::format("next header range {}-{}: a kernel rule matches one protocol", first, last);
    if (first == 0) return std::string("next header 0 cannot be matched (0 is a kernel rule's \"any protocol\")");
    r.ip_proto = static_cast<std::uint8_t>(first);
  }
  if (ts->traffic_class) {
    // The engines compare the DSCP (upper 6 bits); a kernel rule matches one DSCP.
    const unsigned first = static_cast<unsigned>(ts->traffic_class->start) >> 2,
                   last = static_cast<unsigned>(ts->traffic_class->last()) >> 2;
    if (first != last) return fmt::format("traffic class range covers DSCPs {}-{}: a kernel rule matches one", first, last);
    if (first == 0) return std::string("DSCP 0 cannot be matched (tos 0 is a kernel rule's \"any\")");
    r.tos = static_cast<std::uint8_t>(first << 2);
  }
  return out;
}

bool is_uplink_rule(const io::PolicyRule& rule) {
  return rule.priority >= kMnUplinkPriorityBase && rule.priority < kMnSourceRulePriority &&
         rule.table > kMnTableBase;
}

}  // namespace pmipx::daemon
