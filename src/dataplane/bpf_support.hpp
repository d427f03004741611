// libbpf plumbing shared by the loaders of this folder (BpfForwarding, MnHoaPlane): errors,
// object preparation and pinning, loading with the verifier log kept, tc clsact attach and
// detach, per-CPU reads, BTF layout checks. Internal to src/dataplane.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

namespace pmipx::dataplane::detail {

// std::system_error(err, "pmipx dataplane: " + what).
[[noreturn]] void fail(int err, const std::string& what);
// libbpf reports map/program errors as negative errno values (1.0 semantics).
void check(int ret, const std::string& what);

// libbpf logs the kernel's extack text even for outcomes pmipx expects (clsact exists, filter
// already gone): silenced around those calls only.
class QuietLibbpf {
 public:
  QuietLibbpf();
  ~QuietLibbpf();
  QuietLibbpf(const QuietLibbpf&) = delete;
  QuietLibbpf& operator=(const QuietLibbpf&) = delete;

 private:
  libbpf_print_fn_t old_;
};

// Every program of `obj` becomes BPF_PROG_TYPE_SCHED_CLS (libbpf 1.1 knows the section "tc"
// but not "tc/<name>"), and with a non-empty `pin_dir` (created, must be on a bpffs) every map
// is pinned there, reusing a pin of the same name. True when some pin existed already.
bool prepare_object(bpf_object* obj, const std::string& pin_dir);

// Runs `load` (a skeleton's __load) with libbpf's log captured; on failure throws with the
// log's tail (the verifier's complaint) after `what`.
void load_object(const std::function<int()>& load, const std::string& what);

// The tc filter identity of a pmipx program: a restart replaces exactly it.
struct TcSlot {
  std::uint32_t handle;
  std::uint32_t priority;
};
// clsact egress or ingress of `ifindex` (the qdisc is created if missing); replaces the
// program in the same slot.
void tc_attach(int ifindex, bool egress, int prog_fd, TcSlot slot, const char* prog_name);
// 0, or the errno of a failure other than "already gone".
int tc_detach(int ifindex, bool egress, TcSlot slot);

std::size_t possible_cpus();

// Per-CPU values are each rounded up to 8 octets. With `found`, a missing key gives {}.
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

// Appends "name: BPF x, C++ y" when the struct's size in `b` differs from sizeof(T).
void compare_btf_size(const btf* b, const char* name, std::size_t cpp_size, std::vector<std::string>& out);
template <class T>
void compare_btf(const btf* b, const char* name, std::vector<std::string>& out) {
  compare_btf_size(b, name, sizeof(T), out);
}

// The map's fd, or throws naming `object`.
int map_fd_of(bpf_object* obj, const char* name, const char* object);

}  // namespace pmipx::dataplane::detail
