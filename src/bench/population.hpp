// The emulated MAGs and mobile nodes of a signaling benchmark, as plain state: which MAG
// (proxy-CoA) serves which MN, each MAG's sequence numbers, each MN's prefix and last
// timestamp. It builds the PBUs a MAG would send (RFC 5213 §6.9.1.1: HNP, MN-ID, HI, ATT,
// Timestamp) and reads the PBAs; sockets and clocks stay with the caller.
//
// MN i is "mn<i>@<domain>" and is served by MAG i % mags, whose proxy-CoA is
// mag_base + i % mags (added to the low 32 bits), so one interface with `mags` addresses is
// enough to emulate every MAG.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/request_tracker.hpp"
#include "wire/message.hpp"

namespace pmipx::bench {

enum class PbuKind : std::uint8_t {
  kRegister,    // initial registration: HNP ::/0 (assign one), HI 1
  kRefresh,     // re-registration of the assigned prefix, HI 5 (handoff state not changed)
  kDeregister,  // lifetime 0, HI 4, the assigned prefix
  // The MN's second interface (flow moves need two bindings): through the next MAG
  // ((i + 1) % mags), another access technology, HI 1 and a prefix of its own, so moving a
  // flow onto it takes an FMI to that MAG (seed 001 §3.2.2).
  kAttachSecond,
  kDeregisterSecond,
};
const char* to_string(PbuKind k);

struct PopulationConfig {
  wire::Ipv6Address lmaa;
  wire::Ipv6Address mag_base;
  std::uint32_t mags = 1;
  std::uint32_t mns = 1;
  std::string domain = "bench.pmipx";
  std::uint32_t lifetime_s = 3600;
  wire::AccessTech att = wire::AccessTech::kEthernet;
  bool timestamps = true;  // the LMA's `timestamps` setting; otherwise sequence numbers order PBUs
};

struct Request {
  RequestKey key;
  wire::Ipv6Address src;  // the MAG's proxy-CoA
  wire::Message pbu;
};

// What a PBA meant for its MN.
enum class PbaOutcome : std::uint8_t { kAccepted, kRejected, kMalformed };

class Population {
 public:
  explicit Population(PopulationConfig config);

  const PopulationConfig& config() const { return config_; }
  std::uint32_t mag_of(std::uint32_t mn) const { return mn % config_.mags; }
  // The MAG of the MN's second interface.
  std::uint32_t second_mag_of(std::uint32_t mn) const { return (mn + 1) % config_.mags; }
  wire::Ipv6Address mag_address(std::uint32_t mag) const;
  // The MAG index of a proxy-CoA; nullopt for an address that is not one of ours.
  std::optional<std::uint32_t> mag_index(const wire::Ipv6Address& a) const;
  std::string mn_name(std::uint32_t mn) const;

  // The next PBU of `kind` for `mn`. `now` is the wall clock as an RFC 5213 timestamp; the
  // PBU carries it, or the MN's previous timestamp + 1 unit when the clock has not advanced
  // (the LMA rejects a timestamp that is not newer than the last accepted, 157).
  Request pbu(std::uint32_t mn, PbuKind kind, wire::Timestamp now);
  // The PBA answering `mn`'s `kind` request: remembers the assigned prefix of an accepted
  // registration and forgets it on an accepted de-registration.
  PbaOutcome on_pba(std::uint32_t mn, PbuKind kind, const wire::Message& pba);

  bool registered(std::uint32_t mn) const { return prefixes_[mn].length != 0; }
  const wire::Ipv6Prefix& prefix(std::uint32_t mn) const { return prefixes_[mn]; }
  bool second_registered(std::uint32_t mn) const { return second_prefixes_.count(mn) != 0; }

 private:
  PopulationConfig config_;
  std::vector<std::uint16_t> sequences_;      // per MAG: last sequence number sent
  std::vector<wire::Ipv6Prefix> prefixes_;    // per MN: assigned prefix (length 0: none)
  std::vector<std::uint64_t> last_timestamp_;  // per MN, raw 48.16
  std::unordered_map<std::uint32_t, wire::Ipv6Prefix> second_prefixes_;  // the few MNs with two
};

}  // namespace pmipx::bench
