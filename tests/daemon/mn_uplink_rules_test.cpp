#include "daemon/mn_uplink_rules.hpp"

#include <gtest/gtest.h>

#include "daemon/config.hpp"

namespace pmipx::daemon {
namespace {

wire::Ipv6Address addr(const char* text) { return *wire::Ipv6Address::parse(text); }

// The selector in the configuration's form, translated for ifindex 3.
std::variant<UplinkKernelRule, std::string> translate(const std::string& selector, std::uint16_t priority = 10) {
  return to_kernel_rule(parse_selector(selector, "test"), priority, 3);
}

io::PolicyRule rule_of(const std::variant<UplinkKernelRule, std::string>& t) {
  if (const auto* why = std::get_if<std::string>(&t)) ADD_FAILURE() << "refused: " << *why;
  return std::get_if<UplinkKernelRule>(&t) ? std::get<UplinkKernelRule>(t).rule : io::PolicyRule{};
}

std::string refusal(const std::variant<UplinkKernelRule, std::string>& t) {
  const auto* why = std::get_if<std::string>(&t);
  if (!why) ADD_FAILURE() << "translated: " << io::describe(std::get<UplinkKernelRule>(t).rule);
  return why ? *why : std::string();
}

TEST(MnUplinkRules, UdpToOnePortLeadsToTheInterfaceTableAheadOfTheSourceRules) {
  auto r = rule_of(translate("{protocol: udp, dst_ports: 5001}", 10));
  EXPECT_EQ(r.table, kMnTableBase + 3);
  EXPECT_EQ(r.priority, kMnUplinkPriorityBase + 10);
  EXPECT_LT(r.priority, kMnSourceRulePriority);
  EXPECT_EQ(r.ip_proto, std::optional<std::uint8_t>(17));
  EXPECT_EQ(r.dport, (io::PortRange{5001, 5001}));
  EXPECT_FALSE(r.sport);
  EXPECT_FALSE(r.source);
  EXPECT_FALSE(r.destination);
  EXPECT_EQ(r.tos, 0);
  EXPECT_EQ(io::describe(r), "pref 110 from all ipproto 17 dport 5001 lookup 2003");
  EXPECT_TRUE(std::get<UplinkKernelRule>(translate("{protocol: udp, dst_ports: 5001}")).caveats.empty());
}

TEST(MnUplinkRules, EmptySelectorMatchesEverything) {
  auto r = rule_of(translate("{}"));
  EXPECT_EQ(io::describe(r), "pref 110 from all lookup 2003");
}

TEST(MnUplinkRules, AddressesThatArePrefixesBecomeSourceAndDestinationPrefixes) {
  auto r = rule_of(translate("{src: 2001:db8:8000:1::/64, dst: 2001:db8:c::2, src_ports: 1000-2000}"));
  EXPECT_EQ(r.source, wire::Ipv6Prefix::parse("2001:db8:8000:1::/64"));
  EXPECT_EQ(r.destination, wire::Ipv6Prefix::parse("2001:db8:c::2/128"));
  EXPECT_EQ(r.sport, (io::PortRange{1000, 2000}));
  EXPECT_EQ(io::describe(r), "pref 110 from 2001:db8:8000:1::/64 to 2001:db8:c::2/128 sport 1000-2000 lookup 2003");
  // A range that happens to be a prefix is one; the whole space is no match at all.
  EXPECT_EQ(rule_of(translate("{dst: \"2001:db8::-2001:db8::1\"}")).destination, wire::Ipv6Prefix::parse("2001:db8::/127"));
  EXPECT_FALSE(rule_of(translate("{dst: \"::/0\"}")).destination);
}

TEST(MnUplinkRules, AsPrefix) {
  EXPECT_EQ(as_prefix({addr("2001:db8::5"), std::nullopt}), wire::Ipv6Prefix::parse("2001:db8::5/128"));
  EXPECT_EQ(as_prefix({addr("2001:db8::"), addr("2001:db8::ffff:ffff:ffff:ffff")}), wire::Ipv6Prefix::parse("2001:db8::/64"));
  EXPECT_EQ(as_prefix({addr("::"), addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}), wire::Ipv6Prefix::parse("::/0"));
  EXPECT_FALSE(as_prefix({addr("2001:db8::1"), addr("2001:db8::2")}));    // aligned wrong
  EXPECT_FALSE(as_prefix({addr("2001:db8::"), addr("2001:db8::2")}));     // not a power of two
  EXPECT_FALSE(as_prefix({addr("2001:db8::1"), addr("2001:db8::ffff")}));  // first not aligned
}

TEST(MnUplinkRules, RefusesWhatLinuxRulesCannotExpress) {
  EXPECT_NE(refusal(translate("{dst: \"2001:db8::1-2001:db8::9\"}")).find("not one prefix"), std::string::npos);
  EXPECT_NE(refusal(translate("{src: \"2001:db8::1-2001:db8::2\"}")).find("source range"), std::string::npos);
  EXPECT_NE(refusal(translate("{flow_label: 5}")).find("flow label"), std::string::npos);
  EXPECT_NE(refusal(translate("{spi: 7}")).find("SPI"), std::string::npos);
  EXPECT_NE(refusal(translate("{traffic_class: \"0-255\"}")).find("DSCPs 0-63"), std::string::npos);
  EXPECT_NE(refusal(translate("{traffic_class: 0}")).find("DSCP 0"), std::string::npos);
  EXPECT_NE(refusal(translate("{protocol: 0}")).find("next header 0"), std::string::npos);
  EXPECT_NE(refusal(translate("{dst_ports: 0}")).find("port 0 alone"), std::string::npos);
  EXPECT_NE(refusal(translate("{src_ports: 65535}")).find("port 65535 alone"), std::string::npos);

  wire::Ipv6TrafficSelector several_protocols;
  several_protocols.next_header = wire::Bound<std::uint8_t>{6, 17};
  EXPECT_NE(refusal(to_kernel_rule(several_protocols, 1, 3)).find("one protocol"), std::string::npos);
  wire::Ipv6TrafficSelector reversed;
  reversed.dst_port = wire::Bound<std::uint16_t>{90, 80};
  EXPECT_NE(refusal(to_kernel_rule(reversed, 1, 3)).find("ends before it starts"), std::string::npos);
  EXPECT_NE(refusal(to_kernel_rule(wire::Ipv4TrafficSelector{}, 1, 3)).find("only IPv6"), std::string::npos);
  EXPECT_NE(refusal(to_kernel_rule(wire::RawTrafficSelector{7, {}}, 1, 3)).find("format 7"), std::string::npos);
}

TEST(MnUplinkRules, PriorityMustKeepTheRuleAheadOfTheSourceRules) {
  EXPECT_EQ(rule_of(translate("{}", kMnMaxUplinkPriority)).priority, kMnSourceRulePriority - 1);
  EXPECT_EQ(rule_of(translate("{}", 0)).priority, kMnUplinkPriorityBase);
  auto why = refusal(translate("{}", kMnMaxUplinkPriority + 1));
  EXPECT_NE(why.find("priority 900 is above 899"), std::string::npos) << why;
  refusal(translate("{}", 65535));
}

TEST(MnUplinkRules, PortRangesAvoidTheValuesTheKernelRefuses) {
  EXPECT_FALSE(rule_of(translate("{dst_ports: \"0-65535\"}")).dport);  // every port
  EXPECT_EQ(rule_of(translate("{dst_ports: \"0-100\"}")).dport, (io::PortRange{1, 100}));
  auto t = std::get<UplinkKernelRule>(translate("{src_ports: \"1024-65535\"}"));
  EXPECT_EQ(t.rule.sport, (io::PortRange{1024, 65534}));
  ASSERT_EQ(t.caveats.size(), 1u);
  EXPECT_NE(t.caveats[0].find("65535 is left out"), std::string::npos);
}

TEST(MnUplinkRules, TrafficClassBecomesOneDscp) {
  EXPECT_EQ(rule_of(translate("{traffic_class: 184}")).tos, 184);      // EF (46 << 2)
  EXPECT_EQ(rule_of(translate("{traffic_class: 185}")).tos, 184);      // ECN bits are not compared
  EXPECT_EQ(rule_of(translate("{traffic_class: \"184-187\"}")).tos, 184);
  EXPECT_EQ(io::describe(rule_of(translate("{traffic_class: 184, protocol: tcp}"))),
            "pref 110 from all ipproto 6 dscp 46 lookup 2003");
}

TEST(MnUplinkRules, LeftoverRulesAreRecognisedByPriorityAndTable) {
  auto r = rule_of(translate("{protocol: udp}"));
  EXPECT_TRUE(is_uplink_rule(r));
  io::PolicyRule source;  // the per-address source rule
  source.source = wire::Ipv6Prefix::parse("2001:db8::1/128");
  source.table = kMnTableBase + 3;
  source.priority = kMnSourceRulePriority;
  EXPECT_FALSE(is_uplink_rule(source));
  r.table = 254;
  EXPECT_FALSE(is_uplink_rule(r));
}

}  // namespace
}  // namespace pmipx::daemon
