// Executes the MAG engine's forwarding operations on this host: tunnels to the LMA over the
// WAN links (tc eBPF decapsulates on their ingress and encapsulates on their egress), and for
// every MN prefix a source rule that sends the MN's uplink packets into a routing table whose
// default route leads to the LMA with MTU - 40; the encap program picks the tunnel by the
// packet's source prefix (DESIGN.md, Data flows). Downlink needs nothing more: decapsulated
// packets follow the kernel route the MAG installs for the prefix on the access link. Data
// plane and routing come in as interfaces so the translation can be tested without root.
#pragma once

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/mag/mag_engine.hpp"
#include "dataplane/bpf_forwarding.hpp"
#include "dataplane/forwarding_plane.hpp"
#include "io/routing_control.hpp"

namespace pmipx::daemon {

class MagForwarding {
 public:
  // Puts `plane` in MAG mode with the configured proxy-CoAs as its tunnel endpoints.
  MagForwarding(const core::MagConfig& config, std::unique_ptr<dataplane::ForwardingPlane> plane,
                io::RoutingControl& routing, std::shared_ptr<spdlog::logger> log);
  std::optional<std::string> apply(const core::MagDataplaneOp& op);
  nlohmann::ordered_json state() const;

 private:
  struct Tunnel {
    std::uint32_t id = 0;
    wire::Ipv6Address lmaa;
    unsigned oif = 0;
    std::uint32_t table = 0;
  };
  std::optional<std::string> add_tunnel(const wire::Ipv6Address& lmaa, const wire::Ipv6Address& coa);
  std::optional<std::string> remove_tunnel(const wire::Ipv6Address& coa);
  std::optional<std::string> set_multipath(const core::mag_op::MultipathSet& o);
  std::optional<std::string> remove_multipath(core::LinkId link);
  dataplane::Target uplink_target(core::LinkId link) const;
  std::uint32_t uplink_table(core::LinkId link) const;
  std::optional<std::string> repoint_uplink(core::LinkId link);

  // Seed 004: the MN on `link` sends over a weighted group of WAN tunnels; label rules are
  // flow rules of the link (selectors turned to the network's orientation) on their paths.
  struct Multipath {
    std::uint32_t group = 0;
    std::map<std::uint32_t, std::uint32_t> rules;  // rule id -> its group (0: one tunnel)
    wire::Ipv6Address first_path;  // its table carries the MN's uplink to the encap program
  };

  wire::Ipv6Address primary_coa_;  // path 0: where single-path MNs are registered
  io::RoutingControl& routing_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<dataplane::ForwardingPlane> plane_;
  std::map<wire::Ipv6Address, Tunnel> tunnels_;  // by proxy-CoA
  std::uint32_t next_tunnel_ = 1;
  std::map<std::pair<core::LinkId, wire::Ipv6Prefix>, std::uint32_t> uplink_;  // -> table
  std::map<core::LinkId, Multipath> multipath_;
  std::uint32_t next_group_ = 1;
  std::set<unsigned> attached_;
};

}  // namespace pmipx::daemon
