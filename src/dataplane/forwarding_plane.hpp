// What the daemons' forwarding edges ask of a data plane: tunnels per BID/proxy-CoA, weighted
// tunnel groups (per flow or per packet), prefix routes, ordered flow rules per owner, the
// local endpoints and peers that decapsulation trusts, the seed 003 primary-HoA rewrites, and
// counters. BpfForwarding (tc eBPF) is the real one; tests hand the edges a recording fake.
//
// The value types (Tunnel, PrefixRoute, FlowRule, ...) are declared in bpf_forwarding.hpp,
// which includes this header; they are only named here, so include bpf_forwarding.hpp to use
// them. Errors are exceptions, as BpfForwarding documents; the edges turn them into text.
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/dp_abi.hpp"
#include "wire/address.hpp"

namespace pmipx::dataplane {

enum class Mode : std::uint32_t;
struct Tunnel;
struct TunnelGroup;
struct PrefixRoute;
struct FlowRule;
struct PacketCounters;
struct TunnelCounters;
using Stats = std::array<std::uint64_t, PMIPX_DP_STAT_MAX>;

class ForwardingPlane {
 public:
  virtual ~ForwardingPlane() = default;

  // True when the state of an earlier run was found and kept (pinned maps).
  virtual bool reused_pinned_maps() const = 0;

  // Encapsulate on egress of / decapsulate on ingress of `ifindex`; detach_all undoes every
  // attachment made through this object.
  virtual void attach_encap(int ifindex) = 0;
  virtual void attach_decap(int ifindex) = 0;
  virtual void detach_all() = 0;

  virtual void set_mode(Mode mode) = 0;

  virtual void add_tunnel(const Tunnel& t) = 0;  // same id: replaced
  virtual void remove_tunnel(std::uint32_t id) = 0;
  virtual void set_group(const TunnelGroup& g) = 0;  // same id: replaced
  virtual void remove_group(std::uint32_t id) = 0;
  virtual void add_prefix(const PrefixRoute& r) = 0;  // same prefix: replaced
  virtual void remove_prefix(const wire::Ipv6Prefix& prefix) = 0;

  // The owner's rules stay ordered by priority; same id: replaced.
  virtual void set_flow_rule(std::uint32_t owner, const FlowRule& rule) = 0;
  virtual void remove_flow_rule(std::uint32_t owner, std::uint32_t rule_id) = 0;
  virtual void clear_flow_rules(std::uint32_t owner) = 0;

  virtual void add_local_endpoint(const wire::Ipv6Address& a) = 0;
  virtual void remove_local_endpoint(const wire::Ipv6Address& a) = 0;
  virtual void add_peer(const wire::Ipv6Address& a, std::uint32_t tunnel_id) = 0;
  virtual void remove_peer(const wire::Ipv6Address& a) = 0;

  // Seed 003, LMA: the owner's primary-HoA prefix leaving through `tunnel_id` gets its
  // destination prefix replaced by `rewrite_to` and a type 2 routing header.
  virtual void set_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id, const wire::Ipv6Prefix& rewrite_to) = 0;
  virtual void remove_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id) = 0;
  virtual void set_hoa_option_type(std::uint8_t type) = 0;  // 0: the default 0x1E

  virtual TunnelCounters tunnel_counters(std::uint32_t tunnel_id) const = 0;
  virtual PacketCounters rule_counters(std::uint32_t owner, std::uint32_t rule_id) const = 0;
  virtual Stats stats() const = 0;
};

}  // namespace pmipx::dataplane
