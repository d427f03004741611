// Daemon configuration: what a YAML file says, validated and turned into engine inputs.
// Loading never half-succeeds: any error throws ConfigError naming the file, the line and the
// key path ("lma.yaml:12: mns[1].prefixes[0]: not an IPv6 prefix: 2001:db8::/129").
// Unknown keys are errors too (a typo must not silently fall back to a default).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/lma/lma_engine.hpp"
#include "core/lma/policy_store.hpp"
#include "core/mag/mag_engine.hpp"
#include "core/mn/mn_agent.hpp"

namespace pmipx::daemon {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, int line, const std::string& key, const std::string& what);
  const std::string& file() const { return file_; }
  int line() const { return line_; }  // 1-based; 0 when the error is not tied to a line
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
};

// Shared by every role.
struct ApiConfig {
  std::string address = "127.0.0.1";  // local only unless the operator says otherwise
  std::uint16_t port = 0;              // 0: the role's default (lma 7780, mag 7781, mn 7782)
  bool enabled = true;
};
struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
  std::string file;            // empty: stderr
};

// The kernel data plane (tc eBPF, issue 5). Off: the daemon keeps and shows the forwarding
// state the engine asks for but forwards nothing.
struct DataplaneConfig {
  bool enabled = false;  // mode: bpf | none
  std::string pin_dir;   // a bpffs directory; pinned maps keep forwarding across restarts
  // Seed 003: destination option type of the primary HoA option (DESIGN.md: RFC 4727's
  // experimental 0x1E unless configured); the LMA and its MNs must agree.
  std::uint8_t hoa_option_type = 0x1E;
};

struct LmaDaemonConfig {
  core::LmaConfig engine;            // engine.address is the LMAA
  std::vector<wire::Ipv6Address> mags;  // authorized proxy-CoAs (RFC 5213 §5.3.1 step 5)
  std::optional<wire::Ipv6Prefix> pool;  // home network prefixes handed out
  std::uint8_t pool_delegated_length = 64;
  std::vector<core::MnProfile> mns;
  // An MN without a profile gets PBA 153 (NOT_LMA_FOR_THIS_MOBILE_NODE, RFC 5213 §5.3.1
  // step 7) unless this opt-in profile is set (`default_mn_profile`): then it applies to every
  // MN-ID without its own, with prefixes from the pool. For large or open deployments and the
  // binding-scale benchmark, where one YAML entry per MN is unworkable.
  std::optional<core::MnProfile> default_mn;
  DataplaneConfig dataplane;
  ApiConfig api;
  LogConfig log;
};

// An access link of the MAG (RFC 5213's point-to-point link to one MN interface).
struct AccessLinkConfig {
  std::string interface;  // kernel name in the MAG's namespace
  wire::AccessTech att = wire::AccessTech::kEthernet;
  std::string mn_id;      // the MN on this link when its link-layer address is not listed
};
// An MN the MAG may serve, found by the link-layer address of its RS.
struct MagMnConfig {
  core::MnId id;
  std::vector<std::string> link_layer;  // MAC addresses, "aa:bb:cc:dd:ee:ff", lower case
  bool muho = false;
  bool multipath = false;
  bool shared_prefixes = false;  // attach new interfaces with HI 6
};
// One WAN link: its interface, the proxy-CoA on it, its access technology and seed 004 label.
struct WanLinkConfig {
  std::string interface;
  core::WanLink link;
};

struct MagDaemonConfig {
  core::MagConfig engine;  // engine.lmaa, engine.proxy_coa (= wan_links[0] when given)
  std::vector<WanLinkConfig> wan_links;
  std::vector<AccessLinkConfig> access_links;
  std::vector<MagMnConfig> mns;
  std::uint32_t router_lifetime_s = 1800;   // RA router lifetime
  std::uint32_t ra_interval_s = 200;        // unsolicited RAs (RFC 4861 MaxRtrAdvInterval is 600)
  std::uint32_t prefix_valid_lifetime_s = 86400;
  std::uint32_t prefix_preferred_lifetime_s = 14400;
  // Advertised MTU. 0: automatic: with the data plane on, the smallest WAN link MTU - 40 (the
  // tunnel's outer header), so MN packets fit the tunnel unfragmented; without it, none.
  std::uint32_t mtu = 0;
  DataplaneConfig dataplane;
  ApiConfig api;
  LogConfig log;
};

struct MnInterfaceConfig {
  std::string interface;
  wire::AccessTech att = wire::AccessTech::kEthernet;
  std::uint8_t ifp = 0;
  bool primary = false;
  bool shared_prefixes = false;  // ask the MAG to attach it with HI 6
  std::optional<std::string> label;  // RFC 8278 §4.1 operator label (RED, BLUE, ...)
};

// An uplink rule as configured: interfaces by name (ifindexes are known only at run time).
struct MnRuleConfig {
  std::uint32_t id = 0;
  std::uint16_t priority = 0;
  wire::TrafficSelector selector;
  std::string interface;            // either this
  std::vector<std::string> labels;  // or this, preference order
};

struct MnDaemonConfig {
  core::MnId id;
  core::MnAgentConfig agent;
  std::vector<MnInterfaceConfig> interfaces;
  std::vector<MnRuleConfig> rules;
  std::uint32_t rs_interval_ms = 4000;  // RFC 4861 RTR_SOLICITATION_INTERVAL
  DataplaneConfig dataplane;  // seed 003: the primary-HoA tc programs (with primary_hoa)
  ApiConfig api;
  LogConfig log;
};

LmaDaemonConfig load_lma_config(const std::string& path);
MagDaemonConfig load_mag_config(const std::string& path);
MnDaemonConfig load_mn_config(const std::string& path);

// From a string, for tests; `name` stands for the file in messages.
LmaDaemonConfig parse_lma_config(const std::string& yaml, const std::string& name);
MagDaemonConfig parse_mag_config(const std::string& yaml, const std::string& name);
MnDaemonConfig parse_mn_config(const std::string& yaml, const std::string& name);

// One traffic selector in the configuration's form (YAML or JSON, which is YAML), for the
// management API's flow operations: {dst: 2001:db8::/64, dst_ports: 80, protocol: tcp}.
wire::TrafficSelector parse_selector(const std::string& text, const std::string& name);

}  // namespace pmipx::daemon
