#include "io/raw_socket.hpp"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace pmipx::io {
namespace {

constexpr int kMhProtocol = 135;  // IPPROTO_MH

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

void set_int(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) throw_errno(what);
}

int open_raw(int protocol) {
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) throw_errno("raw IPv6 socket (needs CAP_NET_RAW)");
  set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
  set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
  return fd;
}

wire::Ipv6Address from_in6(const in6_addr& a) {
  wire::Ipv6Address r;
  std::memcpy(r.octets.data(), a.s6_addr, 16);
  return r;
}

in6_addr to_in6(const wire::Ipv6Address& a) {
  in6_addr r{};
  std::memcpy(r.s6_addr, a.octets.data(), 16);
  return r;
}

}  // namespace

RawSocket RawSocket::mobility_header() { return checksummed(kMhProtocol); }

RawSocket RawSocket::checksummed(std::uint8_t protocol) {
  int fd = open_raw(protocol);
  RawSocket s(fd);
  set_int(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 4, "IPV6_CHECKSUM");
  // A burst of PBUs from many MAGs overflowed the default queue (~270 PBUs in 212,992 bytes,
  // bench/signaling): 4 MiB, beyond net.core.rmem_max when we may (CAP_NET_ADMIN).
  int rcvbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);  // capped by rmem_max
  }
  return s;
}

RawSocket RawSocket::icmpv6(std::uint8_t icmp_type) {
  int fd = open_raw(IPPROTO_ICMPV6);
  RawSocket s(fd);
  icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  ICMP6_FILTER_SETPASS(icmp_type, &filter);
  if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0) throw_errno("ICMP6_FILTER");
  set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS");
  set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS");
  set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
  return s;
}

RawSocket& RawSocket::operator=(RawSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Datagram> RawSocket::receive() {
  Datagram d;
  // One scratch buffer per thread: a fresh zero-filled 64 KiB per datagram cost more than
  // the receive itself (bench/signaling).
  thread_local std::vector<std::uint8_t> scratch(65536);
  sockaddr_in6 from{};
  alignas(cmsghdr) char control[256];
  iovec iov{scratch.data(), scratch.size()};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd_, &msg, 0);
  } while (n < 0 && errno == EINTR);  // the loop waits edge-triggered: drain for real
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    throw_errno("recvmsg");
  }
  if (msg.msg_flags & MSG_TRUNC) d.truncated = true;
  if (msg.msg_flags & MSG_CTRUNC) d.control_truncated = true;
  d.payload.assign(scratch.begin(), scratch.begin() + n);
  d.src = from_in6(from.sin6_addr);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d.dst = from_in6(info.ipi6_addr);
      d.ifindex = info.ipi6_ifindex;
    } else if (c->cmsg_type == IPV6_HOPLIMIT) {
      std::memcpy(&d.hop_limit, CMSG_DATA(c), sizeof d.hop_limit);
    }
  }
  return d;
}

std::optional<std::string> RawSocket::send(const wire::Ipv6Address& src, const wire::Ipv6Address& dst,
                                           wire::ByteView payload, unsigned ifindex) {
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = to_in6(dst);
  if (dst.is_link_local() || dst.is_multicast()) to.sin6_scope_id = ifindex;
  iovec iov{const_cast<std::uint8_t*>(payload.data()), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo info{};
  info.ipi6_addr = to_in6(src);
  info.ipi6_ifindex = ifindex;
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
  ssize_t n;
  do {
    n = ::sendmsg(fd_, &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return std::string("sendmsg to ") + dst.to_string() + ": " + std::strerror(errno);
  return std::nullopt;
}

void RawSocket::join(const wire::Ipv6Address& group, unsigned ifindex) {
  ipv6_mreq m{};
  m.ipv6mr_multiaddr = to_in6(group);
  m.ipv6mr_interface = ifindex;
  if (setsockopt(fd_, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m) < 0 && errno != EADDRINUSE) {
    throw_errno("IPV6_ADD_MEMBERSHIP");
  }
}

}  // namespace pmipx::io
