// Recording fakes of what the forwarding edges drive: a ForwardingPlane and a RoutingControl
// that keep their state in plain maps (no root, no kernel), so tests assert what the edges
// installed rather than how the packets would flow.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dataplane/bpf_forwarding.hpp"
#include "dataplane/forwarding_plane.hpp"
#include "io/routing_control.hpp"

namespace pmipx::daemon::fakes {

// Literals for the tests: parse or fail loudly.
inline wire::Ipv6Prefix p6(const char* s) { return *wire::Ipv6Prefix::parse(s); }
inline wire::Ipv6Address a6(const char* s) { return *wire::Ipv6Address::parse(s); }
inline const wire::Ipv6Address kLmaa = a6("2001:db8:ff::1");

class FakePlane : public dataplane::ForwardingPlane {
 public:
  bool reused_pinned_maps() const override { return false; }
  void attach_encap(int ifindex) override {
    encap.insert(ifindex);
    ++attach_calls;
  }
  void attach_decap(int ifindex) override {
    decap.insert(ifindex);
    ++attach_calls;
  }
  void detach_all() override {
    encap.clear();
    decap.clear();
  }
  void set_mode(dataplane::Mode m) override { mode = m; }

  void add_tunnel(const dataplane::Tunnel& t) override { tunnels[t.id] = t; }
  void remove_tunnel(std::uint32_t id) override { tunnels.erase(id); }
  void set_group(const dataplane::TunnelGroup& g) override { groups[g.id] = g; }
  void remove_group(std::uint32_t id) override { groups.erase(id); }
  void add_prefix(const dataplane::PrefixRoute& r) override { prefixes[r.prefix] = r; }
  void remove_prefix(const wire::Ipv6Prefix& p) override { prefixes.erase(p); }

  void set_flow_rule(std::uint32_t owner, const dataplane::FlowRule& rule) override {
    auto& v = rules[owner];
    std::erase_if(v, [&](const auto& r) { return r.id == rule.id; });
    v.push_back(rule);
    // The real plane keeps an owner's list ordered: so does the fake, for order assertions.
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.priority < b.priority; });
  }
  void remove_flow_rule(std::uint32_t owner, std::uint32_t id) override {
    std::erase_if(rules[owner], [&](const auto& r) { return r.id == id; });
  }
  void clear_flow_rules(std::uint32_t owner) override { rules.erase(owner); }

  void add_local_endpoint(const wire::Ipv6Address& a) override { locals.insert(a); }
  void remove_local_endpoint(const wire::Ipv6Address& a) override { locals.erase(a); }
  void add_peer(const wire::Ipv6Address& a, std::uint32_t tunnel_id) override { peers[a] = tunnel_id; }
  void remove_peer(const wire::Ipv6Address& a) override { peers.erase(a); }

  void set_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id, const wire::Ipv6Prefix& to) override {
    rewrites[{owner, tunnel_id}] = to;
  }
  void remove_hoa_rewrite(std::uint32_t owner, std::uint32_t tunnel_id) override {
    rewrites.erase({owner, tunnel_id});
  }
  void set_hoa_option_type(std::uint8_t type) override { hoa_option_type = type; }

  dataplane::TunnelCounters tunnel_counters(std::uint32_t) const override { return {}; }
  dataplane::PacketCounters rule_counters(std::uint32_t owner, std::uint32_t id) const override {
    auto it = rule_hits.find({owner, id});
    return it == rule_hits.end() ? dataplane::PacketCounters{} : it->second;
  }
  dataplane::Stats stats() const override { return {}; }

  // Queries the tests read with.
  const dataplane::PrefixRoute& prefix(const wire::Ipv6Prefix& p) const {
    auto it = prefixes.find(p);
    if (it == prefixes.end()) throw std::out_of_range("no prefix " + p.to_string());
    return it->second;
  }
  const dataplane::FlowRule* rule(std::uint32_t owner, std::uint32_t id) const {
    auto it = rules.find(owner);
    if (it == rules.end()) return nullptr;
    auto r = std::find_if(it->second.begin(), it->second.end(), [&](const auto& x) { return x.id == id; });
    return r == it->second.end() ? nullptr : &*r;
  }
  std::size_t rule_count(std::uint32_t owner) const {
    auto it = rules.find(owner);
    return it == rules.end() ? 0 : it->second.size();
  }
  // The id of the tunnel towards `remote` (0: none).
  std::uint32_t tunnel_to(const wire::Ipv6Address& remote) const {
    for (const auto& [id, t] : tunnels) {
      if (t.remote == remote) return id;
    }
    return 0;
  }

  std::optional<dataplane::Mode> mode;
  std::map<std::uint32_t, dataplane::Tunnel> tunnels;
  std::map<std::uint32_t, dataplane::TunnelGroup> groups;
  std::map<wire::Ipv6Prefix, dataplane::PrefixRoute> prefixes;
  std::map<std::uint32_t, std::vector<dataplane::FlowRule>> rules;  // by owner, in priority order
  std::set<wire::Ipv6Address> locals;
  std::map<wire::Ipv6Address, std::uint32_t> peers;
  std::map<std::pair<std::uint32_t, std::uint32_t>, wire::Ipv6Prefix> rewrites;  // (owner, tunnel)
  std::uint8_t hoa_option_type = 0;
  std::set<int> encap, decap;
  int attach_calls = 0;
  std::map<std::pair<std::uint32_t, std::uint32_t>, dataplane::PacketCounters> rule_hits;  // set by tests
};

class FakeRouting : public io::RoutingControl {
 public:
  // A link towards `destination` (from `source` when given), as route_get will report it.
  void add_link(const wire::Ipv6Address& destination, std::optional<wire::Ipv6Address> source, unsigned oif,
                unsigned mtu, std::optional<wire::Ipv6Address> gateway = std::nullopt) {
    lookups[{destination, source}] = io::RouteLookup{oif, gateway};
    mtus[oif] = mtu;
  }

  std::optional<std::string> route_replace(const io::Route& r) override {
    routes[{r.table, r.destination}] = r;
    return std::nullopt;
  }
  std::optional<std::string> route_delete(const io::Route& r) override {
    routes.erase({r.table, r.destination});
    return std::nullopt;
  }
  std::optional<std::string> rule_add(const io::SourceRule& r) override {
    source_rules.insert({r.source, r.table, r.priority});
    return std::nullopt;
  }
  std::optional<std::string> rule_delete(const io::SourceRule& r) override {
    source_rules.erase({r.source, r.table, r.priority});
    return std::nullopt;
  }
  std::optional<io::RouteLookup> route_get(const wire::Ipv6Address& destination,
                                           const std::optional<wire::Ipv6Address>& source) override {
    auto it = lookups.find({destination, source});
    if (it == lookups.end()) return std::nullopt;
    return it->second;
  }
  unsigned link_mtu(unsigned ifindex) const override {
    auto it = mtus.find(ifindex);
    return it == mtus.end() ? 0 : it->second;
  }

  const io::Route* route(const wire::Ipv6Prefix& destination, std::uint32_t table = 254) const {
    auto it = routes.find({table, destination});
    return it == routes.end() ? nullptr : &it->second;
  }

  std::map<std::pair<wire::Ipv6Address, std::optional<wire::Ipv6Address>>, io::RouteLookup> lookups;
  std::map<unsigned, unsigned> mtus;
  std::map<std::pair<std::uint32_t, wire::Ipv6Prefix>, io::Route> routes;  // (table, destination)
  std::set<std::tuple<wire::Ipv6Prefix, std::uint32_t, std::uint32_t>> source_rules;  // (source, table, priority)
};

}  // namespace pmipx::daemon::fakes
