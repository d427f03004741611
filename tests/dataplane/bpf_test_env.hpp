// Shared by the BPF_PROG_TEST_RUN tests of tests/dataplane (one executable): the private
// namespaces and bpffs the process runs in, running a program on a frame, hex dumps and the
// expected IPv6-in-IPv6 encapsulation.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "wire/address.hpp"
#include "wire/bytes.hpp"

namespace pmipx::dataplane::test {

constexpr int kTcActOk = 0, kTcActShot = 2, kTcActRedirect = 7;

// Empty when BPF tests can run; otherwise why not (not root, no namespaces, no bpffs).
const std::string& skip_reason();
// A bpffs mounted for this process (private mount namespace).
const std::string& bpffs();

#define SKIP_WITHOUT_BPF()                                                                   \
  do {                                                                                        \
    if (!::pmipx::dataplane::test::skip_reason().empty())                                     \
      GTEST_SKIP() << ::pmipx::dataplane::test::skip_reason();                                \
  } while (0)

struct RunResult {
  int err = 0;  // errno of the syscall (0: it ran)
  int verdict = -1;
  wire::Bytes out;
};

// BPF_PROG_TEST_RUN once on `in` (an Ethernet frame).
RunResult run(int prog_fd, const wire::Bytes& in);

std::string hexdump(const wire::Bytes& b);

// The id of the program pmipx attached on clsact `egress`/ingress of `ifindex` at tc
// `priority` (handle 0x504d), 0 when there is none; and the id of a loaded program's fd.
unsigned tc_program_id(int ifindex, bool egress, unsigned priority);
unsigned program_id(int prog_fd);

// What encapsulation must produce: the same Ethernet header, an outer header copying the
// inner's first word (version, traffic class, flow label), payload length = inner packet,
// next header 41, hop limit 64, tunnel addresses; then the inner packet untouched.
wire::Bytes encapsulated(const wire::Bytes& inner_frame, const wire::Ipv6Address& local,
                         const wire::Ipv6Address& remote);

}  // namespace pmipx::dataplane::test
