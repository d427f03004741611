#include "core/lma/policy_store.hpp"

#include <algorithm>

namespace pmipx::core {

bool PolicyStore::mag_authorized_for(const MnProfile& mn, const wire::Ipv6Address& a) const {
  if (!mag_authorized(a)) return false;
  return mn.allowed_mags.empty() ||
         std::find(mn.allowed_mags.begin(), mn.allowed_mags.end(), a) != mn.allowed_mags.end();
}

const MnProfile* PolicyStore::find(const MnId& id) const {
  if (auto it = mns_.find(id); it != mns_.end()) return &it->second;
  return default_mn_ ? &*default_mn_ : nullptr;
}

bool PolicyStore::owns_static(const MnProfile& mn, const wire::Ipv6Prefix& p) const {
  return std::find(mn.static_prefixes.begin(), mn.static_prefixes.end(), p) != mn.static_prefixes.end();
}

}  // namespace pmipx::core
