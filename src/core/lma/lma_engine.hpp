// The LMA protocol engine (RFC 5213 §5, PROTOCOL.md §7), sans I/O: messages and timeouts in,
// transmissions, data-plane operations and events out. The caller passes `now` to every
// call, then drains poll_transmit / poll_dataplane / poll_event and sleeps until
// poll_timeout.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "core/action.hpp"
#include "core/lma/binding_cache.hpp"
#include "core/lma/flow_mobility_cache.hpp"
#include "core/lma/policy_store.hpp"
#include "core/time.hpp"
#include "core/timer_queue.hpp"
#include "wire/codec.hpp"

namespace pmipx::core {

struct LmaConfig {
  wire::Ipv6Address address;  // LMAA
  // Domain-wide (RFC 5213 §9.3): timestamps (default) or sequence numbers. In a timestamp
  // domain a PBU without a Timestamp option is answered with 156.
  bool timestamps = true;
  bool mn_generated_timestamps = false;  // skips the validity-window check
  Duration timestamp_window = milliseconds(300);
  Duration min_delay_before_bce_delete = seconds(10);
  Duration max_delay_before_new_bce_assign = milliseconds(1500);
  // HI 4 with one existing entry: wait for the old MAG's de-registration (RFC 5213 §5.4.1 SHOULD)
  // or create the new session at once.
  bool wait_on_unknown_handoff = true;
  std::uint32_t max_lifetime_s = 3600;  // granted lifetime never exceeds this nor the request
  // RFC 6543 fixed MAG link-local address; when unset the LMA generates one per entry.
  std::optional<wire::Ipv6Address> fixed_mag_link_local;
  std::uint32_t restart_counter = 0;  // RFC 5847, persisted by the daemon
  // RFC 7077 §6.2: first UPN sequence number (random, from the daemon), replay delay and count.
  std::uint16_t upn_initial_sequence = 0;
  Duration upn_retransmit_delay = milliseconds(1000);
  std::uint32_t upn_max_retransmissions = 2;
  bool fmi_flow_information = true;  // seed 001 §3.4: FID options with traffic selectors in FMIs
  bool multipath = true;  // seed 004 / RFC 8278 support; false: MMB and MAG-ID are ignored
  // Flows per MN: the kernel data plane checks at most this many rules per MN
  // (PMIPX_DP_MAX_RULES_PER_OWNER); a flow beyond it is refused, not half installed.
  std::size_t max_flows_per_mn = 32;
  wire::CodecConfig codec;
};

// Forwarding-plane changes the LMA asks for. Tunnels are reference counted here: TunnelAdd
// comes with the first entry using a proxy-CoA, TunnelRemove after the last.
namespace lma_op {
struct TunnelAdd { wire::Ipv6Address proxy_coa; };
struct TunnelRemove { wire::Ipv6Address proxy_coa; };
struct RouteAdd { wire::Ipv6Prefix prefix; EntryId entry; std::uint16_t bid; wire::Ipv6Address proxy_coa; };
struct RouteRemove { wire::Ipv6Prefix prefix; EntryId entry; };
struct EntryBlock { EntryId entry; };  // de-registered, awaiting deletion: drop its traffic
// The MN's flow `fid`: packets matching `selector` go to `entries` (or are dropped). No
// live entry left: the rule is removed while the flow stays in the cache, inactive.
struct FlowRuleSet {
  MnId mn;
  std::uint16_t fid;
  std::uint16_t priority;
  wire::TrafficSelector selector;
  std::vector<EntryId> entries;
  FlowAction action;
};
struct FlowRuleRemove { MnId mn; std::uint16_t fid; };
// Seed 003: downlink for the MN's primary HoA goes to `targets` (the active entries with the
// highest IFP; several share the load per flow). A target that is not the primary entry gets
// the packet with its destination prefix replaced by `prefix` (interface identifier kept) and
// a type 2 routing header holding the original destination. `mn_prefixes` are every prefix
// of the MN: uplink packets from one of them may carry a primary HoA option naming another.
struct PrimaryHoaSet {
  MnId mn;
  wire::Ipv6Prefix primary_prefix;
  EntryId primary_entry = 0;
  struct Target {
    EntryId entry;
    wire::Ipv6Address proxy_coa;
    wire::Ipv6Prefix prefix;
    bool rewrite;
    bool operator==(const Target&) const = default;
  };
  std::vector<Target> targets;
  std::vector<wire::Ipv6Prefix> mn_prefixes;
  bool operator==(const PrimaryHoaSet&) const = default;
};
struct PrimaryHoaRemove { MnId mn; };
// Seed 004: the MN's prefixes are reached through several tunnels to one MAG; spread
// downlink traffic over `paths` as `distribution` says, label rules first.
struct MultipathSet {
  MnId mn;
  std::vector<wire::Ipv6Prefix> prefixes;
  std::vector<EntryId> entries;   // parallel to paths
  std::vector<TunnelPath> paths;
  Distribution distribution = Distribution::kPerFlow;
  std::vector<ResolvedRule> rules;
  bool operator==(const MultipathSet&) const = default;
};
struct MultipathRemove { MnId mn; };
}  // namespace lma_op
using LmaDataplaneOp = std::variant<lma_op::TunnelAdd, lma_op::TunnelRemove, lma_op::RouteAdd,
                                    lma_op::RouteRemove, lma_op::EntryBlock, lma_op::FlowRuleSet,
                                    lma_op::FlowRuleRemove, lma_op::PrimaryHoaSet, lma_op::PrimaryHoaRemove,
                                    lma_op::MultipathSet, lma_op::MultipathRemove>;

struct LmaCounters {
  std::uint64_t pbu_received = 0;
  std::uint64_t pba_accepted = 0;
  std::uint64_t pba_rejected = 0;
  std::uint64_t pbu_ignored = 0;
  std::uint64_t duplicates = 0;  // accepted PBU seen again: answered, nothing changed
  std::uint64_t malformed = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t binding_errors_sent = 0;
  std::uint64_t heartbeats_answered = 0;
  std::uint64_t expired = 0;
  std::uint64_t flow_moves = 0;          // applied (with or without signaling)
  std::uint64_t flow_moves_failed = 0;   // FMA failure or no FMA
  std::uint64_t fmi_sent = 0;
  std::uint64_t fmi_retransmitted = 0;
  std::uint64_t muho_updates_sent = 0;
  std::uint64_t flow_info_updates_sent = 0;  // seed 001 §3.4: FMIs that only refresh a MAG's flow list
  std::uint64_t multipath_bulk_refreshes = 0;  // RFC 8278 B flag honored
  std::uint64_t multipath_overwrites = 0;      // RFC 8278 O flag: other bindings replaced
  std::map<std::uint8_t, std::uint64_t> rejects_by_status;
};

class LmaEngine {
 public:
  LmaEngine(LmaConfig config, PolicyStore policy);

  // A Mobility Header as received (checksum already verified by the socket). Malformed input
  // is counted and dropped; an unknown MH type is answered with Binding Error status 2.
  void handle_datagram(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                       wire::ByteView mh);
  void handle_message(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                      const wire::Message& message);
  void handle_timeout(const Now& now);

  // Operator commands (flow mobility, seed 001). Each returns the reason when refused, and
  // then changes nothing. When the target MAG must learn an off-link prefix, an FMI goes out
  // and the change applies on its FMA (status 0); a failure or silence rolls it back and is
  // reported as an event.
  std::optional<std::string> set_flow(const Now& now, const MnId& mn, const FlowEntry& flow);
  std::optional<std::string> move_flow(const Now& now, const MnId& mn, std::uint16_t fid, std::uint16_t bid);
  std::optional<std::string> remove_flow(const MnId& mn, std::uint16_t fid);
  bool flow_move_pending(const MnId& mn) const;
  // A policy reload: new MAG authorizations and MN profiles, the pool kept. Existing bindings
  // stay until their next PBU, which is checked against the new policy (RFC 5213 §5.3.1).
  void reload_policy(const std::vector<wire::Ipv6Address>& mags, std::vector<MnProfile> mns);

  std::optional<Instant> poll_timeout() const;
  std::optional<Transmit> poll_transmit() { return take_front(transmits_); }
  std::optional<LmaDataplaneOp> poll_dataplane() { return take_front(dataplane_); }
  std::optional<Event> poll_event() { return take_front(events_); }

  const BindingCache& bindings() const { return cache_; }
  const FlowMobilityCache& flows() const { return flows_; }
  const PolicyStore& policy() const { return policy_; }
  const LmaCounters& counters() const { return counters_; }
  const LmaConfig& config() const { return config_; }

 private:
  enum class TimerKind : std::uint8_t { kDelete, kPendingNew, kFmiRetransmit };
  struct TimerKey {
    TimerKind kind;
    std::uint64_t id;
    auto operator<=>(const TimerKey&) const = default;
  };
  // An HI 4 request waiting for the old MAG's de-registration (RFC 5213 §5.4.1).
  struct PendingPbu {
    wire::Ipv6Address src, dst;
    wire::Message message;
    EntryId awaiting = 0;
  };
  // A flow change waiting for FMAs, one FMI per target entry whose MAG must learn prefixes.
  struct PendingMove {
    MnId mn;
    FlowEntry flow;
    struct Target {
      EntryId entry;
      std::vector<wire::Ipv6Prefix> off_link;  // complete list sent in the FMI
      wire::Message fmi;
      wire::Ipv6Address proxy_coa;
      bool acknowledged = false;
    };
    std::vector<Target> targets;
    std::uint32_t transmissions = 0;
  };
  struct PbuView;
  struct Decision;

  PbuView view_of(const wire::Ipv6Address& src, const wire::Ipv6Address& dst, const wire::Message& m) const;

  void on_pbu(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
              const wire::Message& m);
  void arm_lifetime(BindingCacheEntry& e);
  void cancel_lifetime(BindingCacheEntry& e);
  void refresh_downlink(const MnId& mn, const MnProfile* profile);
  void after_multipath_accept(const PbuView& v, EntryId id);
  void on_heartbeat(const wire::Ipv6Address& src, const wire::Ipv6Address& dst, const wire::Heartbeat& hb);
  Decision lookup(const PbuView& v) const;
  Decision lookup_multipath(const PbuView& v) const;
  void apply(const Now& now, const PbuView& v, const Decision& d);
  EntryId create_session(const Now& now, const PbuView& v, std::vector<wire::Ipv6Prefix> shared);
  void update_session(const Now& now, const PbuView& v, EntryId id);
  void deregister(const Now& now, const PbuView& v, EntryId id);
  void delete_entry(EntryId id, EventKind why);
  void grant(const Now& now, const PbuView& v, BindingCacheEntry& e);
  bool is_duplicate(const PbuView& v, const BindingCacheEntry& e) const;
  std::optional<std::uint8_t> check_ordering(const Now& now, const PbuView& v,
                                             const BindingCacheEntry* e) const;
  void send_pba(const Now& now, const PbuView& v, wire::BaStatus status, const BindingCacheEntry* e,
                std::optional<std::uint16_t> sequence_override = std::nullopt);
  void reject(const Now& now, const PbuView& v, wire::BaStatus status, const BindingCacheEntry* e = nullptr,
              std::optional<std::uint16_t> sequence_override = std::nullopt);
  void tunnel_ref(const wire::Ipv6Address& proxy_coa);
  void tunnel_unref(const wire::Ipv6Address& proxy_coa);
  void release_prefixes(const std::vector<wire::Ipv6Prefix>& prefixes);
  void event(EventKind kind, const MnId* mn, EntryId entry, std::uint32_t status, std::string detail);
  void flow_event(EventKind kind, const MnId& mn, EntryId entry, std::uint16_t fid, std::uint32_t status,
                  std::string detail);
  void resume_pending_for(const Now& now, EntryId deregistered);
  void on_upa(const wire::Ipv6Address& src, const wire::Message& m);
  std::vector<wire::Ipv6Prefix> other_prefixes(const BindingCacheEntry& e) const;
  void notify_muho_peers(const BindingCacheEntry& changed);
  void apply_flow(const MnId& mn, const FlowEntry& flow);
  void apply_attach_flows(const MnProfile& profile, BindingCacheEntry& e);
  std::vector<wire::Ipv6Prefix> known_off_link(const BindingCacheEntry& e) const;
  std::optional<std::string> flow_limit(const MnId& mn, std::uint16_t fid) const;
  void update_flow_information(const MnId& mn, const std::vector<std::uint16_t>& before,
                               const std::vector<std::uint16_t>& after, const std::set<EntryId>& informed);
  void add_flow_information(const MnId& mn, std::uint16_t bid, std::vector<wire::MobilityOption>& out,
                            const FlowEntry* replacing) const;
  void push_flow_rule(const MnId& mn, const FlowEntry& flow);
  void finish_move(std::uint64_t id, bool ok, std::uint32_t status, const std::string& why);
  std::optional<wire::Ipv6Prefix> flow_prefix(const MnId& mn, const FlowEntry& flow) const;

  LmaConfig config_;
  PolicyStore policy_;
  BindingCache cache_;
  TimerQueue<TimerKey> timers_;
  std::set<std::pair<Instant, EntryId>> lifetimes_;  // one per entry, armed lazily
  std::map<wire::Ipv6Address, std::size_t> tunnel_users_;
  std::map<std::uint64_t, PendingPbu> pending_;
  FlowMobilityCache flows_;
  std::map<std::uint64_t, PendingMove> moves_;  // keyed by UPN sequence number
  // What the data plane was last told per MN (seeds 003/004), so only changes go out.
  std::map<MnId, lma_op::PrimaryHoaSet> primary_hoa_;
  std::map<MnId, lma_op::MultipathSet> multipath_;
  std::uint16_t upn_sequence_ = 0;
  // UPNs sent without retransmission (MuHo updates, flow-list refreshes): their UPAs are
  // expected, not dropped; bounded, the oldest forgotten first.
  std::deque<std::pair<wire::Ipv6Address, std::uint16_t>> unconfirmed_upns_;
  void expect_upa(const wire::Ipv6Address& mag, std::uint16_t sequence);
  std::uint64_t next_pending_ = 1;
  std::deque<Transmit> transmits_;
  std::deque<LmaDataplaneOp> dataplane_;
  std::deque<Event> events_;
  LmaCounters counters_;
};

}  // namespace pmipx::core
