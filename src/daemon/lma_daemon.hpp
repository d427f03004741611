// pmipx lma: the LMA engine on a raw Mobility Header socket, with its management API.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/lma/lma_engine.hpp"
#include "daemon/api_server.hpp"
#include "daemon/config.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/lma_forwarding.hpp"
#include "io/netlink.hpp"
#include "daemon/metrics.hpp"
#include "daemon/signaling.hpp"

namespace pmipx::daemon {

class LmaDaemon {
 public:
  LmaDaemon(LmaDaemonConfig config, std::string config_path);
  ~LmaDaemon();
  int run();  // until SIGINT/SIGTERM; the exit status

 private:
  void on_readable();
  void on_timer();
  void drain();
  void apply(const core::LmaDataplaneOp& op);
  void register_api();
  Json bindings_json() const;
  Json flows_json() const;
  Json counters_json() const;
  std::string metrics_text();
  core::MnId mn_arg(const Json& body) const;

  LmaDaemonConfig config_;
  std::string config_path_;
  std::shared_ptr<spdlog::logger> log_;
  EventLoop loop_;
  Metrics metrics_{"pmipx_lma_"};
  core::LmaEngine engine_;
  Signaling signaling_;
  EngineTimer timer_;
  ApiServer api_;
  io::Netlink netlink_;
  std::unique_ptr<LmaForwarding> forwarding_;  // null: data plane off (mode none)
  // The forwarding state the engine asked for. Until the data plane (issue 5) executes it,
  // the daemon keeps and shows it, so the API tells what forwarding will be.
  std::set<wire::Ipv6Address> tunnels_;
  std::map<std::pair<wire::Ipv6Prefix, core::EntryId>, core::lma_op::RouteAdd> routes_;
  std::map<std::pair<core::MnId, std::uint16_t>, core::lma_op::FlowRuleSet> flow_rules_;
  struct LastMove {
    bool ok = false;
    std::uint32_t status = 0;  // FMA status of a failure (0: no FMA, or not signaled)
    std::string detail;
  };
  std::map<std::pair<std::string, std::uint16_t>, LastMove> last_move_;  // (MN, FID)
  std::set<core::EntryId> blocked_;
};

}  // namespace pmipx::daemon
