// Text and JSON forms of messages.
#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wire/print.hpp"

namespace pmipx::wire {
namespace {
using namespace test;

TEST(Print, PbuTextShowsNamesAndValues) {
  Message m = pbu({HnpOption{true, pfx("2001:db8:1:1::/64")}, MnIdOption{MnIdSubtype::kNai, "mn1@example.com"},
                   HandoffIndicatorOption{HandoffIndicator::kNewInterfaceSharingPrefixes},
                   AccessTechTypeOption{AccessTech::kWlan}});
  std::string t = to_text(m);
  EXPECT_NE(t.find("PBU mh_type=5 (Binding Update) sequence=1 flags=A,P lifetime=900 lifetime_s=3600"), std::string::npos) << t;
  EXPECT_NE(t.find("HNP(22) prefix=2001:db8:1:1::/64 off_link=true"), std::string::npos) << t;
  EXPECT_NE(t.find("identifier=mn1@example.com"), std::string::npos) << t;
  EXPECT_NE(t.find("hi=6 (new interface sharing prefixes)"), std::string::npos) << t;
}

TEST(Print, MessageNamesFollowFlagsAndReason) {
  EXPECT_EQ(message_name(Message{BindingUpdate{1, 0, {}}, {}}), "BU");
  EXPECT_EQ(message_name(pbu({})), "PBU");
  EXPECT_EQ(message_name(Message{BindingAck{BaStatus::kAccepted, ba_flag::kP, 1, {}}, {}}), "PBA");
  EXPECT_EQ(message_name(Message{UpdateNotification{1, NotificationReason::kFlowMobility, true, false}, {}}), "FMI");
  EXPECT_EQ(message_name(Message{UpdateNotification{1, NotificationReason::kForceReregistration, true, false}, {}}), "UPN");
  EXPECT_EQ(message_name(Message{BindingRevocationAck{}, {}}), "BRA");
}

TEST(Print, JsonCarriesNumbersAndNames) {
  Message m{BindingAck{BaStatus::kCannotSupportMultipathBinding, ba_flag::kP, 3, Lifetime{0}},
            {MagMultipathBindingOption{AccessTech::kEutran, 2, 1, false, true}, UnknownOption{200, hex("ab")}}};
  Json j = to_json(m);
  EXPECT_EQ(j["message"], "PBA");
  EXPECT_EQ(j["status"]["value"], 180);
  EXPECT_EQ(j["status"]["name"], "CANNOT_SUPPORT_MULTIPATH_BINDING");
  EXPECT_EQ(j["options"][0]["option"], "MAG Multipath Binding");
  EXPECT_EQ(j["options"][0]["overwrite"], true);
  EXPECT_EQ(j["options"][1]["option"], "unknown");
  EXPECT_EQ(j["options"][1]["type"], 200);
  EXPECT_EQ(j["options"][1]["data_hex"], "ab");
}

TEST(Print, UnassignedCodesArePrintedAsSuch) {
  Json j = to_json(Message{BindingAck{static_cast<BaStatus>(250), 0, 1, {}}, {}});
  EXPECT_EQ(j["status"]["name"], "unassigned");
}

TEST(Print, NonPrintableIdentifiersAreHex) {
  Json j = to_json(MobilityOption{MnIdOption{MnIdSubtype::kImsi, std::string("\x12\x34\x9f", 3)}});
  EXPECT_EQ(j["identifier_hex"], "12349f");
  EXPECT_FALSE(j.contains("identifier"));
}

TEST(Print, MuhoIsNamedAfterItsRoleNotItsType) {
  Json j = to_json(MobilityOption{MuhoOption{pfx("2001:db8::/64")}});
  EXPECT_EQ(j["option"], "MuHo");
  EXPECT_EQ(j["type"], 18);
}

TEST(Print, ErrorJsonNamesCodeAndOffset) {
  Json j = to_json(wire_error(WireErrc::kBadOptionLength, 34, "HNP length must be 18", 17));
  EXPECT_EQ(j["error"], "bad option length");
  EXPECT_EQ(j["offset"], 34);
  EXPECT_EQ(wire_error(WireErrc::kBadOptionLength, 34, "HNP length must be 18", 17).describe(),
            "bad option length at offset 34: HNP length must be 18 (17)");
}

}  // namespace
}  // namespace pmipx::wire
