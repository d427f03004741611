#include "dataplane/bpf_forwarding.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dataplane/selector_conv.hpp"
#include "pmipx_tunnel.skel.h"

namespace pmipx::dataplane {
namespace {

constexpr unsigned kBpfFsMagic = 0xcafe4a11;
// tc filter identity of pmipx programs: a restart replaces exactly these.
constexpr std::uint32_t kTcHandle = 0x504d;   // "PM"
constexpr std::uint32_t kTcPriority = 0x5050;

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), "pmipx dataplane: " + what);
}

// libbpf reports map/program errors as negative errno values (1.0 semantics).
void check(int ret, const std::string& what) {
  if (ret < 0) fail(-ret, what);
}

// libbpf's log (verifier output included) is kept while loading, for the error message.
std::string* g_load_log = nullptr;
int capture_print(libbpf_print_level level, const char* fmt, va_list args) {
  if (g_load_log == nullptr || level == LIBBPF_DEBUG) return 0;
  char buf[2048];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (n > 0) g_load_log->append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
  return 0;
}

// libbpf logs the kernel's extack text even for outcomes pmipx expects (clsact exists, filter
// already gone): silenced around those calls only.
int quiet_print(libbpf_print_level, const char*, va_list) { return 0; }
class QuietLibbpf {
 public:
  QuietLibbpf() : old_(libbpf_set_print(quiet_print)) {}
  ~QuietLibbpf() { libbpf_set_print(old_); }
  QuietLibbpf(const QuietLibbpf&) = delete;
  QuietLibbpf& operator=(const QuietLibbpf&) = delete;

 private:
  libbpf_print_fn_t old_;
};

std::string tail(const std::string& s, std::size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

void copy_addr(__u8 (&out)[16], const wire::Ipv6Address& a) { std::memcpy(out, a.octets.data(), 16); }

std::string addr_text(const wire::Ipv6Address& a) { return a.to_string(); }

pmipx_dp_target to_c(const Target& t) { return {t.tunnel_id, t.group_id}; }

std::size_t possible_cpus() {
  int n = libbpf_num_possible_cpus();
  if (n <= 0) fail(n == 0 ? EINVAL : -n, "cannot count possible CPUs");
  return static_cast<std::size_t>(n);
}

// Per-CPU values are each rounded up to 8 octets.
template <class T>
std::vector<T> read_percpu(int fd, const void* key, const std::string& what, bool* found = nullptr) {
  constexpr std::size_t stride = (sizeof(T) + 7) / 8 * 8;
  std::size_t cpus = possible_cpus();
  std::vector<std::uint8_t> raw(stride * cpus);
  int ret = bpf_map_lookup_elem(fd, key, raw.data());
  if (found) *found = ret == 0;
  if (ret == -ENOENT && found) return {};
  check(ret, "read " + what);
  std::vector<T> out(cpus);
  for (std::size_t i = 0; i < cpus; ++i) std::memcpy(&out[i], raw.data() + i * stride, sizeof(T));
  return out;
}

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
    case PMIPX_DP_STAT_DEC_PACKETS: return "decap_packets";
    case PMIPX_DP_STAT_DEC_DONE: return "decap_done";
    case PMIPX_DP_STAT_DEC_NOT_TUNNEL: return "decap_not_tunnel";
    case PMIPX_DP_STAT_DEC_NOT_LOCAL: return "decap_not_local";
    case PMIPX_DP_STAT_DEC_UNKNOWN_PEER: return "decap_unknown_peer";
    case PMIPX_DP_STAT_DEC_TRUNCATED: return "decap_truncated";
    case PMIPX_DP_STAT_DEC_MALFORMED: return "decap_malformed";
    case PMIPX_DP_STAT_DEC_ADJUST_FAILED: return "decap_adjust_failed";
    case PMIPX_DP_STAT_MAX: break;
  }
  return "unknown";
}

namespace {
template <class T>
void compare_btf(const btf* b, const char* name, std::vector<std::string>& out) {
  int id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
  if (id < 0) {
    out.push_back(fmt::format("{}: not in the BPF object's BTF", name));
    return;
  }
  auto size = static_cast<std::size_t>(btf__resolve_size(b, static_cast<__u32>(id)));
  if (size != sizeof(T)) out.push_back(fmt::format("{}: BPF {}, C++ {}", name, size, sizeof(T)));
}

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
    // libbpf 1.1 knows the section "tc" but not "tc/<name>" (1.3+): say what they are.
    bpf_program* prog = nullptr;
    bpf_object__for_each_program(prog, skel_->obj) {
      check(bpf_program__set_type(prog, BPF_PROG_TYPE_SCHED_CLS),
            std::string("set type of program ") + bpf_program__name(prog));
    }
    if (!options.pin_dir.empty()) {
      if (::mkdir(options.pin_dir.c_str(), 0700) != 0 && errno != EEXIST)
        fail(errno, "create pin directory " + options.pin_dir);
      struct statfs fs {};
      if (::statfs(options.pin_dir.c_str(), &fs) != 0) fail(errno, "statfs " + options.pin_dir);
      if (static_cast<unsigned>(fs.f_type) != kBpfFsMagic)
        fail(EINVAL, "pin directory " + options.pin_dir + " is not on a bpffs (mount -t bpf bpf DIR)");
      bpf_map* map = nullptr;
      bpf_object__for_each_map(map, skel_->obj) {
        std::string path = options.pin_dir + "/" + bpf_map__name(map);
        if (::access(path.c_str(), F_OK) == 0) reused_ = true;
        check(bpf_map__set_pin_path(map, path.c_str()), std::string("set pin path of map ") + bpf_map__name(map));
      }
    }

    std::string log;
    g_load_log = &log;
    libbpf_print_fn_t old = libbpf_set_print(capture_print);
    int ret = pmipx_tunnel__load(skel_);
    libbpf_set_print(old);
    g_load_log = nullptr;
    if (ret < 0) {
      fail(-ret, "load tunnel.bpf.o (programs encap/decap" +
                     std::string(options.pin_dir.empty() ? "" : ", pinned maps in " + options.pin_dir) +
                     "): " + tail(log, 3000));
    }
  } catch (...) {
    g_load_log = nullptr;
    pmipx_tunnel__destroy(skel_);
    throw;
  }
}

BpfForwarding::~BpfForwarding() { pmipx_tunnel__destroy(skel_); }

int BpfForwarding::program_fd(Program p) const {
  return bpf_program__fd(p == Program::kEncap ? skel_->progs.encap : skel_->progs.decap);
}

int BpfForwarding::map_fd(const char* name) const {
  bpf_map* m = bpf_object__find_map_by_name(skel_->obj, name);
  if (m == nullptr) fail(ENOENT, std::string("no map ") + name + " in tunnel.bpf.o");
  return bpf_map__fd(m);
}

// ---- attach -----------------------------------------------------------------------------

void BpfForwarding::attach(int ifindex, bool egress) {
  const char* prog = egress ? "encap" : "decap";
  const char* where = egress ? "egress" : "ingress";
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
  int ret = 0;
  {
    QuietLibbpf quiet;
    ret = bpf_tc_hook_create(&hook);
  }
  if (ret < 0 && ret != -EEXIST) check(ret, fmt::format("create clsact on ifindex {}", ifindex));

  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.prog_fd = program_fd(egress ? Program::kEncap : Program::kDecap);
  opts.flags = BPF_TC_F_REPLACE;
  opts.handle = kTcHandle;
  opts.priority = kTcPriority;
  check(bpf_tc_attach(&hook, &opts), fmt::format("attach {} to ifindex {} {}", prog, ifindex, where));
  auto same = [&](const Attachment& a) { return a.ifindex == ifindex && a.egress == egress; };
  if (std::none_of(attachments_.begin(), attachments_.end(), same)) attachments_.push_back({ifindex, egress});
}

void BpfForwarding::attach_encap(int ifindex) { attach(ifindex, true); }
void BpfForwarding::attach_decap(int ifindex) { attach(ifindex, false); }

void BpfForwarding::detach_all() {
  std::string errors;
  int first_err = 0;
  for (const auto& a : attachments_) {
    bpf_tc_hook hook{};
    hook.sz = sizeof hook;
    hook.ifindex = a.ifindex;
    hook.attach_point = a.egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
    bpf_tc_opts opts{};
    opts.sz = sizeof opts;
    opts.handle = kTcHandle;
    opts.priority = kTcPriority;
    int ret = 0;
    {
      QuietLibbpf quiet;
      ret = bpf_tc_detach(&hook, &opts);
    }
    if (ret < 0 && ret != -ENOENT && ret != -ENODEV) {  // already gone: fine
      if (first_err == 0) first_err = -ret;
      errors += fmt::format(" ifindex {} {}: {};", a.ifindex, a.egress ? "egress" : "ingress", std::strerror(-ret));
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
  v.flags = r.drop ? PMIPX_DP_PREFIX_DROP : 0;
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
  std::erase_if(rules, [&](const auto& r) { return r.rule_id == rule.id; });
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
  // A reused id starts counting afresh.
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
