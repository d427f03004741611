// Executes the LMA engine's forwarding operations on this host: a kernel route per MN prefix
// towards the MAG's link (MTU - 40, so the kernel answers Packet Too Big before the tunnel
// would fragment), and the data plane that encapsulates downlink packets (per prefix, per
// flow rule) and decapsulates uplink ones from registered proxy-CoAs (DESIGN.md, Data flows).
// Both come in as interfaces so the translation can be tested without root.
#pragma once

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/lma/binding_cache.hpp"
#include "core/lma/lma_engine.hpp"
#include "dataplane/bpf_forwarding.hpp"
#include "dataplane/forwarding_plane.hpp"
#include "io/routing_control.hpp"

namespace pmipx::daemon {

class LmaForwarding {
 public:
  // Puts `plane` in LMA mode with `lmaa` as its tunnel endpoint.
  LmaForwarding(const wire::Ipv6Address& lmaa, std::uint8_t hoa_option_type,
                std::unique_ptr<dataplane::ForwardingPlane> plane, io::RoutingControl& routing,
                std::shared_ptr<spdlog::logger> log);
  // Returns an error text when the kernel refused part of it (logged and counted by the caller).
  std::optional<std::string> apply(const core::LmaDataplaneOp& op, const core::BindingCache& cache);
  nlohmann::ordered_json state() const;
  // Packets and bytes the kernel matched to flow `fid` of `mn` (zeros when not installed).
  dataplane::PacketCounters flow_counters(const core::MnId& mn, std::uint16_t fid) const;
  void detach_all() { plane_->detach_all(); }

 private:
  struct Tunnel {
    std::uint32_t id = 0;
    unsigned oif = 0;
    unsigned mtu = 0;
  };
  struct PrefixEntry {
    core::EntryId entry = 0;
    wire::Ipv6Address proxy_coa;
    bool blocked = false;  // de-registered, awaiting deletion (RFC 5213 §5.3.5)
  };
  struct PrefixUse {
    std::vector<PrefixEntry> entries;  // the first unblocked one is the default
  };
  // Seed 004: the MN's prefixes go to a weighted group of its paths' tunnels; label rules
  // are flow rules of the MN (ids above every FID) whose targets are the matching paths.
  struct Multipath {
    std::uint32_t group = 0;
    std::vector<wire::Ipv6Prefix> prefixes;
    std::map<std::uint32_t, std::uint32_t> rules;  // rule id -> its group (0: a single tunnel)
    unsigned mtu = 0;  // smallest path MTU
  };
  // Seed 003: the MN's primary prefix goes to the highest-IFP entries' tunnels; those whose
  // interface is not the primary one rewrite the destination and add a type 2 routing header.
  struct PrimaryHoa {
    wire::Ipv6Prefix prefix;
    std::vector<std::uint32_t> tunnels;                // targets, in the plan's order
    std::map<std::uint32_t, wire::Ipv6Prefix> rewrites;  // tunnel -> prefix written into the destination
    std::uint32_t group = 0;                           // several targets: shared per flow
    unsigned mtu = 0;
  };
  std::optional<std::string> add_tunnel(const wire::Ipv6Address& coa);
  std::optional<std::string> remove_tunnel(const wire::Ipv6Address& coa);
  std::optional<std::string> program_prefix(const wire::Ipv6Prefix& prefix, const core::MnId& mn);
  std::optional<std::string> set_multipath(const core::lma_op::MultipathSet& o);
  std::optional<std::string> remove_multipath(const core::MnId& mn);
  std::optional<std::string> set_primary_hoa(const core::lma_op::PrimaryHoaSet& o);
  std::optional<std::string> remove_primary_hoa(const core::MnId& mn);
  std::optional<std::string> block_entry(core::EntryId entry, const core::BindingCache& cache);
  std::uint32_t owner_of(const core::MnId& mn);
  std::uint32_t new_group_id();
  dataplane::Target target_for(const core::MnId& mn, std::uint16_t fid, const std::vector<core::EntryId>& entries,
                               const core::BindingCache& cache);

  wire::Ipv6Address lmaa_;
  io::RoutingControl& routing_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<dataplane::ForwardingPlane> plane_;
  std::map<wire::Ipv6Address, Tunnel> tunnels_;
  std::uint32_t next_tunnel_ = 1;
  std::map<core::MnId, std::uint32_t> owners_;
  std::uint32_t next_owner_ = 1;
  std::map<std::pair<std::uint32_t, std::uint16_t>, std::uint32_t> groups_;  // (owner, fid) -> group
  std::uint32_t next_group_ = 1;
  std::map<wire::Ipv6Prefix, PrefixUse> prefixes_;
  std::map<core::MnId, Multipath> multipath_;
  std::map<core::MnId, PrimaryHoa> primary_;
  std::set<unsigned> attached_;
};

}  // namespace pmipx::daemon
