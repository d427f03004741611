// PolicyStore: MAG authorization and MN profiles, with the opt-in default profile.
#include "core/lma/policy_store.hpp"

#include <gtest/gtest.h>

namespace pmipx::core {
namespace {

MnProfile profile(const char* id, std::size_t prefixes_per_session) {
  MnProfile p;
  p.id = MnId::nai(id);
  p.prefixes_per_session = prefixes_per_session;
  return p;
}

TEST(PolicyStore, UnknownMnHasNoProfileWithoutDefault) {
  PolicyStore s;
  s.add_mn(profile("a", 1));
  EXPECT_NE(s.find(MnId::nai("a")), nullptr);
  EXPECT_EQ(s.find(MnId::nai("b")), nullptr);
}

TEST(PolicyStore, DefaultProfileServesEveryMnWithoutItsOwn) {
  PolicyStore s;
  s.add_mn(profile("a", 1));
  s.set_default_mn(profile("", 3));
  ASSERT_NE(s.find(MnId::nai("b")), nullptr);
  EXPECT_EQ(s.find(MnId::nai("b"))->prefixes_per_session, 3u);
  EXPECT_EQ(s.find(MnId::nai("c")), s.find(MnId::nai("b")));
  EXPECT_EQ(s.find(MnId::nai("a"))->prefixes_per_session, 1u);  // its own profile wins
  EXPECT_EQ(s.mn_count(), 1u);
}

TEST(PolicyStore, ReloadKeepsDefaultProfileAndUnsetRemovesIt) {
  PolicyStore s;
  s.set_default_mn(profile("", 2));
  s.clear_profiles();
  EXPECT_NE(s.find(MnId::nai("x")), nullptr);
  s.set_default_mn(std::nullopt);
  EXPECT_EQ(s.find(MnId::nai("x")), nullptr);
}

}  // namespace
}  // namespace pmipx::core
