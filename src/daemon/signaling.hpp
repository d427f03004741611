// The Mobility Header edge shared by the LMA and MAG daemons: the raw socket, encode/decode,
// one log line and one counter per message in and out.
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <memory>

#include "core/action.hpp"
#include "daemon/metrics.hpp"
#include "io/raw_socket.hpp"
#include "wire/codec.hpp"

namespace pmipx::daemon {

// "PBA seq=7 status=0 lifetime=900 | MN-ID mn1@example.com | HNP 2001:db8:8000::/64 ..."
std::string one_line(const wire::Message& m, const wire::CodecConfig& codec);

class Signaling {
 public:
  Signaling(std::shared_ptr<spdlog::logger> log, Metrics& metrics, wire::CodecConfig codec);
  int fd() const { return socket_.fd(); }
  void send(const core::Transmit& t);
  // Drains the socket. A message that decodes goes to on_message; one that does not (or is
  // too short to be a Mobility Header) to on_malformed with its raw octets, which lets the
  // engine answer with a Binding Error where RFC 6275 §9.2 says so.
  void receive(const std::function<void(const io::Datagram&, const wire::Message&)>& on_message,
               const std::function<void(const io::Datagram&)>& on_malformed);

 private:
  std::shared_ptr<spdlog::logger> log_;
  Metrics& metrics_;
  wire::CodecConfig codec_;
  io::RawSocket socket_;
  wire::Bytes buffer_;
};

void describe_signaling_metrics(Metrics& m);

}  // namespace pmipx::daemon
