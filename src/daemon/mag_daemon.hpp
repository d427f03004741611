// pmipx mag: the MAG engine with its access links (RS in, RAs out, routes to the MN, link
// events) and its raw Mobility Header socket towards the LMA, plus the management API.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/mag/mag_engine.hpp"
#include "daemon/api_server.hpp"
#include "daemon/config.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/mag_forwarding.hpp"
#include "daemon/metrics.hpp"
#include "daemon/signaling.hpp"
#include "io/netlink.hpp"
#include "io/raw_socket.hpp"
#include "wire/nd_message.hpp"

namespace pmipx::daemon {

class MagDaemon {
 public:
  MagDaemon(MagDaemonConfig config, std::string config_path);
  ~MagDaemon();
  int run();

 private:
  // One access link: a point-to-point link to one MN interface (RFC 5213 §6.2).
  struct AccessLink {
    core::LinkId id = 0;
    AccessLinkConfig config;
    unsigned ifindex = 0;
    bool running = false;
    // The MN attached here, from its RS.
    std::optional<core::MnId> mn;
    std::optional<wire::MacAddress48> mac;
    bool mac_known = false;  // the MAC is in the `mns` table (not the link's fallback MN)
    std::optional<core::Instant> last_attach;
    wire::Ipv6Address mn_address;  // RS source (link-local), the RA's destination
    std::optional<wire::InterfacePreference> preference;
    // What the RA says now and what it said before (withdrawn prefixes go out with lifetime 0).
    std::optional<core::mag_op::RouterAdvertisement> ra;
    std::set<wire::Ipv6Prefix> advertised;
    std::set<wire::Ipv6Address> local_addresses;  // router link-locals we installed
  };

  void on_signaling();
  void on_router_solicitation();
  void on_link_events();
  void on_timer();
  void on_ra_timer();
  void drain();
  void apply(const core::MagDataplaneOp& op);
  void send_ra(AccessLink& link, bool multicast = false);
  bool ensure_router_address(AccessLink& link, const wire::Ipv6Address& a);
  void attach(AccessLink& link, const core::MnId& mn, std::optional<wire::HandoffIndicator> hi = std::nullopt);
  void detach(AccessLink& link, const char* why);
  AccessLink* link_by_ifindex(unsigned ifindex);
  AccessLink* link_by_name(const std::string& name);
  AccessLink& link_arg(const Json& body);
  const MagMnConfig* mn_config(const core::MnId& id) const;
  void register_api();
  Json bindings_json() const;
  Json links_json() const;
  Json counters_json() const;
  std::string metrics_text();

  MagDaemonConfig config_;
  std::string config_path_;
  std::shared_ptr<spdlog::logger> log_;
  EventLoop loop_;
  Metrics metrics_{"pmipx_mag_"};
  core::MagEngine engine_;
  Signaling signaling_;
  io::RawSocket nd_;
  io::Netlink netlink_;
  io::LinkMonitor links_monitor_;
  EngineTimer timer_;
  asio::steady_timer ra_timer_;
  ApiServer api_;
  std::map<core::LinkId, AccessLink> links_;
  std::map<std::string, bool> wan_running_;
  std::set<wire::Ipv6Address> tunnels_;  // (proxy-CoA) until the data plane executes them
  std::map<core::LinkId, core::mag_op::MultipathSet> multipath_;
  std::unique_ptr<MagForwarding> forwarding_;  // null: data plane off (mode none)
};

}  // namespace pmipx::daemon
