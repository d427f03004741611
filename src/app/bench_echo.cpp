// `pmipx bench echo`: the physical bound of the signaling benchmark. It runs in the LMA's
// namespace on a raw socket of another protocol number with the same kernel checksum handling
// as the Mobility Header socket, and sends every datagram back unchanged: same size, same
// addresses, same veth path, same socket calls as the LMA, and no protocol work in between.
#include <poll.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <system_error>

#include "app/bench_command.hpp"
#include "io/raw_socket.hpp"

namespace pmipx::app {
namespace {

std::atomic<bool> stop_requested{false};
extern "C" void on_stop_signal(int) { stop_requested = true; }

}  // namespace

int run_bench_echo(const BenchEchoOptions& options, std::ostream& out, std::ostream& err) {
  std::optional<io::RawSocket> socket;
  try {
    socket = io::RawSocket::checksummed(options.protocol);
  } catch (const std::system_error& e) {
    err << "pmipx bench echo: " << e.what() << "\n";
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: ppoll returns on the signal
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  out << "pmipx bench echo: echoing protocol " << int{options.protocol} << " until SIGTERM" << std::endl;
  std::uint64_t echoed = 0, errors = 0;
  while (!stop_requested) {
    pollfd p{socket->fd(), POLLIN, 0};
    ::ppoll(&p, 1, nullptr, nullptr);
    try {
      while (auto d = socket->receive()) {
        // Back from the address it was sent to, so the generator can match the reply.
        if (socket->send(d->dst, d->src, d->payload)) {
          ++errors;
        } else {
          ++echoed;
        }
      }
    } catch (const std::system_error& e) {
      err << "pmipx bench echo: " << e.what() << "\n";
      return 1;
    }
  }
  out << "pmipx bench echo: " << echoed << " echoed, " << errors << " send errors" << std::endl;
  return 0;
}

}  // namespace pmipx::app
