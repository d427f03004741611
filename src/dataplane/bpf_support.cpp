#include "dataplane/bpf_support.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <system_error>

#include <fmt/format.h>

namespace pmipx::dataplane::detail {
namespace {

constexpr unsigned kBpfFsMagic = 0xcafe4a11;

// libbpf's log (verifier output included) is kept while loading, for the error message.
std::string* g_load_log = nullptr;
int capture_print(libbpf_print_level level, const char* fmt, va_list args) {
  if (g_load_log == nullptr || level == LIBBPF_DEBUG) return 0;
  char buf[2048];
  int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  if (n > 0) g_load_log->append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
  return 0;
}

int quiet_print(libbpf_print_level, const char*, va_list) { return 0; }

std::string tail(const std::string& s, std::size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

bpf_tc_hook hook_of(int ifindex, bool egress) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
  return hook;
}

}  // namespace

void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), "pmipx dataplane: " + what);
}

void check(int ret, const std::string& what) {
  if (ret < 0) fail(-ret, what);
}

QuietLibbpf::QuietLibbpf() : old_(libbpf_set_print(quiet_print)) {}
QuietLibbpf::~QuietLibbpf() { libbpf_set_print(old_); }

bool prepare_object(bpf_object* obj, const std::string& pin_dir) {
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj) {
    check(bpf_program__set_type(prog, BPF_PROG_TYPE_SCHED_CLS),
          std::string("set type of program ") + bpf_program__name(prog));
  }
  if (pin_dir.empty()) return false;
  if (::mkdir(pin_dir.c_str(), 0700) != 0 && errno != EEXIST) fail(errno, "create pin directory " + pin_dir);
  struct statfs fs {};
  if (::statfs(pin_dir.c_str(), &fs) != 0) fail(errno, "statfs " + pin_dir);
  if (static_cast<unsigned>(fs.f_type) != kBpfFsMagic)
    fail(EINVAL, "pin directory " + pin_dir + " is not on a bpffs (mount -t bpf bpf DIR)");
  bool reused = false;
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, obj) {
    // .rodata and friends belong to this object's programs; a pinned one (frozen) could not
    // be reused anyway.
    if (bpf_map__is_internal(map)) continue;
    std::string path = pin_dir + "/" + bpf_map__name(map);
    if (::access(path.c_str(), F_OK) == 0) reused = true;
    check(bpf_map__set_pin_path(map, path.c_str()), std::string("set pin path of map ") + bpf_map__name(map));
  }
  return reused;
}

void load_object(const std::function<int()>& load, const std::string& what) {
  std::string log;
  g_load_log = &log;
  libbpf_print_fn_t old = libbpf_set_print(capture_print);
  int ret = load();
  libbpf_set_print(old);
  g_load_log = nullptr;
  if (ret < 0) fail(-ret, what + ": " + tail(log, 3000));
}

void tc_attach(int ifindex, bool egress, int prog_fd, TcSlot slot, const char* prog_name) {
  const char* where = egress ? "egress" : "ingress";
  bpf_tc_hook hook = hook_of(ifindex, egress);
  int ret = 0;
  {
    QuietLibbpf quiet;
    ret = bpf_tc_hook_create(&hook);
  }
  if (ret < 0 && ret != -EEXIST) check(ret, fmt::format("create clsact on ifindex {}", ifindex));
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.prog_fd = prog_fd;
  opts.flags = BPF_TC_F_REPLACE;
  opts.handle = slot.handle;
  opts.priority = slot.priority;
  check(bpf_tc_attach(&hook, &opts), fmt::format("attach {} to ifindex {} {}", prog_name, ifindex, where));
}

int tc_detach(int ifindex, bool egress, TcSlot slot) {
  bpf_tc_hook hook = hook_of(ifindex, egress);
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = slot.handle;
  opts.priority = slot.priority;
  int ret = 0;
  {
    QuietLibbpf quiet;
    ret = bpf_tc_detach(&hook, &opts);
  }
  if (ret < 0 && ret != -ENOENT && ret != -ENODEV) return -ret;  // already gone: fine
  return 0;
}

std::size_t possible_cpus() {
  int n = libbpf_num_possible_cpus();
  if (n <= 0) fail(n == 0 ? EINVAL : -n, "cannot count possible CPUs");
  return static_cast<std::size_t>(n);
}

void compare_btf_size(const btf* b, const char* name, std::size_t cpp_size, std::vector<std::string>& out) {
  int id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
  if (id < 0) {
    out.push_back(fmt::format("{}: not in the BPF object's BTF", name));
    return;
  }
  auto size = static_cast<std::size_t>(btf__resolve_size(b, static_cast<__u32>(id)));
  if (size != cpp_size) out.push_back(fmt::format("{}: BPF {}, C++ {}", name, size, cpp_size));
}

int map_fd_of(bpf_object* obj, const char* name, const char* object) {
  bpf_map* m = bpf_object__find_map_by_name(obj, name);
  if (m == nullptr) fail(ENOENT, std::string("no map ") + name + " in " + object);
  return bpf_map__fd(m);
}

}  // namespace pmipx::dataplane::detail
