// RFC 5846 Binding Revocation for PMIPv6 (PROTOCOL.md §3.5, §6.4, §9.2), sans I/O.
//
// Initiator: RevocationManager builds BRIs, retransmits them and matches BRAs. The LMA uses it
// to revoke one session, every session with a MAG, or a realm; a MAG can use it for a G=1
// bulk revocation of its own sessions. Each BRI ends in one RevocationResult: the BRA's status,
// or "timed out" after the last retransmission, when the caller cleans up anyway.
//
// Responder: respond_to_bri() is a pure function for the MAG: given a BRI and the bindings the
// MAG holds, it picks the BRA status, builds the BRA and names the bindings to remove.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/action.hpp"
#include "core/mn_id.hpp"
#include "core/time.hpp"
#include "core/timer_queue.hpp"
#include "wire/address.hpp"
#include "wire/message.hpp"

namespace pmipx::core {

// ---- What to revoke ------------------------------------------------------------------------

namespace bri {
// One proxy session (P=1, G=0): MN-ID and HNP options. With an IPv4 Home Address Request
// option only the MN's IPv4 home address binding goes (V=1).
struct Session {
  MnId mn;
  std::vector<wire::Ipv6Prefix> hnps;  // at least one: a single proxy BCE is named by its HNP
  wire::RevocationTrigger trigger = wire::RevocationTrigger::kAdministrative;  // per-MN: < 128
  std::optional<wire::Ipv4HomeAddressRequestOption> ipv4_home_address;
};
// Every session with the peer MAG: G=1, trigger 128 Per-Peer Policy and no options at all.
struct AllSessions {};
// Every session of one realm: G=1, trigger 129, MN-ID "@realm"; with `proxy_coa` only the
// sessions on that proxy-CoA (Alternate CoA option).
struct Realm {
  std::string realm;  // "example.com" (a leading '@' is accepted)
  std::optional<wire::Ipv6Address> proxy_coa;
};
// A MAG revoking its own sessions in bulk (G=1): the MN-ID option carries the MAG's identity.
struct MagBulk {
  MnId mag;
  wire::RevocationTrigger trigger = wire::RevocationTrigger::kPerPeerPolicy;  // 128 or 129
};
}  // namespace bri
using BriSpec = std::variant<bri::Session, bri::AllSessions, bri::Realm, bri::MagBulk>;

// Why a spec cannot be sent (per-MN trigger with G, no HNP, empty realm...), or nothing.
std::optional<std::string> validate(const BriSpec& spec);
// The BRI for a valid spec. P is always set: every revocation here is of proxy bindings.
wire::Message build_bri(const BriSpec& spec, std::uint16_t sequence);

// ---- Initiator -----------------------------------------------------------------------------

struct RevocationConfig {
  static constexpr Duration kMinInitialTimeout = milliseconds(500);  // InitMINDelayBRIs floor

  wire::Ipv6Address address;           // source of our BRIs
  std::uint16_t initial_sequence = 0;  // any value; random from the daemon (STYLE.md: seeds via config)
  Duration initial_timeout = seconds(1);  // InitMINDelayBRIs
  Duration max_timeout = seconds(2);      // MAX_BRACK_TIMEOUT
  std::uint32_t max_retries = 1;          // BRIMaxRetriesNumber
};

// The reason a configuration is refused, or nothing. The manager clamps instead.
std::optional<std::string> validate(const RevocationConfig& config);

// The end of one revocation, reported exactly once per BRI sent.
struct RevocationResult {
  enum class Outcome : std::uint8_t { kAcknowledged, kTimedOut };
  Outcome outcome = Outcome::kAcknowledged;
  wire::Ipv6Address peer;
  std::uint16_t sequence = 0;
  std::uint64_t tag = 0;  // the caller's, from revoke()
  BriSpec spec;
  std::optional<wire::RevocationStatus> status;  // the BRA's; none when timed out
  std::vector<wire::MobilityOption> bra_options;
  std::uint32_t transmissions = 0;

  // The peer removed the binding(s): status 0, or 1 for partial success.
  bool succeeded() const;
};

std::string describe(const RevocationResult& result);  // one log line

struct RevokeResult {
  std::optional<std::uint16_t> sequence;  // of the BRI sent
  std::string refused;                    // why nothing was sent
  explicit operator bool() const { return sequence.has_value(); }
};

struct RevocationCounters {
  std::uint64_t bri_sent = 0;
  std::uint64_t bri_retransmitted = 0;
  std::uint64_t refused = 0;
  std::uint64_t bra_received = 0;
  std::uint64_t bra_unmatched = 0;  // unknown sequence or wrong source: ignored
  std::uint64_t succeeded = 0;      // BRA status 0 or 1
  std::uint64_t failed = 0;         // BRA status >= 128 (or another unexpected value)
  std::uint64_t timed_out = 0;
};

class RevocationManager {
 public:
  // Timeouts below the floor or a max below the initial timeout are raised to fit.
  explicit RevocationManager(RevocationConfig config);

  // Sends the BRI for `spec` to `peer` (the binding's proxy-CoA, or the LMA for a MAG). `tag`
  // comes back in the result, e.g. the binding cache entry to clean up.
  RevokeResult revoke(const Now& now, const wire::Ipv6Address& peer, const BriSpec& spec,
                      std::uint64_t tag = 0);

  // A BRA matching an outstanding BRI by sequence number and source ends it. Returns
  // whether the message was a BRA (matched or not).
  bool handle_message(const Now& now, const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                      const wire::Message& message);
  // Retransmits the identical BRI, doubling the timeout up to max_timeout, at most
  // max_retries times; after the last timeout the result is kTimedOut (PROTOCOL.md §6.4).
  void handle_timeout(const Now& now);

  std::optional<Instant> poll_timeout() const { return timers_.next(); }
  std::optional<Transmit> poll_transmit() { return take_front(transmits_); }
  std::optional<RevocationResult> poll_event() { return take_front(events_); }

  bool outstanding(std::uint16_t sequence) const { return outstanding_.contains(sequence); }
  std::size_t outstanding_count() const { return outstanding_.size(); }
  const RevocationCounters& counters() const { return counters_; }
  const RevocationConfig& config() const { return config_; }

 private:
  struct Outstanding {
    wire::Ipv6Address peer;
    BriSpec spec;
    std::uint64_t tag = 0;
    wire::Message bri;
    Duration timeout{};
    std::uint32_t transmissions = 0;
  };

  std::optional<std::uint16_t> pick_sequence();
  void transmit(Outstanding& o);
  void finish(std::map<std::uint16_t, Outstanding>::iterator it, RevocationResult::Outcome outcome,
              std::optional<wire::RevocationStatus> status, std::vector<wire::MobilityOption> options);

  RevocationConfig config_;
  std::uint16_t next_sequence_ = 0;
  std::map<std::uint16_t, Outstanding> outstanding_;  // by sequence: unique among them
  TimerQueue<std::uint16_t> timers_;
  std::deque<Transmit> transmits_;
  std::deque<RevocationResult> events_;
  RevocationCounters counters_;
};

// ---- Responder (MAG) -----------------------------------------------------------------------

// One binding the MAG holds, as the responder needs to see it.
struct RevocableBinding {
  std::uint64_t key = 0;  // the caller's handle, e.g. the MAG's LinkId
  MnId mn;
  std::vector<wire::Ipv6Prefix> hnps;
  wire::Ipv6Address lma;        // only the LMA anchoring a binding may revoke it
  wire::Ipv6Address proxy_coa;
  bool attached = true;         // the MN is still on its access link
};

struct RevocationResponderPolicy {
  bool proxy_revocation = true;  // false: every BRI is answered 135
  bool keep_attached = false;    // refuse to revoke attached MNs: 132, or 1 when some went
};

enum class RevocationScope : std::uint8_t {
  kNone,         // nothing to remove (failure status)
  kSessions,     // the named MN's session(s) (G=0)
  kAllWithPeer,  // every session anchored at the BRI's sender (G=1, trigger 128)
  kRealm,        // every session of one realm (G=1, trigger 129)
};

struct RevocationResponse {
  wire::RevocationStatus status = wire::RevocationStatus::kSuccess;
  RevocationScope scope = RevocationScope::kNone;
  std::vector<std::uint64_t> remove;  // keys of the bindings to remove (BULE, routes, MN)
  bool ipv4_only = false;             // V: remove only their IPv4 home address binding
  Transmit bra;                       // always sent: a BRI that is answered at all gets one
};

// The MAG's answer to a BRI from `src` received on `dst` (PROTOCOL.md §9.2), or nothing when
// `bri` is not a BRI. Status in order: 133 unknown trigger, 134 G/trigger mismatch, 135 proxy
// revocation unsupported, 128 not a proxy binding, 129 V without IPv4 HoA option, 131 no
// usable MN-ID, 128 no matching binding, 132 all matches attached (keep_attached), 1 some
// attached, 0 success. The BRA copies sequence and P/V/G and goes back to `src`.
std::optional<RevocationResponse> respond_to_bri(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                                 const wire::Message& bri,
                                                 std::span<const RevocableBinding> bindings,
                                                 const RevocationResponderPolicy& policy = {});

}  // namespace pmipx::core
