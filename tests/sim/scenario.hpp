// The addresses and the policy every scenario starts from: one LMA, two MAGs, one MN whose
// extension switches the scenario chooses, a /48 pool of /64s.
#pragma once

#include <string>
#include <vector>

#include "sim_lab.hpp"

namespace pmipx::sim::scenario {

inline wire::Ipv6Address a6(const char* s) { return *wire::Ipv6Address::parse(s); }
inline wire::Ipv6Prefix p6(const char* s) { return *wire::Ipv6Prefix::parse(s); }
using Chart = std::vector<std::string>;

inline const wire::Ipv6Address kLmaa = a6("2001:db8:b::1");
inline const wire::Ipv6Address kMag1 = a6("2001:db8:a::1");
inline const wire::Ipv6Address kMag2 = a6("2001:db8:a::2");
inline const MnId kMn = MnId::nai("mn1@example.com");

inline PolicyStore two_mag_policy(MnFeatures features) {
  PolicyStore p(PrefixPool::create(p6("2001:db8:1::/48"), 64));
  p.authorize_mag(kMag1);
  p.authorize_mag(kMag2);
  MnProfile mn;
  mn.id = kMn;
  mn.features = features;
  p.add_mn(mn);
  return p;
}

inline LmaConfig lma_config() {
  LmaConfig c;
  c.address = kLmaa;
  return c;
}

}  // namespace pmipx::sim::scenario
