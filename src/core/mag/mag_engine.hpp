// The MAG protocol engine (RFC 5213 §6, PROTOCOL.md §8), sans I/O: attachments, detachments,
// messages and timeouts in; PBUs, forwarding and router-advertisement changes, events out.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <optional>
#include <variant>

#include "core/action.hpp"
#include "core/mag/binding_update_list.hpp"
#include "core/multipath_policy.hpp"
#include "core/time.hpp"
#include "core/timer_queue.hpp"
#include "wire/codec.hpp"

namespace pmipx::core {

// One WAN link of the MAG (seed 004): its address is a proxy-CoA; label and If-ATT travel in
// the MAG Multipath Binding option.
struct WanLink {
  wire::Ipv6Address proxy_coa;
  wire::AccessTech att = wire::AccessTech::kEthernet;
  std::uint8_t label = 0;
};

struct MagConfig {
  wire::Ipv6Address proxy_coa;  // egress address: source of PBUs (when wan_links is empty)
  wire::Ipv6Address lmaa;
  std::uint32_t requested_lifetime_s = 3600;
  bool timestamps = true;  // domain-wide, as at the LMA
  Duration initial_bindack_timeout = seconds(1);  // RFC 6275 INITIAL_BINDACK_TIMEOUT
  Duration max_bindack_timeout = seconds(32);     // MAX_BINDACK_TIMEOUT
  // After this many unanswered PBUs an event is raised; retries go on every
  // max_bindack_timeout while the MN stays attached (RFC 5213 §6.9.4 allows it).
  std::uint32_t report_after_transmissions = 7;
  // Refresh when this share of the granted lifetime has passed (PROTOCOL.md §6.2: 80-90 %).
  unsigned refresh_percent = 80;
  // RFC 6543: when set, every MAG uses this link-local address and no LLA option is sent.
  std::optional<wire::Ipv6Address> fixed_link_local;
  // Seed 004: several WAN links. Empty: one path from proxy_coa. A single-path MN registers
  // over the first; a multipath MN over each one that is up (RFC 8278 §3.1).
  std::vector<WanLink> wan_links;
  std::string mag_id;  // MAG Identifier (NAI); required for multipath
  MultipathPolicy multipath;
  wire::CodecConfig codec;
};

// An MN interface appeared on an access link (RS, link event, or configuration).
struct Attachment {
  LinkId link = 0;
  MnId mn_id;
  wire::Bytes mn_ll_id;  // empty when unknown
  wire::AccessTech att = wire::AccessTech::kEthernet;
  wire::HandoffIndicator hi = wire::HandoffIndicator::kNewInterface;
  std::vector<wire::Ipv6Prefix> prefixes;  // HNPs to request; empty: let the LMA assign
  std::uint8_t ifp = 0;
  bool primary = false;
  bool muho = false;  // the MN is multihoming-capable (seed 002): request its other prefixes
  bool multipath = false;  // register it over every WAN link (seed 004)
};

namespace mag_op {
// The tunnel between one of our proxy-CoAs and the LMA, added with its first user.
struct TunnelAdd { wire::Ipv6Address lmaa; wire::Ipv6Address proxy_coa; };
struct TunnelRemove { wire::Ipv6Address lmaa; wire::Ipv6Address proxy_coa; };
// Route a prefix to the MN on `link`; `advertise` puts it in the RA (on-link HNP).
struct RouteAdd { LinkId link; wire::Ipv6Prefix prefix; bool advertise; };
struct RouteRemove { LinkId link; wire::Ipv6Prefix prefix; };
// What the RA on `link` should carry now (empty prefixes: stop advertising).
struct RouterAdvertisement {
  LinkId link;
  wire::Ipv6Address router_link_local;
  std::vector<wire::Ipv6Prefix> prefixes;
  std::uint32_t lifetime_s;
};
// Seed 004: uplink from the MN on `link` is spread over `paths` (label rules first).
struct MultipathSet {
  LinkId link;
  std::vector<TunnelPath> paths;
  Distribution distribution = Distribution::kPerFlow;
  std::vector<ResolvedRule> rules;
  bool operator==(const MultipathSet&) const = default;
};
struct MultipathRemove { LinkId link; };
}  // namespace mag_op
using MagDataplaneOp = std::variant<mag_op::TunnelAdd, mag_op::TunnelRemove, mag_op::RouteAdd,
                                    mag_op::RouteRemove, mag_op::RouterAdvertisement, mag_op::MultipathSet,
                                    mag_op::MultipathRemove>;

struct MagCounters {
  std::uint64_t pbu_sent = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t pba_accepted = 0;
  std::uint64_t pba_rejected = 0;
  std::uint64_t pba_ignored = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t unanswered = 0;
  std::uint64_t fmi_received = 0;
  std::uint64_t fma_failures_sent = 0;
  std::uint64_t multipath_refused = 0;   // PBA 180 or an LMA that ignored the option
  std::uint64_t path_failovers = 0;      // WAN link down: its paths de-registered elsewhere
};

class MagEngine {
 public:
  explicit MagEngine(MagConfig config);

  void attach(const Now& now, const Attachment& a);
  void detach(const Now& now, LinkId link);
  void handle_datagram(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                       wire::ByteView mh);
  void handle_message(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                      const wire::Message& message);
  void handle_timeout(const Now& now);

  // Seed 003 §6.2: the MN's handover indication changes an interface's IFP or P; a PBU
  // carries the new values to the LMA. Returns the reason when refused.
  std::optional<std::string> update_priority(const Now& now, LinkId link, std::uint8_t ifp, bool primary);
  // Seed 004: a WAN link went down or came back. Paths over a dead link are de-registered
  // through a live one and their flows fail over; a returning link is registered again.
  std::optional<std::string> wan_link_down(const Now& now, PathIndex path);
  std::optional<std::string> wan_link_up(const Now& now, PathIndex path);

  std::optional<Instant> poll_timeout() const { return timers_.next(); }
  std::optional<Transmit> poll_transmit() { return take_front(transmits_); }
  std::optional<MagDataplaneOp> poll_dataplane() { return take_front(dataplane_); }
  std::optional<Event> poll_event() { return take_front(events_); }

  const BindingUpdateList& bindings() const { return bul_; }
  const MagCounters& counters() const { return counters_; }
  const MagConfig& config() const { return config_; }

 private:
  enum class TimerKind : std::uint8_t { kRetransmit, kRefresh, kExpire };
  struct TimerKey {
    TimerKind kind;
    LinkId link;
    PathIndex path;
    auto operator<=>(const TimerKey&) const = default;
  };
  static TimerKey key(TimerKind kind, const BindingUpdateListEntry& e) { return {kind, e.link, e.path}; }

  void send_pbu(const Now& now, BindingUpdateListEntry& e, wire::HandoffIndicator hi, bool deregistration,
                bool retransmission);
  void on_pba(const Now& now, const wire::Message& m);
  void on_upn(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst, const wire::Message& m);
  void registered(const Now& now, BindingUpdateListEntry& e, const wire::Message& m);
  void remove(BindingUpdateListEntry& e, EventKind why, const std::string& detail);
  void withdraw(BindingUpdateListEntry& e);
  void release_access(BindingUpdateListEntry& e);
  void release_path(BindingUpdateListEntry& e);
  void deregistered(BindingUpdateListEntry& e, const std::string& detail);
  void start_path(const Now& now, const BindingUpdateListEntry& anchor, PathIndex path);
  void publish_paths(LinkId link);
  WanLink wan(PathIndex path) const;
  static wire::HandoffIndicator reregistration_hi(wire::HandoffIndicator attach_hi);
  std::size_t wan_count() const { return config_.wan_links.empty() ? 1 : config_.wan_links.size(); }
  void set_muho_prefixes(BindingUpdateListEntry& e, const wire::Message& m);
  std::vector<wire::Ipv6Prefix> set_off_link(BindingUpdateListEntry& e, const wire::Message& m);
  void event(EventKind kind, const BindingUpdateListEntry* e, std::uint32_t status, std::string detail);

  MagConfig config_;
  BindingUpdateList bul_;
  TimerQueue<TimerKey> timers_;
  std::uint16_t sequence_ = 0;  // per-MAG counter (RFC 5213 §6.9.1.1 with timestamps)
  std::map<wire::Ipv6Address, std::size_t> tunnel_users_;  // per proxy-CoA
  std::vector<bool> wan_up_;
  std::map<LinkId, mag_op::MultipathSet> multipath_;  // last published per access link
  std::deque<Transmit> transmits_;
  std::deque<MagDataplaneOp> dataplane_;
  std::deque<Event> events_;
  MagCounters counters_;
};

}  // namespace pmipx::core
