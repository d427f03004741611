#include "dataplane/bpf_forwarding.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dataplane/bpf_support.hpp"
#include "dataplane/selector_conv.hpp"
#include "pmipx_tunnel.skel.h"

namespace pmipx::dataplane {
namespace {

using detail::check;
using detail::fail;
using detail::possible_cpus;
using detail::read_percpu;

// tc filter identity of the tunnel programs: a restart replaces exactly these.
constexpr detail::TcSlot kTcSlot{0x504d /* "PM" */, 0x5050};

void copy_addr(__u8 (&out)[16], const wire::Ipv6Address& a) { std::memcpy(out, a.octets.data(), 16); }

std::string addr_text(const wire::Ipv6Address& a) { return a.to_string(); }

pmipx_dp_target to_c(const Target& t) { return {t.tunnel_id, t.group_id}; }

}  // namespace

const char* stat_name(pmipx_dp_stat s) {
  switch (s) {
    case PMIPX_DP_STAT_ENC_PACKETS: return "encap_packets";
    case PMIPX_DP_STAT_ENC_DONE: return "encap_done";
    case PMIPX_DP_STAT_ENC_REDIRECTED: return "encap_redirected";
    case PMIPX_DP_STAT_ENC_NO_PREFIX: return "encap_no_prefix";
    case PMIPX_DP_STAT_ENC_LOCAL_SCOPE: return "encap_local_scope";
    case PMIPX_DP_STAT_ENC_PREFIX_DROP: return "encap_prefix_drop";
    case PMIPX_DP_STAT_ENC_RULE_DROP: return "encap_rule_drop";
    case PMIPX_DP_STAT_ENC_NO_TUNNEL: return "encap_no_tunnel";
    case PMIPX_DP_STAT_ENC_CACHE_HIT: return "encap_cache_hit";
    case PMIPX_DP_STAT_ENC_CACHE_MISS: return "encap_cache_miss";
    case PMIPX_DP_STAT_ENC_TRUNCATED: return "encap_truncated";
    case PMIPX_DP_STAT_ENC_MALFORMED: return "encap_malformed";
    case PMIPX_DP_STAT_ENC_ADJUST_FAILED: return "encap_adjust_failed";
    case PMIPX_DP_STAT_ENC_HOA_REWRITTEN: return "encap_hoa_rewritten";
    case PMIPX_DP_STAT_ENC_HOA_REFUSED: return "encap_hoa_refused";
    case PMIPX_DP_STAT_DEC_PACKETS: return "decap_packets";
    case PMIPX_DP_STAT_DEC_DONE: return "decap_done";
    case PMIPX_DP_STAT_DEC_NOT_TUNNEL: return "decap_not_tunnel";
    case PMIPX_DP_STAT_DEC_NOT_LOCAL: return "decap_not_local";
    case PMIPX_DP_STAT_DEC_UNKNOWN_PEER: return "decap_unknown_peer";
    case PMIPX_DP_STAT_DEC_TRUNCATED: return "decap_truncated";
    case PMIPX_DP_STAT_DEC_MALFORMED: return "decap_malformed";
    case PMIPX_DP_STAT_DEC_ADJUST_FAILED: return "decap_adjust_failed";
    case PMIPX_DP_STAT_DEC_HOA_RESTORED: return "decap_hoa_restored";
    case PMIPX_DP_STAT_DEC_HOA_REJECTED: return "decap_hoa_rejected";
    case PMIPX_DP_STAT_MAX: break;
  }
  return "unknown";
}

namespace {
using detail::compare_btf;

std::vector<std::string> abi_mismatches_of(pmipx_tunnel* skel) {
  std::vector<std::string> out;
  const btf* b = bpf_object__btf(skel->obj);
  if (b == nullptr) return {"the BPF object has no BTF"};
  compare_btf<pmipx_dp_config>(b, "pmipx_dp_config", out);
  compare_btf<pmipx_dp_packet>(b, "pmipx_dp_packet", out);
  compare_btf<pmipx_dp_selector>(b, "pmipx_dp_selector", out);
  compare_btf<pmipx_dp_tunnel>(b, "pmipx_dp_tunnel", out);
  compare_btf<pmipx_dp_group>(b, "pmipx_dp_group", out);
  compare_btf<pmipx_dp_prefix_key>(b, "pmipx_dp_prefix_key", out);
  compare_btf<pmipx_dp_prefix>(b, "pmipx_dp_prefix", out);
  compare_btf<pmipx_dp_rule_set>(b, "pmipx_dp_rule_set", out);
  compare_btf<pmipx_dp_rule_key>(b, "pmipx_dp_rule_key", out);
  compare_btf<pmipx_dp_rule>(b, "pmipx_dp_rule", out);
  compare_btf<pmipx_dp_flow_entry>(b, "pmipx_dp_flow_entry", out);
  compare_btf<pmipx_dp_peer>(b, "pmipx_dp_peer", out);
  compare_btf<pmipx_dp_endpoint>(b, "pmipx_dp_endpoint", out);
  compare_btf<pmipx_dp_tunnel_stats>(b, "pmipx_dp_tunnel_stats", out);
  compare_btf<pmipx_dp_rule_stats_key>(b, "pmipx_dp_rule_stats_key", out);
  compare_btf<pmipx_dp_rule_stats>(b, "pmipx_dp_rule_stats", out);
  compare_btf<pmipx_dp_hoa_rewrite_key>(b, "pmipx_dp_hoa_rewrite_key", out);
  compare_btf<pmipx_dp_hoa_rewrite>(b, "pmipx_dp_hoa_rewrite", out);
  return out;
}
}  // namespace

std::vector<std::string> BpfForwarding::abi_mismatches() {
  pmipx_tunnel* skel = pmipx_tunnel__open();
  if (skel == nullptr) fail(errno ? errno : EINVAL, "open BPF object tunnel.bpf.o");
  auto out = abi_mismatches_of(skel);
  pmipx_tunnel__destroy(skel);
  return out;
}

BpfForwarding::BpfForwarding(const Options& options) {
  skel_ = pmipx_tunnel__open();
  if (skel_ == nullptr) fail(errno ? errno : EINVAL, "open BPF object tunnel.bpf.o");

  try {
    if (auto bad = abi_mismatches_of(skel_); !bad.empty())
      fail(EPROTO, fmt::format("tunnel.bpf.o and this build disagree on the ABI: {}", fmt::join(bad, "; ")));
    reused_ = detail::prepare_object(skel_->obj, options.pin_dir);
    detail::load_object([this] { return pmipx_tunnel__load(skel_); },
                        "load tunnel.bpf.o (programs encap/decap" +
                            std::string(options.pin_dir.empty() ? "" : ", pinned maps in " + options.pin_dir) + ")");
  } catch (...) {
    pmipx_tunnel__destroy(skel_);
    throw;
  }
}

BpfForwarding::~BpfForwarding() { pmipx_tunnel__destroy(skel_); }

int BpfForwarding::program_fd(Program p) const {
  return bpf_program__fd(p == Program::kEncap ? skel_->progs.encap : skel_->progs.decap);
}

int BpfForwarding::map_fd(const char* name) const { return detail::map_fd_of(skel_->obj, name, "tunnel.bpf.o"); }

// ---- attach -----------------------------------------------------------------------------

void BpfForwarding::attach(int ifindex, bool egress) {
  detail::tc_attach(ifindex, egress, program_fd(egress ? Program::kEncap : Program::kDecap), kTcSlot,
                    egress ? "encap" : "decap");
  auto same = [&](const Attachment& a) { return a.ifindex == ifindex && a.egress == egress; };
  if (std::none_of(attachments_.begin(), attachments_.end(), same)) attachments_.push_back({ifindex, egress});
}

void BpfForwarding::attach_encap(int ifindex) { attach(ifindex, true); }
void BpfForwarding::attach_decap(int ifindex) { attach(ifindex, false); }

void BpfForwarding::detach_all() {
  std::string errors;
  int first_err = 0;
  for (const auto& a : attachments_) {
    if (int err = detail::tc_detach(a.ifindex, a.egress, kTcSlot); err != 0) {
      if (first_err == 0) first_err = err;
      errors += fmt::format(" ifindex {} {}: {};", a.ifindex, a.egress ? "egress" : "ingress", std::strerror(err));
    }
  }
  attachments_.clear();
  if (first_err != 0) fail(first_err, "detach:" + errors);
}

// ---- configuration ------------------------------------------------------------------------

pmipx_dp_config BpfForwarding::config() const {
  __u32 zero = 0;
  pmipx_dp_config c{};
  check(bpf_map_lookup_elem(map_fd("pmx_config"), &zero, &c), "read map pmx_config");
  return c;
}

void BpfForwarding::put_config(const pmipx_dp_config& c) {
  __u32 zero = 0;
  check(bpf_map_update_elem(map_fd("pmx_config"), &zero, &c, BPF_ANY), "update map pmx_config");
}

void BpfForwarding::flush_flow_cache() {
  auto c = config();
  c.generation += 1;
  put_config(c);
}

void BpfForwarding::set_mode(Mode mode) {
  auto c = config();
  c.mode = static_cast<__u32>(mode);
  c.generation += 1;
  put_config(c);
}

Mode BpfForwarding::mode() const { return static_cast<Mode>(config().mode); }

// ---- tunnels and groups ------------------------------------------------------------------

void BpfForwarding::add_tunnel(const Tunnel& t) {
  if (t.id == 0 || t.id >= PMIPX_DP_MAX_TUNNELS)
    throw std::invalid_argument(fmt::format("tunnel id {} outside 1..{}", t.id, PMIPX_DP_MAX_TUNNELS - 1));
  pmipx_dp_tunnel v{};
  copy_addr(v.local, t.local);
  copy_addr(v.remote, t.remote);
  v.ifindex = t.ifindex;
  v.hop_limit = t.hop_limit;
  int fd = map_fd("pmx_tunnels");
  pmipx_dp_tunnel old{};
  if (bpf_map_lookup_elem(fd, &t.id, &old) != 0) {  // new tunnel: fresh counters
    std::vector<std::uint8_t> zeros(((sizeof(pmipx_dp_tunnel_stats) + 7) / 8 * 8) * possible_cpus());
    check(bpf_map_update_elem(map_fd("pmx_tun_stats"), &t.id, zeros.data(), BPF_ANY),
          fmt::format("zero map pmx_tun_stats (tunnel {})", t.id));
  }
  check(bpf_map_update_elem(fd, &t.id, &v, BPF_ANY), fmt::format("update map pmx_tunnels (tunnel {} {} -> {})", t.id,
                                                                  addr_text(t.local), addr_text(t.remote)));
  flush_flow_cache();
}

void BpfForwarding::remove_tunnel(std::uint32_t id) {
  check(bpf_map_delete_elem(map_fd("pmx_tunnels"), &id), fmt::format("delete from map pmx_tunnels (tunnel {})", id));
  flush_flow_cache();
}

void BpfForwarding::set_group(const TunnelGroup& g) {
  if (g.id == 0) throw std::invalid_argument("group id 0 is reserved");
  if (g.members.empty() || g.members.size() > PMIPX_DP_GROUP_MAX_MEMBERS)
    throw std::invalid_argument(
        fmt::format("group {} has {} members (1..{})", g.id, g.members.size(), PMIPX_DP_GROUP_MAX_MEMBERS));
  pmipx_dp_group v{};
  v.distribution = static_cast<__u32>(g.distribution);
  v.count = static_cast<__u32>(g.members.size());
  for (std::size_t i = 0; i < g.members.size(); ++i) {
    if (g.members[i].weight > 0xffff)
      throw std::invalid_argument(fmt::format("group {} member {} weight {} > 65535", g.id, i, g.members[i].weight));
    v.tunnel_id[i] = g.members[i].tunnel_id;
    v.weight[i] = g.members[i].weight;
  }
  check(bpf_map_update_elem(map_fd("pmx_groups"), &g.id, &v, BPF_ANY), fmt::format("update map pmx_groups (group {})", g.id));
  flush_flow_cache();
}

void BpfForwarding::remove_group(std::uint32_t id) {
  check(bpf_map_delete_elem(map_fd("pmx_groups"), &id), fmt::format("delete from map pmx_groups (group {})", id));
  flush_flow_cache();
}

// ---- prefixes ----------------------------------------------------------------------------

namespace {
pmipx_dp_prefix_key prefix_key(const wire::Ipv6Prefix& p) {
  if (p.length > 128) throw std::invalid_argument(fmt::format("prefix length {} > 128", p.length));
  pmipx_dp_prefix_key k{};
  k.prefixlen = p.length;
  // The trie compares only prefixlen bits, but stray host bits would make two keys for one prefix.
  for (unsigned i = 0; i < 16; ++i) {
    unsigned bits = p.length > i * 8 ? std::min(8u, p.length - i * 8) : 0;
    k.addr[i] = static_cast<__u8>(p.address.octets[i] & static_cast<std::uint8_t>(0xff00u >> bits));
  }
  return k;
}
}  // namespace

void BpfForwarding::add_prefix(const PrefixRoute& r) {
  auto k = prefix_key(r.prefix);
  pmipx_dp_prefix v{};
  v.owner = r.owner;
  v.flags = 0;
  if (r.drop) v.flags |= PMIPX_DP_PREFIX_DROP;
  if (r.primary_hoa) v.flags |= PMIPX_DP_PREFIX_PRIMARY_HOA;
  v.target = to_c(r.target);
  check(bpf_map_update_elem(map_fd("pmx_prefixes"), &k, &v, BPF_ANY),
        fmt::format("update map pmx_prefixes ({} owner {})", r.prefix.to_string(), r.owner));
  flush_flow_cache();
}

void BpfForwarding::remove_prefix(const wire::Ipv6Prefix& prefix) {
  auto k = prefix_key(prefix);
  check(bpf_map_delete_elem(map_fd("pmx_prefixes"), &k), "delete from map pmx_prefixes (" + prefix.to_string() + ")");
  flush_flow_cache();
}

// ---- primary HoA (seed 003) -----------------------------------------------------------------

void BpfForwarding::set_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id, const wire::Ipv6Prefix& rewrite_to) {
  if (tunnel_id == 0 || tunnel_id >= PMIPX_DP_MAX_TUNNELS)
    throw std::invalid_argument(fmt::format("hoa rewrite: tunnel id {} outside 1..{}", tunnel_id, PMIPX_DP_MAX_TUNNELS - 1));
  // Stored masked, like a prefix key: the program splices exactly prefixlen bits.
  auto k = prefix_key(rewrite_to);
  pmipx_dp_hoa_rewrite v{};
  std::memcpy(v.prefix, k.addr, 16);
  v.prefixlen = k.prefixlen;
  pmipx_dp_hoa_rewrite_key key{owner, tunnel_id};
  check(bpf_map_update_elem(map_fd("pmx_hoa_rewrites"), &key, &v, BPF_ANY),
        fmt::format("update map pmx_hoa_rewrites (owner {} tunnel {} -> {})", owner, tunnel_id, rewrite_to.to_string()));
}

void BpfForwarding::remove_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id) {
  pmipx_dp_hoa_rewrite_key key{owner, tunnel_id};
  check(bpf_map_delete_elem(map_fd("pmx_hoa_rewrites"), &key),
        fmt::format("delete from map pmx_hoa_rewrites (owner {} tunnel {})", owner, tunnel_id));
}

void BpfForwarding::set_hoa_option_type(std::uint8_t type) {
  // 0 and 1 are Pad1 and PadN (RFC 8200 §4.2); 0 in the map means the default 0x1E.
  if (type == 1) throw std::invalid_argument("hoa option type 1 is PadN");
  auto c = config();
  c.hoa_option_type = type;
  put_config(c);
}

std::uint8_t BpfForwarding::hoa_option_type() const {
  auto t = config().hoa_option_type;
  return t ? t : static_cast<std::uint8_t>(PMIPX_DP_HOA_OPTION_TYPE_DEFAULT);
}

// ---- flow rules --------------------------------------------------------------------------

std::vector<pmipx_dp_rule> BpfForwarding::flow_rules(std::uint32_t owner) const {
  pmipx_dp_rule_set set{};
  int ret = bpf_map_lookup_elem(map_fd("pmx_rule_sets"), &owner, &set);
  if (ret == -ENOENT) return {};
  check(ret, fmt::format("read map pmx_rule_sets (owner {})", owner));
  std::vector<pmipx_dp_rule> out;
  int fd = map_fd("pmx_rules");
  for (__u32 i = 0; i < set.count && i < PMIPX_DP_MAX_RULES_PER_OWNER; ++i) {
    pmipx_dp_rule_key k{owner, (set.bank & 1u) * PMIPX_DP_MAX_RULES_PER_OWNER + i};
    pmipx_dp_rule r{};
    check(bpf_map_lookup_elem(fd, &k, &r), fmt::format("read map pmx_rules (owner {} slot {})", owner, k.slot));
    out.push_back(r);
  }
  return out;
}

// Writes the list into the idle bank, then flips the owner's 4-octet rule set: a packet sees
// the old list or the new one. Stale slots of the idle bank are deleted first.
void BpfForwarding::write_rules(std::uint32_t owner, std::vector<pmipx_dp_rule> rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.priority < b.priority; });
  int sets = map_fd("pmx_rule_sets");
  int fd = map_fd("pmx_rules");
  pmipx_dp_rule_set set{};
  bool exists = bpf_map_lookup_elem(sets, &owner, &set) == 0;
  __u32 bank = exists ? (set.bank & 1u) ^ 1u : 0u;
  for (__u32 i = 0; i < PMIPX_DP_MAX_RULES_PER_OWNER; ++i) {
    pmipx_dp_rule_key k{owner, bank * PMIPX_DP_MAX_RULES_PER_OWNER + i};
    if (i < rules.size()) {
      check(bpf_map_update_elem(fd, &k, &rules[i], BPF_ANY),
            fmt::format("update map pmx_rules (owner {} rule {})", owner, rules[i].rule_id));
    } else {
      int ret = bpf_map_delete_elem(fd, &k);
      if (ret < 0 && ret != -ENOENT) check(ret, fmt::format("delete from map pmx_rules (owner {} slot {})", owner, k.slot));
    }
  }
  pmipx_dp_rule_set next{static_cast<__u16>(rules.size()), static_cast<__u16>(bank)};
  check(bpf_map_update_elem(sets, &owner, &next, BPF_ANY), fmt::format("update map pmx_rule_sets (owner {})", owner));
  flush_flow_cache();
}

void BpfForwarding::set_flow_rule(std::uint32_t owner, const FlowRule& rule) {
  auto sel = to_dp_selector(rule.selector);
  if (auto* err = std::get_if<std::string>(&sel))
    throw std::invalid_argument(fmt::format("flow rule {} of owner {}: {}", rule.id, owner, *err));
  if (rule.id == PMIPX_DP_NO_RULE) throw std::invalid_argument("flow rule id 0xffffffff is reserved");
  auto rules = flow_rules(owner);
  const bool replaces = std::erase_if(rules, [&](const auto& r) { return r.rule_id == rule.id; }) > 0;
  for (const auto& r : rules) {
    if (r.priority == rule.priority)
      throw std::invalid_argument(
          fmt::format("flow rule {} of owner {}: priority {} is used by rule {}", rule.id, owner, rule.priority, r.rule_id));
  }
  if (rules.size() >= PMIPX_DP_MAX_RULES_PER_OWNER)
    throw std::invalid_argument(
        fmt::format("owner {} has {} flow rules already (max {})", owner, rules.size(), PMIPX_DP_MAX_RULES_PER_OWNER));
  pmipx_dp_rule v{};
  v.selector = std::get<pmipx_dp_selector>(sel);
  v.rule_id = rule.id;
  v.priority = rule.priority;
  v.action = static_cast<__u16>(rule.action);
  v.target = to_c(rule.target);
  rules.push_back(v);
  write_rules(owner, std::move(rules));
  // A flow keeps its counters when it moves (same id, new target); a new id starts afresh.
  if (replaces) return;
  pmipx_dp_rule_stats_key sk{owner, rule.id};
  int ret = bpf_map_delete_elem(map_fd("pmx_rule_stats"), &sk);
  if (ret < 0 && ret != -ENOENT) check(ret, fmt::format("delete from map pmx_rule_stats (owner {} rule {})", owner, rule.id));
}

void BpfForwarding::remove_flow_rule(std::uint32_t owner, std::uint32_t rule_id) {
  auto rules = flow_rules(owner);
  auto n = std::erase_if(rules, [&](const auto& r) { return r.rule_id == rule_id; });
  if (n == 0) fail(ENOENT, fmt::format("remove flow rule {} of owner {}: not installed", rule_id, owner));
  write_rules(owner, std::move(rules));
  pmipx_dp_rule_stats_key sk{owner, rule_id};
  bpf_map_delete_elem(map_fd("pmx_rule_stats"), &sk);  // absent when it never matched
}

void BpfForwarding::clear_flow_rules(std::uint32_t owner) {
  auto rules = flow_rules(owner);
  int sets = map_fd("pmx_rule_sets");
  int ret = bpf_map_delete_elem(sets, &owner);
  if (ret < 0 && ret != -ENOENT) check(ret, fmt::format("delete from map pmx_rule_sets (owner {})", owner));
  flush_flow_cache();
  int fd = map_fd("pmx_rules");
  for (__u32 slot = 0; slot < 2 * PMIPX_DP_MAX_RULES_PER_OWNER; ++slot) {
    pmipx_dp_rule_key k{owner, slot};
    bpf_map_delete_elem(fd, &k);  // most slots are empty
  }
  for (const auto& r : rules) {
    pmipx_dp_rule_stats_key sk{owner, r.rule_id};
    bpf_map_delete_elem(map_fd("pmx_rule_stats"), &sk);
  }
}

// ---- decapsulation endpoints -------------------------------------------------------------

void BpfForwarding::add_local_endpoint(const wire::Ipv6Address& a) {
  pmipx_dp_endpoint v{};
  check(bpf_map_update_elem(map_fd("pmx_locals"), a.octets.data(), &v, BPF_ANY),
        "update map pmx_locals (" + addr_text(a) + ")");
}

void BpfForwarding::remove_local_endpoint(const wire::Ipv6Address& a) {
  check(bpf_map_delete_elem(map_fd("pmx_locals"), a.octets.data()), "delete from map pmx_locals (" + addr_text(a) + ")");
}

void BpfForwarding::add_peer(const wire::Ipv6Address& a, std::uint32_t tunnel_id) {
  pmipx_dp_peer v{tunnel_id, 0};
  check(bpf_map_update_elem(map_fd("pmx_peers"), a.octets.data(), &v, BPF_ANY),
        fmt::format("update map pmx_peers ({} tunnel {})", addr_text(a), tunnel_id));
}

void BpfForwarding::remove_peer(const wire::Ipv6Address& a) {
  check(bpf_map_delete_elem(map_fd("pmx_peers"), a.octets.data()), "delete from map pmx_peers (" + addr_text(a) + ")");
}

// ---- counters ----------------------------------------------------------------------------

TunnelCounters BpfForwarding::tunnel_counters(std::uint32_t tunnel_id) const {
  if (tunnel_id >= PMIPX_DP_MAX_TUNNELS) throw std::invalid_argument(fmt::format("tunnel id {} out of range", tunnel_id));
  TunnelCounters sum;
  for (const auto& c : read_percpu<pmipx_dp_tunnel_stats>(map_fd("pmx_tun_stats"), &tunnel_id,
                                                           fmt::format("map pmx_tun_stats (tunnel {})", tunnel_id))) {
    sum.tx_packets += c.tx_packets;
    sum.tx_bytes += c.tx_bytes;
    sum.rx_packets += c.rx_packets;
    sum.rx_bytes += c.rx_bytes;
  }
  return sum;
}

PacketCounters BpfForwarding::rule_counters(std::uint32_t owner, std::uint32_t rule_id) const {
  pmipx_dp_rule_stats_key k{owner, rule_id};
  bool found = false;
  PacketCounters sum;
  for (const auto& c : read_percpu<pmipx_dp_rule_stats>(map_fd("pmx_rule_stats"), &k,
                                                         fmt::format("map pmx_rule_stats (owner {} rule {})", owner, rule_id),
                                                         &found)) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

Stats BpfForwarding::stats() const {
  Stats out{};
  int fd = map_fd("pmx_stats");
  for (__u32 i = 0; i < PMIPX_DP_STAT_MAX; ++i) {
    for (auto v : read_percpu<__u64>(fd, &i, fmt::format("map pmx_stats ({})", stat_name(static_cast<pmipx_dp_stat>(i)))))
      out[i] += v;
  }
  return out;
}

}  // namespace pmipx::dataplane
