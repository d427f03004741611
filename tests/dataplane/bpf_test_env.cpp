// Needs root and BPF. The process moves into a private mount namespace (for a bpffs of its
// own) and a private network namespace (attach tests use its loopback), so nothing on the host
// is touched and no RUN_SERIAL is needed.
#include "bpf_test_env.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace pmipx::dataplane::test {
namespace {

std::string g_skip_reason;
std::string g_bpffs;

class BpfEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::geteuid() != 0) {
      g_skip_reason = "needs root (BPF programs, bpffs, tc)";
      return;
    }
    if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) {
      g_skip_reason = fmt::format("unshare(mount+net namespaces) failed: {}", std::strerror(errno));
      return;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      g_skip_reason = fmt::format("making mounts private failed: {}", std::strerror(errno));
      return;
    }
    char tmpl[] = "/tmp/pmipx-bpffs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr || ::mount("bpf", tmpl, "bpf", 0, nullptr) != 0) {
      g_skip_reason = fmt::format("cannot mount a bpffs: {}", std::strerror(errno));
      return;
    }
    g_bpffs = tmpl;
  }
  void TearDown() override {
    if (!g_bpffs.empty()) {
      ::umount2(g_bpffs.c_str(), MNT_DETACH);
      ::rmdir(g_bpffs.c_str());
    }
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new BpfEnvironment);

}  // namespace

const std::string& skip_reason() { return g_skip_reason; }
const std::string& bpffs() { return g_bpffs; }

RunResult run(int prog_fd, const wire::Bytes& in) {
  RunResult r;
  r.out.resize(in.size() + 256);
  bpf_test_run_opts o{};
  o.sz = sizeof o;
  o.data_in = in.data();
  o.data_size_in = static_cast<__u32>(in.size());
  o.data_out = r.out.data();
  o.data_size_out = static_cast<__u32>(r.out.size());
  o.repeat = 1;
  int ret = bpf_prog_test_run_opts(prog_fd, &o);
  if (ret < 0) {
    r.err = -ret;
    r.out.clear();
    return r;
  }
  r.verdict = static_cast<int>(o.retval);
  r.out.resize(o.data_size_out);
  return r;
}

std::string hexdump(const wire::Bytes& b) {
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) s += fmt::format("{}{:02x}", i % 16 == 0 ? "\n  " : " ", b[i]);
  return s;
}

wire::Bytes encapsulated(const wire::Bytes& inner_frame, const wire::Ipv6Address& local,
                         const wire::Ipv6Address& remote) {
  wire::Bytes out(inner_frame.begin(), inner_frame.begin() + 14);
  out.insert(out.end(), inner_frame.begin() + 14, inner_frame.begin() + 18);
  wire::ByteWriter w(out);
  w.be16(static_cast<std::uint16_t>(inner_frame.size() - 14));
  w.u8(41);
  w.u8(64);
  out.insert(out.end(), local.octets.begin(), local.octets.end());
  out.insert(out.end(), remote.octets.begin(), remote.octets.end());
  out.insert(out.end(), inner_frame.begin() + 14, inner_frame.end());
  return out;
}

unsigned tc_program_id(int ifindex, bool egress, unsigned priority) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = 0x504d;
  opts.priority = priority;
  libbpf_print_fn_t old = libbpf_set_print(nullptr);  // "no filter" is an expected answer
  unsigned id = bpf_tc_query(&hook, &opts) == 0 ? opts.prog_id : 0u;
  libbpf_set_print(old);
  return id;
}

unsigned program_id(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof info;
  EXPECT_EQ(bpf_obj_get_info_by_fd(prog_fd, &info, &len), 0);
  return info.id;
}

}  // namespace pmipx::dataplane::test
