#include "dataplane/mn_hoa_plane.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dataplane/bpf_support.hpp"
#include "pmipx_mn.skel.h"

namespace pmipx::dataplane {
namespace {

using detail::check;
using detail::fail;

// tc filter identity of the MN programs: beside the tunnel programs' slot (0x5050), so a host
// running both keeps both.
constexpr detail::TcSlot kMnTcSlot{0x504d, 0x5051};
constexpr const char* kObject = "mn.bpf.o";

std::vector<std::string> abi_mismatches_of(pmipx_mn* skel) {
  std::vector<std::string> out;
  const btf* b = bpf_object__btf(skel->obj);
  if (b == nullptr) return {"the BPF object has no BTF"};
  detail::compare_btf<pmipx_mn_config>(b, "pmipx_mn_config", out);
  detail::compare_btf<pmipx_mn_egress>(b, "pmipx_mn_egress", out);
  detail::compare_btf<pmipx_mn_policy>(b, "pmipx_mn_policy", out);
  detail::compare_btf<pmipx_mn_dest>(b, "pmipx_mn_dest", out);
  return out;
}

}  // namespace

const char* mn_stat_name(pmipx_mn_stat s) {
  switch (s) {
    case PMIPX_MN_STAT_EGR_PACKETS: return "hoa_egress_packets";
    case PMIPX_MN_STAT_EGR_INSERTED: return "hoa_egress_inserted";
    case PMIPX_MN_STAT_EGR_HOP_BY_HOP: return "hoa_egress_hop_by_hop";
    case PMIPX_MN_STAT_EGR_MALFORMED: return "hoa_egress_malformed";
    case PMIPX_MN_STAT_EGR_ADJUST_FAILED: return "hoa_egress_adjust_failed";
    case PMIPX_MN_STAT_ING_PACKETS: return "hoa_ingress_packets";
    case PMIPX_MN_STAT_ING_RH2_HONORED: return "hoa_ingress_rh2_honored";
    case PMIPX_MN_STAT_ING_RH2_MALFORMED: return "hoa_ingress_rh2_malformed";
    case PMIPX_MN_STAT_ING_RH2_REFUSED: return "hoa_ingress_rh2_refused";
    case PMIPX_MN_STAT_ING_ADJUST_FAILED: return "hoa_ingress_adjust_failed";
    case PMIPX_MN_STAT_MAX: break;
  }
  return "unknown";
}

std::vector<std::string> MnHoaPlane::abi_mismatches() {
  pmipx_mn* skel = pmipx_mn__open();
  if (skel == nullptr) fail(errno ? errno : EINVAL, std::string("open BPF object ") + kObject);
  auto out = abi_mismatches_of(skel);
  pmipx_mn__destroy(skel);
  return out;
}

MnHoaPlane::MnHoaPlane(const Options& options) {
  skel_ = pmipx_mn__open();
  if (skel_ == nullptr) fail(errno ? errno : EINVAL, std::string("open BPF object ") + kObject);
  try {
    if (auto bad = abi_mismatches_of(skel_); !bad.empty())
      fail(EPROTO, fmt::format("{} and this build disagree on the ABI: {}", kObject, fmt::join(bad, "; ")));
    reused_ = detail::prepare_object(skel_->obj, options.pin_dir);
    detail::load_object([this] { return pmipx_mn__load(skel_); },
                        fmt::format("load {} (programs hoa_egress/hoa_ingress{})", kObject,
                                    options.pin_dir.empty() ? "" : ", pinned maps in " + options.pin_dir));
  } catch (...) {
    pmipx_mn__destroy(skel_);
    throw;
  }
}

MnHoaPlane::~MnHoaPlane() { pmipx_mn__destroy(skel_); }

int MnHoaPlane::program_fd(MnProgram p) const {
  return bpf_program__fd(p == MnProgram::kEgress ? skel_->progs.hoa_egress : skel_->progs.hoa_ingress);
}

int MnHoaPlane::map_fd(const char* name) const { return detail::map_fd_of(skel_->obj, name, kObject); }

// ---- attach -----------------------------------------------------------------------------

void MnHoaPlane::attach(int ifindex, bool egress) {
  detail::tc_attach(ifindex, egress, program_fd(egress ? MnProgram::kEgress : MnProgram::kIngress), kMnTcSlot,
                    egress ? "hoa_egress" : "hoa_ingress");
  auto same = [&](const Attachment& a) { return a.ifindex == ifindex && a.egress == egress; };
  if (std::none_of(attachments_.begin(), attachments_.end(), same)) attachments_.push_back({ifindex, egress});
}

void MnHoaPlane::attach_egress(int ifindex) { attach(ifindex, true); }
void MnHoaPlane::attach_ingress(int ifindex) { attach(ifindex, false); }

void MnHoaPlane::detach_all() {
  std::string errors;
  int first_err = 0;
  for (const auto& a : attachments_) {
    if (int err = detail::tc_detach(a.ifindex, a.egress, kMnTcSlot); err != 0) {
      if (first_err == 0) first_err = err;
      errors += fmt::format(" ifindex {} {}: {};", a.ifindex, a.egress ? "egress" : "ingress", std::strerror(err));
    }
  }
  attachments_.clear();
  if (first_err != 0) fail(first_err, "detach:" + errors);
}

// ---- maps --------------------------------------------------------------------------------

void MnHoaPlane::set_egress(int ifindex, const wire::Ipv6Address& primary_hoa, const wire::Ipv6Address& interface_hoa) {
  if (ifindex <= 0) throw std::invalid_argument(fmt::format("hoa egress: ifindex {} is not an interface", ifindex));
  auto key = static_cast<__u32>(ifindex);
  pmipx_mn_egress v{};
  std::memcpy(v.primary_hoa, primary_hoa.octets.data(), 16);
  std::memcpy(v.interface_hoa, interface_hoa.octets.data(), 16);
  check(bpf_map_update_elem(map_fd("mnx_egress"), &key, &v, BPF_ANY),
        fmt::format("update map mnx_egress (ifindex {}: {} -> {})", ifindex, primary_hoa.to_string(),
                    interface_hoa.to_string()));
}

void MnHoaPlane::remove_egress(int ifindex) {
  auto key = static_cast<__u32>(ifindex);
  int ret = bpf_map_delete_elem(map_fd("mnx_egress"), &key);
  if (ret < 0 && ret != -ENOENT) check(ret, fmt::format("delete from map mnx_egress (ifindex {})", ifindex));
}

// Honors nothing while the destination set changes, then the new primary HoA: a packet sees
// the old policy, "none", or the new one, never a mix of the two.
void MnHoaPlane::set_rh2_policy(std::optional<wire::Ipv6Address> primary_hoa,
                                std::vector<wire::Ipv6Address> destinations) {
  std::set<wire::Ipv6Address> wanted(destinations.begin(), destinations.end());
  if (wanted.size() > PMIPX_MN_MAX_DESTINATIONS)
    throw std::invalid_argument(
        fmt::format("rh2 policy: {} destinations (max {})", wanted.size(), PMIPX_MN_MAX_DESTINATIONS));
  int policy = map_fd("mnx_policy");
  int dests = map_fd("mnx_dests");
  __u32 zero = 0;
  pmipx_mn_policy none{};
  check(bpf_map_update_elem(policy, &zero, &none, BPF_ANY), "update map mnx_policy (none)");

  std::vector<wire::Ipv6Address> stale;
  wire::Ipv6Address key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(dests, first ? nullptr : key.octets.data(), next.octets.data()) == 0) {
    if (!wanted.contains(next)) stale.push_back(next);
    key = next;
    first = false;
  }
  for (const auto& a : stale) {
    int ret = bpf_map_delete_elem(dests, a.octets.data());
    if (ret < 0 && ret != -ENOENT) check(ret, "delete from map mnx_dests (" + a.to_string() + ")");
  }
  for (const auto& a : wanted) {
    pmipx_mn_dest v{};
    check(bpf_map_update_elem(dests, a.octets.data(), &v, BPF_ANY), "update map mnx_dests (" + a.to_string() + ")");
  }
  if (primary_hoa) {
    pmipx_mn_policy p{};
    p.flags = PMIPX_MN_POLICY_PRIMARY;
    std::memcpy(p.primary_hoa, primary_hoa->octets.data(), 16);
    check(bpf_map_update_elem(policy, &zero, &p, BPF_ANY), "update map mnx_policy (" + primary_hoa->to_string() + ")");
  }
}

void MnHoaPlane::set_option_type(std::uint8_t type) {
  if (type == 1) throw std::invalid_argument("hoa option type 1 is PadN");
  __u32 zero = 0;
  pmipx_mn_config c{};
  c.hoa_option_type = type;
  check(bpf_map_update_elem(map_fd("mnx_config"), &zero, &c, BPF_ANY), "update map mnx_config");
}

MnStats MnHoaPlane::stats() const {
  MnStats out{};
  int fd = map_fd("mnx_stats");
  for (__u32 i = 0; i < PMIPX_MN_STAT_MAX; ++i) {
    for (auto v : detail::read_percpu<__u64>(fd, &i, fmt::format("map mnx_stats ({})",
                                                                  mn_stat_name(static_cast<pmipx_mn_stat>(i)))))
      out[i] += v;
  }
  return out;
}

}  // namespace pmipx::dataplane
