// `pmipx bench signaling`: a Mobility Header load generator that emulates many MAGs and MNs
// over a real raw socket against a running `pmipx lma`, and measures the physical bound of
// the same path with a raw-socket echo (`pmipx bench echo`, run beside the LMA).
// `pmipx bench dataplane` is another tool (bench/dataplane/); this file owns only these two.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace pmipx::app {

struct BenchSignalingOptions {
  std::string lmaa = "2001:db8:ffff::1";
  std::string mag_base = "2001:db8:1::1000";  // proxy-CoAs mag_base .. mag_base + mags - 1
  std::uint32_t mags = 16;
  std::uint32_t mns = 1000;
  std::string domain = "bench.pmipx";
  std::uint32_t lifetime_s = 3600;
  bool timestamps = true;
  double rate = 0;            // requests per second; 0: as fast as the window allows
  std::uint32_t window = 64;  // requests in flight
  std::uint32_t timeout_ms = 2000;
  // echo, register, refresh, refresh_half, attach_second, move, deregister_second, deregister
  // (in this order, any subset). Empty: all, the three flow-move phases only with moves > 0.
  std::vector<std::string> phases;
  // Flow moves: the first `moves` MNs get a second binding through the next MAG, then one flow
  // each (FID 1 on BID 1, set through the management API) is moved to BID 2, as
  // `pmipx ctl flow move` does; the FMI that the move sends to the emulated MAG is answered
  // with an FMA. Needs the LMA's API reachable from here (`api`) and MN profiles with
  // features.shared_prefixes (flow mobility).
  std::uint32_t moves = 0;
  std::string api;  // HOST:PORT or [V6]:PORT of the LMA's management API
  std::string echo_address;          // the echo responder; empty: the LMAA
  std::uint8_t echo_protocol = 253;  // RFC 3692 experimental protocol number
  int lma_pid = 0;                   // for VmRSS before/after the registrations; 0: not measured
  std::vector<std::string> notes;    // added to the report as given
  bool json = false;
};

struct BenchEchoOptions {
  std::uint8_t protocol = 253;
};

// Exit status: 0 when every phase ran and every request got a reply (accepted or not),
// 1 when some timed out or failed to send, 2 on unusable options or sockets.
int run_bench_signaling(const BenchSignalingOptions& options, std::ostream& out, std::ostream& err);
// Echoes every datagram of `protocol` back to its sender from the address it was sent to,
// until SIGINT/SIGTERM.
int run_bench_echo(const BenchEchoOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pmipx::app
