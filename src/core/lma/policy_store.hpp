// Who may use this LMA and how (RFC 5213 §5.3.1 steps 5-8, §5.3.2; the extension switches of
// seeds 001-004). Read-only for the engine; the daemon builds it from configuration.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/lma/flow_mobility_cache.hpp"
#include "core/lma/prefix_pool.hpp"
#include "core/multipath_policy.hpp"
#include "core/mn_id.hpp"
#include "wire/address.hpp"

namespace pmipx::core {

struct MnFeatures {
  bool shared_prefixes = false;  // seed 001: HI 6 and flow moves between entries
  bool muho = false;             // seed 002
  bool multipath = false;        // seed 004
  bool primary_hoa = false;      // seed 003
};

// Seed 001 §3.3: a flow that moves to an interface of this access technology as soon as it
// attaches; the move rides in that attachment's PBA instead of an FMI.
struct AttachFlowRule {
  wire::AccessTech att = wire::AccessTech::kReserved;
  FlowEntry flow;  // its BIDs are the new entry's
};

struct MnProfile {
  MnId id;
  bool proxy_enabled = true;                    // false: PBA 152
  std::vector<wire::Ipv6Address> allowed_mags;  // empty: any authorized MAG
  // Prefixes this MN owns. Sessions that ask for "any prefix" get the first one not bound
  // to another of its sessions, then prefixes from the pool.
  std::vector<wire::Ipv6Prefix> static_prefixes;
  std::size_t prefixes_per_session = 1;
  MnFeatures features;
  MultipathPolicy multipath;  // seed 004: distribution and label rules for its paths
  std::vector<AttachFlowRule> attach_flows;  // seed 001 §3.3
};

class PolicyStore {
 public:
  explicit PolicyStore(std::optional<PrefixPool> pool = std::nullopt) : pool_(std::move(pool)) {}

  void authorize_mag(const wire::Ipv6Address& proxy_coa) { mags_.insert(proxy_coa); }
  void add_mn(MnProfile profile) { mns_[profile.id] = std::move(profile); }
  // Opt-in: the profile of every MN-ID without its own (its `id` is not used). Set at start;
  // like the pool, a policy reload keeps it.
  void set_default_mn(std::optional<MnProfile> profile) { default_mn_ = std::move(profile); }
  // Forgets every MAG and MN (a policy reload); the prefix pool and its allocations stay.
  void clear_profiles() {
    mags_.clear();
    mns_.clear();
  }
  std::size_t mn_count() const { return mns_.size(); }
  const std::set<wire::Ipv6Address>& mags() const { return mags_; }

  bool mag_authorized(const wire::Ipv6Address& a) const { return mags_.count(a) != 0; }
  bool mag_authorized_for(const MnProfile& mn, const wire::Ipv6Address& a) const;
  // The MN's profile, else the default profile, else nullptr (PBA 153).
  const MnProfile* find(const MnId& id) const;
  bool owns_static(const MnProfile& mn, const wire::Ipv6Prefix& p) const;

  PrefixPool* pool() { return pool_ ? &*pool_ : nullptr; }
  const PrefixPool* pool() const { return pool_ ? &*pool_ : nullptr; }

 private:
  std::set<wire::Ipv6Address> mags_;
  std::unordered_map<MnId, MnProfile, MnIdHash> mns_;
  std::optional<MnProfile> default_mn_;
  std::optional<PrefixPool> pool_;
};

}  // namespace pmipx::core
