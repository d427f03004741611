// The tc eBPF data plane as a C++ object, the ForwardingPlane the daemons run on: loads the
// programs of bpf/tunnel.bpf.c (libbpf skeleton), pins and reuses their maps under a bpffs
// directory, attaches `encap` to clsact egress and `decap` to clsact ingress, and writes the
// maps through typed methods.
//
// Lifetime: destroying the object closes its file descriptors but detaches nothing and unpins
// nothing: the attached programs and the pinned maps keep forwarding while the daemon
// restarts. A new object with the same pin directory reuses the maps (state included) and
// attach_*() replaces the running program in place. detach_all() is the explicit teardown.
//
// Every method throws std::system_error (errno + "pmipx dataplane: <op> <map>: <detail>") on
// failure, and std::invalid_argument for arguments the maps cannot hold. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dp_abi.hpp"
#include "dataplane/forwarding_plane.hpp"
#include "wire/address.hpp"
#include "wire/traffic_selector.hpp"

struct pmipx_tunnel;  // the bpftool skeleton (generated into the build directory)

namespace pmipx::dataplane {

enum class Mode : std::uint32_t { kLma = PMIPX_DP_MODE_LMA, kMag = PMIPX_DP_MODE_MAG };
enum class Distribution : std::uint32_t { kPerFlow = PMIPX_DP_DIST_PER_FLOW, kPerPacket = PMIPX_DP_DIST_PER_PACKET };
enum class RuleAction : std::uint16_t { kForward = PMIPX_DP_ACTION_FORWARD, kDrop = PMIPX_DP_ACTION_DROP };
enum class Program { kEncap, kDecap };

// A tunnel, or a weighted group of tunnels (group wins when both are set).
struct Target {
  std::uint32_t tunnel_id = 0;
  std::uint32_t group_id = 0;
  static Target tunnel(std::uint32_t id) { return {id, 0}; }
  static Target group(std::uint32_t id) { return {0, id}; }
};

struct Tunnel {
  std::uint32_t id = 0;  // 1 .. PMIPX_DP_MAX_TUNNELS-1
  wire::Ipv6Address local, remote;
  std::uint32_t ifindex = 0;  // egress link; 0: wherever the route sent the packet
  std::uint8_t hop_limit = 0;  // 0: 64
};

struct GroupMember {
  std::uint32_t tunnel_id = 0;
  std::uint32_t weight = 1;  // 0 .. 65535
};

struct TunnelGroup {
  std::uint32_t id = 0;  // non-zero
  Distribution distribution = Distribution::kPerFlow;
  std::vector<GroupMember> members;  // 1 .. PMIPX_DP_GROUP_MAX_MEMBERS
};

struct PrefixRoute {
  wire::Ipv6Prefix prefix;  // LMA: MN prefix (inner destination); MAG: inner source
  std::uint32_t owner = 0;  // MN index: whose flow rules apply
  Target target;            // when no rule matches
  bool drop = false;        // drop everything of this prefix
  // LMA, seed 003: the MN's primary prefix. Its downlink is rewritten per tunnel (see
  // set_hoa_rewrite), and an uplink primary HoA option may name only an address in it (the
  // packet's source must be in a prefix of the same owner).
  bool primary_hoa = false;
};

// One flow mobility cache entry. The selector is written CN -> MN (RFC 6088); MAG mode
// evaluates it swapped.
struct FlowRule {
  std::uint32_t id = 0;  // stable (FID): counters follow it across reorders
  std::uint16_t priority = 0;  // lower first, unique per owner
  wire::Ipv6TrafficSelector selector;
  RuleAction action = RuleAction::kForward;
  Target target;
};

struct PacketCounters {
  std::uint64_t packets = 0, bytes = 0;
};

struct TunnelCounters {
  std::uint64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0;
};

const char* stat_name(pmipx_dp_stat s);

class BpfForwarding : public ForwardingPlane {
 public:
  struct Options {
    std::string pin_dir;  // a directory on a bpffs (created if missing); empty: no pinning
  };

  // Opens and loads the programs (verifier included), reusing pinned maps when present.
  explicit BpfForwarding(const Options& options);
  ~BpfForwarding() override;
  BpfForwarding(const BpfForwarding&) = delete;
  BpfForwarding& operator=(const BpfForwarding&) = delete;

  // Struct sizes of the ABI as the BPF object's BTF records them and as this C++ build sees
  // them ("pmipx_dp_rule: BPF 112, C++ 108"): empty when both sides agree. Needs no privilege.
  static std::vector<std::string> abi_mismatches();

  bool reused_pinned_maps() const override { return reused_; }
  int program_fd(Program p) const;

  // clsact egress (encap) / ingress (decap) of `ifindex`; replaces a program pmipx attached
  // before (same handle and priority). detach_all() removes every attachment made through
  // this object and leaves the clsact qdisc (other filters may use it).
  void attach_encap(int ifindex) override;
  void attach_decap(int ifindex) override;
  void detach_all() override;

  void set_mode(Mode mode) override;
  Mode mode() const;

  void add_tunnel(const Tunnel& t) override;  // replaces a tunnel with the same id; zeroes counters of a new one
  void remove_tunnel(std::uint32_t id) override;
  void set_group(const TunnelGroup& g) override;
  void remove_group(std::uint32_t id) override;
  void add_prefix(const PrefixRoute& r) override;  // replaces the same prefix
  void remove_prefix(const wire::Ipv6Prefix& prefix) override;

  // Inserts or replaces (same id) a rule and rewrites the owner's ordered list atomically.
  void set_flow_rule(std::uint32_t owner, const FlowRule& rule) override;
  void remove_flow_rule(std::uint32_t owner, std::uint32_t rule_id) override;
  void clear_flow_rules(std::uint32_t owner) override;
  std::vector<pmipx_dp_rule> flow_rules(std::uint32_t owner) const;  // as installed, in order

  void add_local_endpoint(const wire::Ipv6Address& a) override;
  void remove_local_endpoint(const wire::Ipv6Address& a) override;
  void add_peer(const wire::Ipv6Address& a, std::uint32_t tunnel_id) override;
  void remove_peer(const wire::Ipv6Address& a) override;

  // Seed 003 primary HoA, LMA mode. A packet of a primary_hoa prefix of `owner` that leaves
  // through `tunnel_id` (after any group pick) is sent to its destination with the first
  // rewrite_to.length bits replaced by rewrite_to (interface identifier kept), with a type 2
  // routing header holding the original destination. Replaces the owner's rewrite for that
  // tunnel. The MN's route MTU must leave room for the 24 octets as well as the tunnel's 40.
  void set_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id, const wire::Ipv6Prefix& rewrite_to) override;
  void remove_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id) override;
  // Destination option type of the primary HoA option on uplink (0: the default 0x1E).
  void set_hoa_option_type(std::uint8_t type) override;
  std::uint8_t hoa_option_type() const;  // as the programs use it (0x1E when unset)

  TunnelCounters tunnel_counters(std::uint32_t tunnel_id) const override;
  PacketCounters rule_counters(std::uint32_t owner, std::uint32_t rule_id) const override;
  Stats stats() const override;

  // Invalidates every flow cache entry (the maps' generation moves on). Every change above
  // does it already.
  void flush_flow_cache();

 private:
  struct Attachment {
    int ifindex;
    bool egress;
  };
  int map_fd(const char* name) const;
  void attach(int ifindex, bool egress);
  void write_rules(std::uint32_t owner, std::vector<pmipx_dp_rule> rules);
  pmipx_dp_config config() const;
  void put_config(const pmipx_dp_config& c);

  pmipx_tunnel* skel_ = nullptr;
  bool reused_ = false;
  std::vector<Attachment> attachments_;
};

}  // namespace pmipx::dataplane
