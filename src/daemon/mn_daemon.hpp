// pmipx mn: the mobile-node agent on a host with several interfaces. It solicits routers
// with its interface preferences (seed 003, the pmipx RS option), learns prefixes from RAs,
// installs addresses and default routes itself (the kernel's own RA processing is turned off
// on managed interfaces, so one place decides), and reports through the management API.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/mn/mn_agent.hpp"
#include "daemon/api_server.hpp"
#include "daemon/config.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/metrics.hpp"
#include "dataplane/mn_hoa_plane.hpp"
#include "io/netlink.hpp"
#include "io/raw_socket.hpp"
#include "wire/nd_message.hpp"

namespace pmipx::daemon {

class MnDaemon {
 public:
  MnDaemon(MnDaemonConfig config, std::string config_path);
  ~MnDaemon();
  int run();

 private:
  struct Interface {
    MnInterfaceConfig config;
    unsigned ifindex = 0;
    wire::MacAddress48 mac{};
    bool running = false;
    bool up_in_agent = false;
    bool router_heard = false;  // an RA arrived since the interface came up
    bool primary_pending = false;  // configured primary, P not yet given to the agent
    unsigned solicitations = 0;
    std::uint32_t ipv6_mtu = 0;  // as set from an RA; 0: the link's
  };

  // An uplink rule as the daemon last applied it (rule id -> this).
  struct UplinkRuleState {
    std::uint16_t priority = 0;
    wire::TrafficSelector selector;
    unsigned ifindex = 0;
    bool fallback = false;
    std::optional<io::PolicyRule> kernel;  // the translation; none: refused
    bool installed = false;                 // the kernel took `kernel`
    std::string error;                      // why not installed
    std::vector<std::string> caveats;
  };

  void on_router_advertisement();
  void on_link_events();
  void on_timer();
  void on_rs_timer(bool solicit_now);
  void install_rule(const MnRuleConfig& rule);
  void set_ipv6_mtu(Interface& i, std::uint32_t mtu);
  void bring_up(Interface& i);
  void bring_down(Interface& i);
  void solicit(Interface& i);
  void drain();
  void apply(const core::MnDataplaneOp& op);
  void set_uplink_rule(const core::mn_op::UplinkRuleSet& o);
  void remove_uplink_rule(std::uint32_t id);
  void clear_uplink_rules(bool leftovers_only);
  void set_primary_hoa_egress(const core::mn_op::PrimaryHoaEgressSet& o);
  void remove_primary_hoa_egress(unsigned ifindex);
  void sync_primary_hoa_route();
  void give_pending_primary();

  struct PrimaryHoaRoute {
    wire::Ipv6Address hoa;
    unsigned iface = 0;
    wire::Ipv6Address router;
    unsigned mtu = 0;
    bool operator==(const PrimaryHoaRoute&) const = default;
  };
  Interface* by_ifindex(unsigned ifindex);
  Interface& iface_arg(const Json& body);
  void register_api();
  Json interfaces_json() const;
  Json rules_json();
  std::string iface_name(unsigned ifindex) const;

  MnDaemonConfig config_;
  std::string config_path_;
  std::shared_ptr<spdlog::logger> log_;
  EventLoop loop_;
  Metrics metrics_{"pmipx_mn_"};
  core::MnAgent agent_;
  io::RawSocket nd_;
  io::Netlink netlink_;
  io::LinkMonitor links_monitor_;
  EngineTimer timer_;
  asio::steady_timer rs_timer_;
  ApiServer api_;
  std::map<unsigned, Interface> ifaces_;  // by ifindex
  std::map<std::uint32_t, UplinkRuleState> uplink_rules_;  // by rule id
  // Seed 003: the tc programs (dataplane.mode bpf with primary_hoa), the router and IPv6
  // MTU behind each interface (for the primary HoA's egress table) and the primary HoA each
  // non-primary interface currently sends for.
  std::unique_ptr<dataplane::MnHoaPlane> hoa_;
  std::map<unsigned, wire::Ipv6Address> routers_;
  std::map<unsigned, wire::Ipv6Address> hoa_egress_;
  std::optional<core::InterfaceIdentifier> shared_iid_;  // primary_hoa: one IID everywhere
  std::optional<wire::Ipv6Address> primary_hoa_;  // as the agent's routing-header policy names it
  std::optional<unsigned> uplink_;                // the agent's default uplink
  std::optional<PrimaryHoaRoute> hoa_route_;      // installed
  static constexpr unsigned kKeepAliveSolicitations = 15;  // x rs_interval_ms (60 s by default)
  unsigned rs_rounds_ = 0;
};

}  // namespace pmipx::daemon
