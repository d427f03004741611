// The kernel routing the daemons' forwarding edges change: routes towards tunnels (with their
// MTU), source rules into per-tunnel tables, and the lookups that place a tunnel on a link.
// Netlink is the real one; tests hand the edges a recording fake. Failures come back as text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wire/address.hpp"

namespace pmipx::io {

struct Route {
  wire::Ipv6Prefix destination;
  unsigned oif = 0;
  std::optional<wire::Ipv6Address> gateway;
  std::uint32_t metric = 1024;
  std::uint32_t table = 254;  // RT_TABLE_MAIN
  std::uint32_t mtu = 0;      // 0: the link's; tunnels set link MTU - 40 (no fragments inside)
};

// A source-address policy rule: packets from `source` are routed with `table`.
struct SourceRule {
  wire::Ipv6Prefix source;
  std::uint32_t table = 0;
  std::uint32_t priority = 0;
};

// What the kernel would do with a packet to `destination`.
struct RouteLookup {
  unsigned oif = 0;
  std::optional<wire::Ipv6Address> gateway;
};

class RoutingControl {
 public:
  virtual ~RoutingControl() = default;
  virtual std::optional<std::string> route_replace(const Route& r) = 0;  // installing twice: no error
  virtual std::optional<std::string> route_delete(const Route& r) = 0;   // a missing route: no error
  virtual std::optional<std::string> rule_add(const SourceRule& r) = 0;     // an identical rule: no error
  virtual std::optional<std::string> rule_delete(const SourceRule& r) = 0;  // a missing rule: no error
  // The egress interface and next hop towards `destination`; nullopt: no route.
  virtual std::optional<RouteLookup> route_get(const wire::Ipv6Address& destination,
                                               const std::optional<wire::Ipv6Address>& source) = 0;
  virtual unsigned link_mtu(unsigned ifindex) const = 0;  // 0 when unknown
};

}  // namespace pmipx::io
