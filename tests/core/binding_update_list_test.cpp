#include "core/mag/binding_update_list.hpp"

#include <gtest/gtest.h>

namespace pmipx::core {
namespace {

BindingUpdateListEntry entry(LinkId link, const char* mn, std::uint16_t seq) {
  BindingUpdateListEntry e;
  e.link = link;
  e.mn_id = MnId::nai(mn);
  e.last_sequence = seq;
  return e;
}

TEST(BindingUpdateList, MnIndexFollowsAddReplaceAndErase) {
  BindingUpdateList bul;
  bul.add(entry(1, "mn1", 10));
  bul.add(entry(2, "mn1", 11));  // a second interface of the same MN
  bul.add(entry(3, "mn2", 12));
  EXPECT_EQ(bul.match(MnId::nai("mn1"), 11)->link, 2u);
  EXPECT_EQ(bul.match(MnId::nai("mn2"), 11), nullptr);
  bul.add(entry(2, "mn3", 13));  // link 2 now serves another MN
  EXPECT_EQ(bul.match(MnId::nai("mn1"), 11), nullptr);
  EXPECT_EQ(bul.match(MnId::nai("mn3"), 13)->link, 2u);
  bul.erase(1);
  EXPECT_EQ(bul.by_mn(MnId::nai("mn1")), nullptr);
  EXPECT_EQ(bul.by_mn(MnId::nai("mn2"))->link, 3u);
  bul.erase(1);  // twice: no effect
  EXPECT_EQ(bul.size(), 2u);
}

}  // namespace
}  // namespace pmipx::core
