// A raw IPv6 socket for one upper-layer protocol: Mobility Header (135) for signaling, ICMPv6
// for router solicitations and advertisements. Non-blocking; the daemon's event loop waits
// for readability on fd() and then drains receive(). Destination address, arrival interface
// and hop limit come from ancillary data (IPV6_PKTINFO, IPV6_HOPLIMIT); replies leave from a
// chosen source address through IPV6_PKTINFO (DESIGN.md: not the route's preferred source).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wire/address.hpp"
#include "wire/bytes.hpp"

namespace pmipx::io {

struct Datagram {
  wire::Ipv6Address src;
  wire::Ipv6Address dst;
  unsigned ifindex = 0;
  int hop_limit = -1;
  bool truncated = false;          // longer than 64 KiB: not processed
  bool control_truncated = false;  // ancillary data lost: destination and hop limit unknown
  wire::Bytes payload;  // from the upper-layer header on (the kernel strips the IPv6 header)
};

class RawSocket {
 public:
  // Mobility Header: the kernel computes and verifies the checksum at octet 4 (IPV6_CHECKSUM),
  // so datagrams with a bad checksum never reach us.
  static RawSocket mobility_header();
  // Any other upper-layer protocol with the same kernel checksum handling at octet 4: the
  // signaling benchmark's echo bound (`pmipx bench`) sends Mobility Header octets under an
  // experimental protocol number, so the kernel does the same work as for protocol 135.
  static RawSocket checksummed(std::uint8_t protocol);
  // ICMPv6 passing only `icmp_type` (ICMP6_FILTER); hop limits set to 255 for ND (RFC 4861).
  static RawSocket icmpv6(std::uint8_t icmp_type);

  RawSocket(RawSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RawSocket& operator=(RawSocket&& o) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket();

  int fd() const { return fd_; }
  // Next queued datagram; nullopt when none is left. Throws std::system_error on a real error.
  std::optional<Datagram> receive();
  // Sends `payload` from `src` (unspecified: the kernel chooses) to `dst`; ifindex is needed
  // for link-local and multicast destinations. Returns an error text, or nothing.
  std::optional<std::string> send(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                  wire::ByteView payload, unsigned ifindex = 0);
  // Joins a multicast group on one interface (the MAG joins ff02::2 on its access links).
  void join(const wire::Ipv6Address& group, unsigned ifindex);

 private:
  explicit RawSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace pmipx::io
