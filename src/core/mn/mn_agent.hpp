// The mobile-node agent, sans I/O: interface up/down, router advertisements, uplink rules and
// interface priorities in (each with `now`); address, route, uplink-rule and primary-HoA
// data-plane ops, handover indications for the MAGs, and events out. It decides rules and
// never matches packets: the kernel (policy routing, tc) applies what poll_dataplane says.
//
// Every call first does what handle_timeout(now) would, so state never lags a late timer;
// then a command is validated in full. A refused command returns the reason, counts, raises
// kCommandRejected and changes nothing. After each accepted input the agent recomputes what
// the data plane should hold and emits only the differences, in a safe order: addresses, then
// default routes, uplink selection and primary-HoA rules, then route and address removals.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/action.hpp"
#include "core/mn/interface_identifier.hpp"
#include "core/mn/mn_event.hpp"
#include "core/mn/uplink_rule.hpp"
#include "core/time.hpp"
#include "core/timer_queue.hpp"
#include "wire/address.hpp"
#include "wire/codepoints.hpp"

namespace pmipx::core {

// How the MN shows its home addresses. The seeds leave to the host which one it implements
// (seed 001 §3.2.1, §6), so it is configured, not guessed from the prefixes.
enum class Addressing : std::uint8_t {
  // Seed 002 §4.1 weak host: one address per interface and advertised prefix (a prefix two
  // interfaces share gives pref::if1 and pref::if2, seed 001 §3.2.1), each accepted on every
  // interface (the Linux default for IPv6).
  kPerInterface,
  // Seed 001 §3.2.1 logical interface: ONE address per prefix, on the logical interface,
  // valid on every physical interface and kept while any of them advertises the prefix.
  kLogical,
};

struct MnAgentConfig {
  Addressing addressing = Addressing::kPerInterface;
  // IID of the logical interface's addresses; unset: the IID of the first interface that
  // comes up, kept for the agent's lifetime so addresses never change.
  std::optional<InterfaceIdentifier> logical_iid;
  bool primary_hoa = false;  // seed 003 scheme: IFP/P indications, primary HoA option, RH2
  // Default-route metrics: the best interface gets the base, the next base + 1, and so on.
  std::uint32_t route_metric_base = 1024;
};

struct InterfaceInfo {
  IfaceId id = 0;  // ifindex; 0 is the logical interface
  std::string name;
  wire::AccessTech att = wire::AccessTech::kEthernet;
  std::optional<IfaceLabel> label;      // operator label (RFC 8278 §4.1)
  std::optional<MacAddress> link_layer;  // IID source when `iid` is unset
  std::optional<InterfaceIdentifier> iid;
  std::uint8_t ifp = 0;  // seed 003 §3 interface priority, higher wins
};

inline constexpr std::uint32_t kInfiniteLifetime = 0xffffffff;  // RFC 4861 §4.6.2

struct PrefixInfo {
  wire::Ipv6Prefix prefix;
  std::uint32_t valid_lifetime_s = 0;
  bool autonomous = true;  // A flag
};

struct ReceivedRouterAdvertisement {
  IfaceId iface = 0;
  wire::Ipv6Address router;  // link-local source of the RA
  std::uint16_t router_lifetime_s = 0;  // 0: not a default router
  std::vector<PrefixInfo> prefixes;
};

namespace mn_op {
// `iface` kLogicalInterface: the logical interface (Addressing::kLogical).
struct AddressAdd {
  IfaceId iface;
  wire::Ipv6Prefix address;  // the address with its prefix length
  bool operator==(const AddressAdd&) const = default;
};
struct AddressRemove {
  IfaceId iface;
  wire::Ipv6Prefix address;
  bool operator==(const AddressRemove&) const = default;
};
// Add or replace the default route on `iface`; the lowest metric is the default uplink.
struct DefaultRoute {
  IfaceId iface;
  wire::Ipv6Address router;
  std::uint32_t metric;
  bool operator==(const DefaultRoute&) const = default;
};
struct DefaultRouteRemove {
  IfaceId iface;
  bool operator==(const DefaultRouteRemove&) const = default;
};
// Where packets no rule matches leave (none: no usable interface). Also expressed by the
// route metrics; given explicitly for the logical interface's steering.
struct DefaultUplink {
  std::optional<IfaceId> iface;
  bool operator==(const DefaultUplink&) const = default;
};
// Add or replace rule `rule`: packets matching `selector` (MN -> CN, as written) leave
// through `iface`. `fallback`: none of the rule's own targets is usable, this is the default
// uplink standing in.
struct UplinkRuleSet {
  std::uint32_t rule;
  std::uint16_t priority;
  wire::TrafficSelector selector;
  IfaceId iface;
  bool fallback;
  bool operator==(const UplinkRuleSet&) const = default;
};
struct UplinkRuleRemove {
  std::uint32_t rule;
  bool operator==(const UplinkRuleRemove&) const = default;
};
// Seed 003 §4.2 with the DESIGN.md correction: on egress of `iface` (not the primary HoA's
// interface), a packet whose source is `primary_hoa` leaves with source `interface_hoa` and a
// Destination Options header carrying `primary_hoa` (its checksum stays computed over the
// primary HoA, as with the MIPv6 Home Address option); the LMA restores the source. Packets
// sourced from `interface_hoa` itself are untouched: they are that address's own traffic.
struct PrimaryHoaEgressSet {
  IfaceId iface;
  wire::Ipv6Address primary_hoa;
  wire::Ipv6Address interface_hoa;
  bool operator==(const PrimaryHoaEgressSet&) const = default;
};
struct PrimaryHoaEgressRemove {
  IfaceId iface;
  bool operator==(const PrimaryHoaEgressRemove&) const = default;
};
// Seed 003 §4.1, PROTOCOL.md §11.2: honor a type 2 routing header (swap it with the
// destination) only when it carries `primary_hoa` and the destination is one of
// `destinations` (the MN's own HoAs). The data plane drops and counts every other RH2 packet;
// with no primary HoA it honors none.
struct RoutingHeaderPolicy {
  std::optional<wire::Ipv6Address> primary_hoa;
  std::vector<wire::Ipv6Address> destinations;  // sorted
  bool operator==(const RoutingHeaderPolicy&) const = default;
};
}  // namespace mn_op
using MnDataplaneOp =
    std::variant<mn_op::AddressAdd, mn_op::AddressRemove, mn_op::DefaultRoute, mn_op::DefaultRouteRemove,
                 mn_op::DefaultUplink, mn_op::UplinkRuleSet, mn_op::UplinkRuleRemove, mn_op::PrimaryHoaEgressSet,
                 mn_op::PrimaryHoaEgressRemove, mn_op::RoutingHeaderPolicy>;

// Seed 003 §6.2 "HI": the IFP/P settings of `iface`, for the MAG that serves it (the draft
// leaves the format open; here a local message the caller delivers). Sent when an interface
// comes up and whenever its IFP or P changes, with the primary-HoA scheme enabled.
struct HandoverIndication {
  IfaceId iface;
  std::uint8_t ifp;
  bool primary;
  bool operator==(const HandoverIndication&) const = default;
};

struct MnCounters {
  std::uint64_t ras_received = 0;
  std::uint64_t prefixes_ignored = 0;
  std::uint64_t prefixes_expired = 0;
  std::uint64_t routers_expired = 0;
  std::uint64_t addresses_added = 0;
  std::uint64_t addresses_removed = 0;
  std::uint64_t address_conflicts = 0;
  std::uint64_t default_uplink_changes = 0;
  std::uint64_t rule_updates = 0;      // UplinkRuleSet ops
  std::uint64_t rule_suspensions = 0;  // a rule lost every usable interface
  std::uint64_t handover_indications = 0;
  std::uint64_t commands_rejected = 0;
};

struct MnAddress {
  IfaceId iface;
  wire::Ipv6Prefix address;
  bool operator==(const MnAddress&) const = default;
};

struct RuleResolution {
  std::optional<IfaceId> iface;  // none: suspended
  bool fallback = false;
  bool operator==(const RuleResolution&) const = default;
};

class MnAgent {
 public:
  explicit MnAgent(MnAgentConfig config);

  // Refused: id 0, blank name, already up, a name another up interface has, no IID source.
  std::optional<std::string> interface_up(const Now& now, const InterfaceInfo& info);
  // Everything learned on the interface goes: its router, prefixes and the addresses made
  // from them; rules using it move on.
  std::optional<std::string> interface_down(const Now& now, IfaceId id);
  // RFC 4861/4862 processing trimmed to a point-to-point PMIPv6 access link, where the MAG
  // is the only router: the last RA's router replaces the previous one; a prefix absent from
  // an RA keeps its lifetime; valid lifetime 0 removes the prefix at once (no two-hour rule:
  // the MAG withdraws prefixes, seed 001 §3.2.2). Prefixes unusable for SLAAC (A = 0,
  // link-local, multicast, not /64) are ignored and counted; the rest of the RA applies.
  std::optional<std::string> handle_router_advertisement(const Now& now, const ReceivedRouterAdvertisement& ra);
  // Adds or replaces rule `rule.id`. Resolution: an interface target is used while usable
  // (up with a default router); a label target takes the best usable interface of the first
  // label that has one. Otherwise the rule falls back to the default uplink (kept installed
  // so lower-priority rules cannot capture its packets); with no usable interface at all it
  // is suspended (removed from the kernel) until one comes back.
  std::optional<std::string> set_rule(const Now& now, UplinkRule rule);
  std::optional<std::string> remove_rule(const Now& now, std::uint32_t id);
  // New IFP and optionally P for an up interface (seed 003 §6.2). P = true moves the primary
  // HoA to this interface's HoA (per-interface addressing) or the P flag to this interface
  // (logical addressing, it must advertise the primary HoA's prefix); P = false is refused
  // on the primary interface (give P to another one). P needs the scheme enabled.
  std::optional<std::string> set_priority(const Now& now, IfaceId id, std::uint8_t ifp,
                                          std::optional<bool> primary = std::nullopt);
  void handle_timeout(const Now& now);

  std::optional<Instant> poll_timeout() const { return timers_.next(); }
  std::optional<HandoverIndication> poll_transmit() { return take_front(transmits_); }
  std::optional<MnDataplaneOp> poll_dataplane() { return take_front(dataplane_); }
  std::optional<MnEvent> poll_event() { return take_front(events_); }

  // Installed addresses, first configured first.
  std::vector<MnAddress> addresses() const;
  std::optional<IfaceId> default_uplink() const { return default_uplink_; }
  std::optional<wire::Ipv6Address> primary_hoa() const { return primary_hoa_; }
  std::optional<IfaceId> primary_interface() const { return primary_iface_; }
  std::optional<RuleResolution> resolution(std::uint32_t rule) const;  // none: unknown rule
  // The RH2 rule of RoutingHeaderPolicy, for tests and a user-space fallback path.
  bool honors_routing_header(const wire::Ipv6Address& destination, const wire::Ipv6Address& home) const;
  const UplinkRuleTable& rules() const { return rules_; }
  const MnCounters& counters() const { return counters_; }
  const MnAgentConfig& config() const { return config_; }

 private:
  enum class TimerKind : std::uint8_t { kRouter, kPrefix };
  struct TimerKey {
    TimerKind kind;
    IfaceId iface;
    wire::Ipv6Prefix prefix;  // kPrefix only
    auto operator<=>(const TimerKey&) const = default;
  };
  struct Prefix {
    std::uint64_t learned = 0;  // order of first advertisement
  };
  struct Interface {
    InterfaceInfo info;
    bool up = false;
    std::uint8_t ifp = 0;
    InterfaceIdentifier iid;
    std::optional<wire::Ipv6Address> router;
    std::map<wire::Ipv6Prefix, Prefix> prefixes;
    std::optional<HandoverIndication> indicated;  // what its MAG last heard
  };
  using AddressKey = std::pair<IfaceId, wire::Ipv6Address>;
  struct Installed {
    std::uint8_t length = 0;
    std::uint64_t order = 0;  // configuration order: the first is the primary HoA candidate
  };

  void catch_up(const Now& now);
  std::optional<std::string> reject(const std::string& op, std::string why, IfaceId iface = 0,
                                    std::uint32_t rule = 0);
  void accept_prefix(const Now& now, Interface& i, const PrefixInfo& p);
  void forget_learned(Interface& i);
  void reconcile();
  void reconcile_addresses(std::vector<MnDataplaneOp>& adds, std::vector<MnDataplaneOp>& removes);
  void choose_primary();
  std::vector<IfaceId> ranked_usable() const;
  std::optional<RuleResolution> resolve(const UplinkRule& r, const std::vector<IfaceId>& ranked) const;
  void reconcile_rules(const std::vector<IfaceId>& ranked, std::vector<MnDataplaneOp>& ops);
  void reconcile_primary_hoa(std::vector<MnDataplaneOp>& ops);
  void indicate_priorities();
  std::optional<wire::Ipv6Address> interface_hoa(IfaceId id) const;
  bool advertises(const Interface& i, const wire::Ipv6Address& a) const;
  Interface* find(IfaceId id);
  std::string name_of(IfaceId id) const;
  void event(MnEventKind kind, IfaceId iface, std::uint32_t rule, std::string detail);

  MnAgentConfig config_;
  std::optional<InterfaceIdentifier> logical_iid_;
  std::map<IfaceId, Interface> ifaces_;
  UplinkRuleTable rules_;
  TimerQueue<TimerKey> timers_;
  std::uint64_t seq_ = 0;
  std::optional<wire::Ipv6Address> primary_hoa_;
  std::optional<wire::Ipv6Address> announced_primary_hoa_;
  std::optional<IfaceId> primary_iface_;
  std::optional<IfaceId> primary_pin_;  // logical addressing: the interface given P
  // What the data plane holds (the shadow every diff is taken against).
  std::map<AddressKey, Installed> addresses_;
  std::map<IfaceId, mn_op::DefaultRoute> routes_;
  std::optional<IfaceId> default_uplink_;
  std::map<std::uint32_t, mn_op::UplinkRuleSet> installed_rules_;
  std::set<std::uint32_t> suspended_;
  std::map<IfaceId, mn_op::PrimaryHoaEgressSet> egress_;
  mn_op::RoutingHeaderPolicy rh2_;  // starts empty: honor no RH2
  std::deque<HandoverIndication> transmits_;
  std::deque<MnDataplaneOp> dataplane_;
  std::deque<MnEvent> events_;
  MnCounters counters_;
};

}  // namespace pmipx::core
