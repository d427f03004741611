#include "io/netlink.hpp"

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace pmipx::io {
namespace {

const std::size_t kBufferSize = static_cast<std::size_t>(MNL_SOCKET_BUFFER_SIZE);

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

mnl_socket* open_route_socket(unsigned groups) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl) throw_errno("netlink socket");
  if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(nl);
    errno = e;
    throw_errno("netlink bind");
  }
  return nl;
}

nlmsghdr* route_header(char* buf, std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const Route& r) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  nlh->nlmsg_seq = seq;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  rtm->rtm_dst_len = r.destination.length;
  rtm->rtm_table = static_cast<unsigned char>(r.table < 256 ? r.table : unsigned{RT_TABLE_UNSPEC});
  rtm->rtm_protocol = RTPROT_STATIC;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put(nlh, RTA_DST, 16, r.destination.address.octets.data());
  if (r.table >= 256) mnl_attr_put_u32(nlh, RTA_TABLE, r.table);
  if (r.oif) mnl_attr_put_u32(nlh, RTA_OIF, r.oif);
  if (r.gateway) mnl_attr_put(nlh, RTA_GATEWAY, 16, r.gateway->octets.data());
  mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
  if (r.mtu) {
    nlattr* metrics = mnl_attr_nest_start(nlh, RTA_METRICS);
    mnl_attr_put_u32(nlh, RTAX_MTU, r.mtu);
    mnl_attr_nest_end(nlh, metrics);
  }
  return nlh;
}

nlmsghdr* rule_header(char* buf, std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const PolicyRule& r) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  nlh->nlmsg_seq = seq;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET6;
  frh->action = FR_ACT_TO_TBL;
  frh->tos = r.tos;
  frh->table = r.table < 256 ? static_cast<std::uint8_t>(r.table) : std::uint8_t{RT_TABLE_UNSPEC};
  if (r.source) {
    frh->src_len = r.source->length;
    mnl_attr_put(nlh, FRA_SRC, 16, r.source->address.octets.data());
  }
  if (r.destination) {
    frh->dst_len = r.destination->length;
    mnl_attr_put(nlh, FRA_DST, 16, r.destination->address.octets.data());
  }
  if (r.ip_proto) mnl_attr_put_u8(nlh, FRA_IP_PROTO, *r.ip_proto);
  if (r.sport) {
    fib_rule_port_range range{r.sport->start, r.sport->end};
    mnl_attr_put(nlh, FRA_SPORT_RANGE, sizeof range, &range);
  }
  if (r.dport) {
    fib_rule_port_range range{r.dport->start, r.dport->end};
    mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof range, &range);
  }
  mnl_attr_put_u32(nlh, FRA_TABLE, r.table);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, r.priority);
  return nlh;
}

PolicyRule to_policy(const SourceRule& r) {
  PolicyRule p;
  p.source = r.source;
  p.table = r.table;
  p.priority = r.priority;
  return p;
}

nlmsghdr* address_header(char* buf, std::uint16_t type, std::uint16_t flags, std::uint32_t seq, unsigned ifindex,
                         const wire::Ipv6Prefix& a, bool nodad) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  nlh->nlmsg_seq = seq;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET6;
  ifa->ifa_prefixlen = a.length;
  ifa->ifa_flags = nodad ? IFA_F_NODAD : 0;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = ifindex;
  mnl_attr_put(nlh, IFA_LOCAL, 16, a.address.octets.data());
  mnl_attr_put(nlh, IFA_ADDRESS, 16, a.address.octets.data());
  return nlh;
}

}  // namespace

Netlink::Netlink() : nl_(open_route_socket(0)) {}
Netlink::~Netlink() { mnl_socket_close(nl_); }

// Qualified: the free function, not this member.
unsigned Netlink::link_mtu(unsigned ifindex) const { return io::link_mtu(ifindex); }

std::optional<std::string> Netlink::request(void* buffer, const char* what) {
  auto* nlh = static_cast<nlmsghdr*>(buffer);
  std::uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return std::string(what) + ": " + std::strerror(errno);
  std::vector<char> buf(kBufferSize);
  // Read until the ACK (or error) of this very request: an answer left over from an earlier
  // request that gave up (EINTR, ENOBUFS) carries an older sequence number and is skipped.
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::string(what) + ": " + std::strerror(errno);
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(h, len);
         h = mnl_nlmsg_next(h, &len)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
      if (err->error == 0) return std::nullopt;
      return std::string(what) + ": " + std::strerror(-err->error);
    }
  }
}

std::optional<std::string> Netlink::route_replace(const Route& r) {
  std::vector<char> buf(kBufferSize);
  route_header(buf.data(), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, seq_++, r);
  return request(buf.data(), ("route add " + r.destination.to_string()).c_str());
}

std::optional<std::string> Netlink::route_delete(const Route& r) {
  std::vector<char> buf(kBufferSize);
  route_header(buf.data(), RTM_DELROUTE, 0, seq_++, r);
  auto err = request(buf.data(), ("route delete " + r.destination.to_string()).c_str());
  if (err && err->find(std::strerror(ESRCH)) != std::string::npos) return std::nullopt;
  return err;
}

std::optional<std::string> Netlink::address_add(unsigned ifindex, const wire::Ipv6Prefix& a, bool nodad) {
  std::vector<char> buf(kBufferSize);
  address_header(buf.data(), RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, seq_++, ifindex, a, nodad);
  return request(buf.data(), ("address add " + a.to_string()).c_str());
}

std::optional<std::string> Netlink::address_delete(unsigned ifindex, const wire::Ipv6Prefix& a) {
  std::vector<char> buf(kBufferSize);
  address_header(buf.data(), RTM_DELADDR, 0, seq_++, ifindex, a, false);
  auto err = request(buf.data(), ("address delete " + a.to_string()).c_str());
  if (err && err->find(std::strerror(EADDRNOTAVAIL)) != std::string::npos) return std::nullopt;
  return err;
}

std::optional<std::string> Netlink::rule_add(const SourceRule& r) { return rule_add(to_policy(r)); }
std::optional<std::string> Netlink::rule_delete(const SourceRule& r) { return rule_delete(to_policy(r)); }

std::optional<std::string> Netlink::rule_add(const PolicyRule& r) {
  std::vector<char> buf(kBufferSize);
  rule_header(buf.data(), RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, seq_++, r);
  auto err = request(buf.data(), ("rule add " + describe(r)).c_str());
  if (err && err->find(std::strerror(EEXIST)) != std::string::npos) return std::nullopt;
  return err;
}

std::optional<std::string> Netlink::rule_delete(const PolicyRule& r) {
  std::vector<char> buf(kBufferSize);
  rule_header(buf.data(), RTM_DELRULE, 0, seq_++, r);
  auto err = request(buf.data(), ("rule delete " + describe(r)).c_str());
  if (err && err->find(std::strerror(ENOENT)) != std::string::npos) return std::nullopt;
  return err;
}

namespace {
struct RuleDump {
  std::vector<PolicyRule> rules;
};
struct RuleAttrs {
  PolicyRule rule;
  std::optional<wire::Ipv6Address> src, dst;
  std::optional<std::uint32_t> table;
};
int rule_attr_cb(const nlattr* attr, void* data) {
  auto* a = static_cast<RuleAttrs*>(data);
  auto address = [&]() {
    wire::Ipv6Address x;
    std::memcpy(x.octets.data(), mnl_attr_get_payload(attr), 16);
    return x;
  };
  auto ports = [&]() {
    fib_rule_port_range range{};
    std::memcpy(&range, mnl_attr_get_payload(attr), sizeof range);
    return PortRange{range.start, range.end};
  };
  const std::size_t len = mnl_attr_get_payload_len(attr);
  switch (mnl_attr_get_type(attr)) {
    case FRA_SRC:
      if (len == 16) a->src = address();
      break;
    case FRA_DST:
      if (len == 16) a->dst = address();
      break;
    case FRA_IP_PROTO:
      if (len >= 1) a->rule.ip_proto = mnl_attr_get_u8(attr);
      break;
    case FRA_SPORT_RANGE:
      if (len >= sizeof(fib_rule_port_range)) a->rule.sport = ports();
      break;
    case FRA_DPORT_RANGE:
      if (len >= sizeof(fib_rule_port_range)) a->rule.dport = ports();
      break;
    case FRA_TABLE:
      if (len >= 4) a->table = mnl_attr_get_u32(attr);
      break;
    case FRA_PRIORITY:
      if (len >= 4) a->rule.priority = mnl_attr_get_u32(attr);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}
int rule_cb(const nlmsghdr* nlh, void* data) {
  if (nlh->nlmsg_type != RTM_NEWRULE) return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(fib_rule_hdr)) return MNL_CB_OK;
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  if (frh->family != AF_INET6 || frh->action != FR_ACT_TO_TBL) return MNL_CB_OK;
  RuleAttrs a;
  mnl_attr_parse(nlh, sizeof(*frh), rule_attr_cb, &a);
  a.rule.tos = frh->tos;
  a.rule.table = a.table.value_or(frh->table);
  if (a.src) a.rule.source = wire::Ipv6Prefix{*a.src, frh->src_len};
  if (a.dst) a.rule.destination = wire::Ipv6Prefix{*a.dst, frh->dst_len};
  static_cast<RuleDump*>(data)->rules.push_back(std::move(a.rule));
  return MNL_CB_OK;
}
}  // namespace

std::optional<std::vector<PolicyRule>> Netlink::rule_list() {
  std::vector<char> buf(kBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETRULE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq_++;
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET6;
  const std::uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return std::nullopt;
  RuleDump dump;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    // A buffer left over from an earlier request that gave up fails mnl_cb_run's sequence
    // check (EPROTO): skip it and read on.
    int ret = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, mnl_socket_get_portid(nl_), rule_cb, &dump);
    if (ret == MNL_CB_STOP) return dump.rules;  // NLMSG_DONE
    if (ret < 0) {
      if (errno == ESRCH || errno == EPROTO) continue;
      return std::nullopt;
    }
  }
}

std::string describe(const PolicyRule& r) {
  std::string s = "pref " + std::to_string(r.priority);
  s += " from " + (r.source ? r.source->to_string() : std::string("all"));
  if (r.destination) s += " to " + r.destination->to_string();
  if (r.ip_proto) s += " ipproto " + std::to_string(*r.ip_proto);
  auto range = [](const PortRange& p) {
    return p.start == p.end ? std::to_string(p.start) : std::to_string(p.start) + "-" + std::to_string(p.end);
  };
  if (r.sport) s += " sport " + range(*r.sport);
  if (r.dport) s += " dport " + range(*r.dport);
  if (r.tos) s += " dscp " + std::to_string(r.tos >> 2);
  s += " lookup " + std::to_string(r.table);
  return s;
}

namespace {
struct LookupResult {
  RouteLookup route;
  bool found = false;
};
int route_attr_cb(const nlattr* attr, void* data) {
  auto* r = static_cast<LookupResult*>(data);
  if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
    r->route.oif = mnl_attr_get_u32(attr);
    r->found = true;
  } else if (mnl_attr_get_type(attr) == RTA_GATEWAY && mnl_attr_get_payload_len(attr) == 16) {
    wire::Ipv6Address gw;
    std::memcpy(gw.octets.data(), mnl_attr_get_payload(attr), 16);
    r->route.gateway = gw;
  }
  return MNL_CB_OK;
}
}  // namespace

std::optional<RouteLookup> Netlink::route_get(const wire::Ipv6Address& destination,
                                              const std::optional<wire::Ipv6Address>& source) {
  std::vector<char> buf(kBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = seq_++;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET6;
  rtm->rtm_dst_len = 128;
  mnl_attr_put(nlh, RTA_DST, 16, destination.octets.data());
  if (source) {
    rtm->rtm_src_len = 128;
    mnl_attr_put(nlh, RTA_SRC, 16, source->octets.data());
  }
  std::uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return std::nullopt;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) return std::nullopt;  // no route
      if (h->nlmsg_type != RTM_NEWROUTE) continue;
      LookupResult r;
      mnl_attr_parse(h, sizeof(rtmsg), route_attr_cb, &r);
      if (!r.found) return std::nullopt;
      return r.route;
    }
  }
}

LinkMonitor::LinkMonitor() : nl_(open_route_socket(RTMGRP_LINK)) {
  int fd = mnl_socket_get_fd(nl_);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}
LinkMonitor::~LinkMonitor() { mnl_socket_close(nl_); }
int LinkMonitor::fd() const { return mnl_socket_get_fd(nl_); }

namespace {
int link_attr_cb(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0) {
    *static_cast<std::string*>(data) = mnl_attr_get_str(attr);
  }
  return MNL_CB_OK;
}
int link_cb(const nlmsghdr* nlh, void* data) {
  auto* out = static_cast<std::vector<LinkEvent>*>(data);
  if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) return MNL_CB_OK;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  LinkEvent e;
  e.ifindex = static_cast<unsigned>(ifi->ifi_index);
  e.running = (ifi->ifi_flags & IFF_RUNNING) != 0 && (ifi->ifi_flags & IFF_UP) != 0;
  e.removed = nlh->nlmsg_type == RTM_DELLINK;
  mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, &e.name);
  out->push_back(std::move(e));
  return MNL_CB_OK;
}
}  // namespace

std::vector<LinkEvent> LinkMonitor::read() {
  std::vector<LinkEvent> events;
  std::vector<char> buf(kBufferSize);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped events: the caller must re-read state
        overrun_ = true;
        continue;
      }
      break;  // EAGAIN: drained
    }
    mnl_cb_run(buf.data(), static_cast<std::size_t>(n), 0, 0, link_cb, &events);
  }
  return events;
}

bool LinkMonitor::take_overrun() {
  bool o = overrun_;
  overrun_ = false;
  return o;
}

LinkEvent link_state(const std::string& name) {
  LinkEvent e;
  e.name = name;
  e.ifindex = if_nametoindex(name.c_str());
  if (e.ifindex == 0) return e;
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return e;
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &req) == 0) {
    e.running = (req.ifr_flags & IFF_RUNNING) != 0 && (req.ifr_flags & IFF_UP) != 0;
  }
  ::close(fd);
  return e;
}

}  // namespace pmipx::io

namespace pmipx::io {

unsigned link_mtu(unsigned ifindex) {
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(ifindex, name)) return 0;
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  ifreq req{};
  std::memcpy(req.ifr_name, name, sizeof name < sizeof req.ifr_name ? sizeof name : sizeof req.ifr_name);
  unsigned mtu = ioctl(fd, SIOCGIFMTU, &req) == 0 ? static_cast<unsigned>(req.ifr_mtu) : 0;
  ::close(fd);
  return mtu;
}

}  // namespace pmipx::io
