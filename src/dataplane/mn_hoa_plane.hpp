// The MN's half of the seed 003 primary-HoA scheme as a C++ object: loads bpf/mn.bpf.c
// (libbpf skeleton), pins and reuses its maps under a bpffs directory, attaches `hoa_egress`
// to clsact egress of the non-primary interfaces and `hoa_ingress` to clsact ingress, and
// writes the maps (mn_op::PrimaryHoaEgressSet/Remove, mn_op::RoutingHeaderPolicy).
//
// Lifetime and errors as BpfForwarding: destroying the object detaches and unpins nothing;
// detach_all() is the explicit teardown. Methods throw std::system_error on map or attach
// failures and std::invalid_argument for arguments the maps cannot hold. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/dp_abi.hpp"
#include "wire/address.hpp"

struct pmipx_mn;  // the bpftool skeleton (generated into the build directory)

namespace pmipx::dataplane {

enum class MnProgram { kEgress, kIngress };

using MnStats = std::array<std::uint64_t, PMIPX_MN_STAT_MAX>;
const char* mn_stat_name(pmipx_mn_stat s);

class MnHoaPlane {
 public:
  struct Options {
    std::string pin_dir;  // a directory on a bpffs (created if missing); empty: no pinning
  };

  // Opens and loads the programs (verifier included), reusing pinned maps when present.
  explicit MnHoaPlane(const Options& options);
  ~MnHoaPlane();
  MnHoaPlane(const MnHoaPlane&) = delete;
  MnHoaPlane& operator=(const MnHoaPlane&) = delete;

  // Struct sizes of the MN ABI in the object's BTF against C++ (empty: agreement).
  static std::vector<std::string> abi_mismatches();

  bool reused_pinned_maps() const { return reused_; }
  int program_fd(MnProgram p) const;

  // clsact egress / ingress of `ifindex`, replacing a program pmipx attached there before.
  // detach_all() removes every attachment made through this object.
  void attach_egress(int ifindex);
  void attach_ingress(int ifindex);
  void detach_all();

  // On egress of `ifindex` (a non-primary interface), packets sourced from `primary_hoa`
  // leave with source `interface_hoa` and a Destination Options header carrying the primary
  // HoA option (24 octets: the route MTU must leave room for them). Replaces the interface's
  // previous setting.
  void set_egress(int ifindex, const wire::Ipv6Address& primary_hoa, const wire::Ipv6Address& interface_hoa);
  void remove_egress(int ifindex);  // absent: fine

  // An arriving packet with a type 2 routing header is delivered (destination = the RH2's
  // address, RH2 removed) only when that address is `primary_hoa` and its destination is one
  // of `destinations`; every other RH2 packet is dropped. No primary HoA: all are dropped.
  void set_rh2_policy(std::optional<wire::Ipv6Address> primary_hoa, std::vector<wire::Ipv6Address> destinations);

  // Destination option type of the primary HoA option (0: the default 0x1E; 1 is PadN).
  void set_option_type(std::uint8_t type);

  MnStats stats() const;

 private:
  struct Attachment {
    int ifindex;
    bool egress;
  };
  int map_fd(const char* name) const;
  void attach(int ifindex, bool egress);

  pmipx_mn* skel_ = nullptr;
  bool reused_ = false;
  std::vector<Attachment> attachments_;
};

}  // namespace pmipx::dataplane
