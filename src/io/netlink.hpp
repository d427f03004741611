// rtnetlink through libmnl: the routes and addresses the daemons install, and link events
// (an MN's access link losing carrier is its detachment). Requests are synchronous and
// acknowledged; failures come back as text so the daemon can log and count them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/routing_control.hpp"
#include "wire/address.hpp"

struct mnl_socket;

namespace pmipx::io {

// An inclusive port range; the kernel refuses 0 and 65535 in a rule (FRA_*PORT_RANGE).
struct PortRange {
  std::uint16_t start = 0;
  std::uint16_t end = 0;
  bool operator==(const PortRange&) const = default;
};

// A general IPv6 policy rule leading to `table`: every selector field is optional and an
// absent one matches every packet (`ip -6 rule add from S to D ipproto P sport A-B dport C-D
// tos T lookup TABLE pref PRIORITY`).
struct PolicyRule {
  std::optional<wire::Ipv6Prefix> source;
  std::optional<wire::Ipv6Prefix> destination;
  std::optional<std::uint8_t> ip_proto;  // FRA_IP_PROTO; 0 means "any" to the kernel
  std::optional<PortRange> sport, dport;
  std::uint8_t tos = 0;  // the traffic class octet, DSCP << 2 (ECN bits 0); 0: any
  std::uint32_t table = 0;
  std::uint32_t priority = 0;
  bool operator==(const PolicyRule&) const = default;
};

// `ip rule` style text: "pref 110 from all to 2001:db8::/64 ipproto 17 dport 5001 lookup 2003".
std::string describe(const PolicyRule& r);

class Netlink : public RoutingControl {
 public:
  Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;
  ~Netlink() override;

  // Add or replace (NLM_F_REPLACE): installing a route twice is not an error.
  std::optional<std::string> route_replace(const Route& r) override;
  // Removing a route that is not there is not an error either.
  std::optional<std::string> route_delete(const Route& r) override;
  std::optional<std::string> address_add(unsigned ifindex, const wire::Ipv6Prefix& address, bool nodad = true);
  std::optional<std::string> address_delete(unsigned ifindex, const wire::Ipv6Prefix& address);
  std::optional<std::string> rule_add(const SourceRule& r) override;     // an identical rule: not an error
  std::optional<std::string> rule_delete(const SourceRule& r) override;  // a missing rule: not an error
  std::optional<std::string> rule_add(const PolicyRule& r);     // an identical rule: not an error
  std::optional<std::string> rule_delete(const PolicyRule& r);  // a missing rule: not an error
  // The kernel's IPv6 rules that lead to a table (RTM_GETRULE dump); nullopt: the dump failed.
  std::optional<std::vector<PolicyRule>> rule_list();
  // RTM_GETROUTE: the egress interface and next hop towards `destination`; nullopt: no route.
  std::optional<RouteLookup> route_get(const wire::Ipv6Address& destination,
                                       const std::optional<wire::Ipv6Address>& source = std::nullopt) override;
  unsigned link_mtu(unsigned ifindex) const override;  // io::link_mtu

 private:
  std::optional<std::string> request(void* buffer, const char* what);
  mnl_socket* nl_ = nullptr;
  std::uint32_t seq_ = 1;
};

struct LinkEvent {
  unsigned ifindex = 0;
  std::string name;
  bool running = false;  // IFF_RUNNING: up with carrier
  bool removed = false;
};

// Subscribed to RTNLGRP_LINK; the event loop waits on fd() and calls read().
class LinkMonitor {
 public:
  LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;
  ~LinkMonitor();
  int fd() const;
  std::vector<LinkEvent> read();
  // True once after events were lost (ENOBUFS): re-read every interface with link_state().
  bool take_overrun();

 private:
  mnl_socket* nl_ = nullptr;
  bool overrun_ = false;
};

// The current state of one interface (ifindex 0 when absent).
LinkEvent link_state(const std::string& name);
// The interface's MTU (0 when unknown).
unsigned link_mtu(unsigned ifindex);

}  // namespace pmipx::io
