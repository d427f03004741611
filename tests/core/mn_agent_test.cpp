// The mobile-node agent (src/core/mn): addresses and default routes from RAs (weak host, seed
// 002 §4.1; logical interface, seed 001 §3.2.1), uplink rules with labels (seed 001 §6,
// RFC 8278 §4.1), the primary-HoA scheme (seed 003) and refused input. One test per rule.
#include <gtest/gtest.h>

#include "core/mn/mn_agent.hpp"
#include "core/mn/uplink_selector.hpp"

namespace pmipx::core {
namespace {

wire::Ipv6Address addr(const char* text) { return *wire::Ipv6Address::parse(text); }
wire::Ipv6Prefix pfx(const char* text) { return *wire::Ipv6Prefix::parse(text); }
InterfaceIdentifier iid(std::uint8_t last) { return InterfaceIdentifier{{0, 0, 0, 0, 0, 0, 0, last}}; }

const wire::Ipv6Prefix kHnp1 = pfx("2001:db8:1:1::/64");
const wire::Ipv6Prefix kHnp2 = pfx("2001:db8:1:2::/64");
const wire::Ipv6Address kMag1 = addr("fe80::1");
const wire::Ipv6Address kMag2 = addr("fe80::2");
constexpr IfaceId kWlan = 1;
constexpr IfaceId kLte = 2;
constexpr IfaceId kEth = 3;

wire::TrafficSelector web() {  // MN -> CN, TCP to port 443
  wire::Ipv6TrafficSelector ts;
  ts.dst_port = wire::Bound<std::uint16_t>{443, std::nullopt};
  ts.next_header = wire::Bound<std::uint8_t>{6, std::nullopt};
  return ts;
}

UplinkRule label_rule(std::uint32_t id, std::uint16_t priority, std::vector<IfaceLabel> labels) {
  return UplinkRule{id, priority, web(), ToLabels{std::move(labels)}};
}

class MnAgentTest : public ::testing::Test {
 protected:
  void make(Addressing addressing, bool primary_hoa) {
    MnAgentConfig c;
    c.addressing = addressing;
    c.primary_hoa = primary_hoa;
    c.logical_iid = iid(0x99);
    agent_.emplace(c);
  }
  void SetUp() override { make(Addressing::kPerInterface, false); }

  Now now() const { return Now{Instant{} + elapsed_, WallTime{}}; }
  void advance(Duration d) { elapsed_ += d; }

  void up(IfaceId id, const char* name, std::optional<IfaceLabel> label, std::uint8_t ifp,
          std::uint8_t iid_last = 0) {
    InterfaceInfo info;
    info.id = id;
    info.name = name;
    info.att = id == kLte ? wire::AccessTech::kEutran : wire::AccessTech::kWlan;
    info.label = std::move(label);
    info.iid = iid(iid_last ? iid_last : static_cast<std::uint8_t>(id));
    info.ifp = ifp;
    ASSERT_EQ(agent_->interface_up(now(), info), std::nullopt);
  }
  void ra(IfaceId id, const wire::Ipv6Address& router, std::vector<PrefixInfo> prefixes,
          std::uint16_t router_lifetime_s = 1800) {
    ASSERT_EQ(agent_->handle_router_advertisement(now(), {id, router, router_lifetime_s, std::move(prefixes)}),
              std::nullopt);
  }
  void ra(IfaceId id, const wire::Ipv6Prefix& p, std::uint32_t valid_s = kInfiniteLifetime) {
    ra(id, id == kLte ? kMag2 : kMag1, {PrefixInfo{p, valid_s, true}});
  }
  // if1 (wlan, RED) and if2 (lte, BLUE), each with its own HNP: the seed 003 §5.1 layout.
  void two_interfaces(std::uint8_t ifp1, std::uint8_t ifp2) {
    up(kWlan, "wlan0", "RED", ifp1);
    ra(kWlan, kHnp1);
    up(kLte, "lte0", "BLUE", ifp2);
    ra(kLte, kHnp2);
    drain();
  }

  std::vector<MnDataplaneOp> ops() {
    std::vector<MnDataplaneOp> out;
    while (auto op = agent_->poll_dataplane()) out.push_back(std::move(*op));
    return out;
  }
  template <class T>
  std::vector<T> ops_of() {
    std::vector<T> out;
    for (auto& op : ops()) {
      if (auto* t = std::get_if<T>(&op)) out.push_back(*t);
    }
    return out;
  }
  std::vector<HandoverIndication> indications() {
    std::vector<HandoverIndication> out;
    while (auto hi = agent_->poll_transmit()) out.push_back(*hi);
    return out;
  }
  std::vector<MnEvent> events() {
    std::vector<MnEvent> out;
    while (auto e = agent_->poll_event()) out.push_back(std::move(*e));
    return out;
  }
  void drain() {
    ops();
    indications();
    events();
  }
  // A refused command: the reason mentions `what`, one rejection event, nothing else out.
  void expect_refused(const std::optional<std::string>& error, const std::string& what) {
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find(what), std::string::npos) << *error;
    EXPECT_TRUE(ops().empty());
    EXPECT_TRUE(indications().empty());
    auto ev = events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, MnEventKind::kCommandRejected);
    EXPECT_NE(ev[0].detail.find("-> FAIL " + *error), std::string::npos) << ev[0].detail;
  }

  std::optional<MnAgent> agent_;
  Duration elapsed_{};
};

TEST(MnAgentSlaac, InterfaceIdentifierIsModifiedEui64OfTheMac) {
  auto i = InterfaceIdentifier::from_mac(MacAddress{0x00, 0x11, 0x22, 0x33, 0x44, 0x55});
  EXPECT_EQ(i.to_string(), "211:22ff:fe33:4455");  // U/L bit flipped, ff:fe inserted
  EXPECT_EQ(slaac_address(kHnp1, i), addr("2001:db8:1:1:211:22ff:fe33:4455"));
}

TEST(MnAgentSelector, UplinkViewSwapsAddressesAndPortsOfTheNetworksSelector) {
  wire::Ipv6TrafficSelector down;  // LMA's view, CN -> MN (RFC 6088)
  down.src = wire::Bound<wire::Ipv6Address>{addr("2001:db8:c::1"), std::nullopt};
  down.dst = wire::Bound<wire::Ipv6Address>{addr("2001:db8:1:1::1"), std::nullopt};
  down.src_port = wire::Bound<std::uint16_t>{443, std::nullopt};
  down.dst_port = wire::Bound<std::uint16_t>{40000, std::uint16_t{40100}};
  down.next_header = wire::Bound<std::uint8_t>{6, std::nullopt};
  auto up = std::get<wire::Ipv6TrafficSelector>(uplink_view(down));
  EXPECT_EQ(up.src->start, addr("2001:db8:1:1::1"));
  EXPECT_EQ(up.dst->start, addr("2001:db8:c::1"));
  EXPECT_EQ(up.src_port->start, 40000);
  EXPECT_EQ(up.src_port->end, std::optional<std::uint16_t>{40100});
  EXPECT_EQ(up.dst_port->start, 443);
  EXPECT_EQ(up.next_header->start, 6);
  EXPECT_EQ(std::get<wire::Ipv6TrafficSelector>(uplink_view(up)), down);
}

TEST_F(MnAgentTest, RouterAdvertisementGivesSlaacAddressAndDefaultRoute) {
  up(kWlan, "wlan0", std::nullopt, 0);
  drain();
  ra(kWlan, kHnp1);
  auto o = ops();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(std::get<mn_op::AddressAdd>(o[0]), (mn_op::AddressAdd{kWlan, pfx("2001:db8:1:1::1/64")}));
  EXPECT_EQ(std::get<mn_op::DefaultRoute>(o[1]), (mn_op::DefaultRoute{kWlan, kMag1, 1024}));
  EXPECT_EQ(std::get<mn_op::DefaultUplink>(o[2]), mn_op::DefaultUplink{kWlan});
  EXPECT_EQ(agent_->addresses(), (std::vector<MnAddress>{{kWlan, pfx("2001:db8:1:1::1/64")}}));
  EXPECT_EQ(agent_->counters().ras_received, 1u);
  // A periodic RA with the same content changes nothing.
  ra(kWlan, kHnp1);
  EXPECT_TRUE(ops().empty());
}

TEST_F(MnAgentTest, PrefixesUnusableForSlaacAreIgnoredAndCounted) {
  up(kWlan, "wlan0", std::nullopt, 0);
  drain();
  ra(kWlan, kMag1,
     {PrefixInfo{pfx("2001:db8:5::/56"), 3600, true}, PrefixInfo{pfx("2001:db8:6::/64"), 3600, false},
      PrefixInfo{pfx("fe80::/64"), 3600, true}, PrefixInfo{pfx("2001:db8:1:1::77/64"), 3600, true}});
  // Host bits of the last prefix are ignored (RFC 4861 §4.6.2): it still gives ::1.
  EXPECT_EQ(agent_->addresses(), (std::vector<MnAddress>{{kWlan, pfx("2001:db8:1:1::1/64")}}));
  EXPECT_EQ(agent_->counters().prefixes_ignored, 3u);
}

TEST_F(MnAgentTest, WeakHostGivesEachInterfaceItsOwnAddressForASharedPrefix) {
  up(kWlan, "wlan0", std::nullopt, 0);
  up(kLte, "lte0", std::nullopt, 0);
  ra(kWlan, kHnp1);
  ra(kLte, kHnp1);  // seed 001 §3.2.1 without a logical interface: pref1::if1 and pref1::if2
  EXPECT_EQ(agent_->addresses(), (std::vector<MnAddress>{{kWlan, pfx("2001:db8:1:1::1/64")},
                                                         {kLte, pfx("2001:db8:1:1::2/64")}}));
}

TEST_F(MnAgentTest, LogicalInterfaceKeepsOneAddressAcrossInterfaces) {
  make(Addressing::kLogical, false);
  up(kWlan, "wlan0", std::nullopt, 0);
  up(kLte, "lte0", std::nullopt, 0);
  ra(kWlan, kHnp1);
  ra(kLte, kHnp1);
  auto adds = ops_of<mn_op::AddressAdd>();
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0], (mn_op::AddressAdd{kLogicalInterface, pfx("2001:db8:1:1::99/64")}));
  // Still advertised on lte0: the address survives wlan0 going away.
  ASSERT_EQ(agent_->interface_down(now(), kWlan), std::nullopt);
  EXPECT_TRUE(ops_of<mn_op::AddressRemove>().empty());
  ASSERT_EQ(agent_->interface_down(now(), kLte), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::AddressRemove>(),
            (std::vector<mn_op::AddressRemove>{{kLogicalInterface, pfx("2001:db8:1:1::99/64")}}));
}

TEST_F(MnAgentTest, LogicalInterfaceTakesTheFirstInterfacesIidWhenNoneIsConfigured) {
  agent_.emplace(MnAgentConfig{Addressing::kLogical, std::nullopt, false, 1024});
  up(kLte, "lte0", std::nullopt, 0, 0x42);
  up(kWlan, "wlan0", std::nullopt, 0);
  ra(kWlan, kHnp1);
  EXPECT_EQ(agent_->addresses(), (std::vector<MnAddress>{{kLogicalInterface, pfx("2001:db8:1:1::42/64")}}));
}

TEST_F(MnAgentTest, SameAddressOnTwoInterfacesIsAConflictAndOnlyTheFirstKeepsIt) {
  up(kWlan, "wlan0", std::nullopt, 0, 7);
  up(kLte, "lte0", std::nullopt, 0, 7);
  ra(kWlan, kHnp1);
  ra(kLte, kHnp1);
  EXPECT_EQ(agent_->addresses(), (std::vector<MnAddress>{{kWlan, pfx("2001:db8:1:1::7/64")}}));
  EXPECT_EQ(agent_->counters().address_conflicts, 1u);
}

TEST_F(MnAgentTest, PrefixExpiresWithItsValidLifetime) {
  up(kWlan, "wlan0", std::nullopt, 0);
  ra(kWlan, kHnp1, 30);
  drain();
  EXPECT_EQ(agent_->poll_timeout(), Instant{} + seconds(30));
  advance(seconds(29));
  agent_->handle_timeout(now());
  EXPECT_TRUE(ops().empty());
  advance(seconds(1));
  agent_->handle_timeout(now());
  EXPECT_EQ(ops_of<mn_op::AddressRemove>(),
            (std::vector<mn_op::AddressRemove>{{kWlan, pfx("2001:db8:1:1::1/64")}}));
  EXPECT_EQ(agent_->counters().prefixes_expired, 1u);
  agent_->handle_timeout(now());  // a second call does nothing
  EXPECT_TRUE(ops().empty());
}

TEST_F(MnAgentTest, ZeroValidLifetimeWithdrawsThePrefixAtOnce) {
  up(kWlan, "wlan0", std::nullopt, 0);
  ra(kWlan, kHnp1, 3600);
  drain();
  ra(kWlan, kHnp1, 0);
  EXPECT_EQ(ops_of<mn_op::AddressRemove>(),
            (std::vector<mn_op::AddressRemove>{{kWlan, pfx("2001:db8:1:1::1/64")}}));
  EXPECT_EQ(agent_->poll_timeout(), Instant{} + seconds(1800));  // only the router's timer is left
}

TEST_F(MnAgentTest, ExpiredRouterLosesItsDefaultRouteButKeepsTheAddress) {
  up(kWlan, "wlan0", std::nullopt, 0);
  ra(kWlan, kMag1, {PrefixInfo{kHnp1, kInfiniteLifetime, true}}, 60);
  drain();
  advance(seconds(60));
  agent_->handle_timeout(now());
  auto o = ops();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(std::get<mn_op::DefaultUplink>(o[0]), mn_op::DefaultUplink{std::nullopt});
  EXPECT_EQ(std::get<mn_op::DefaultRouteRemove>(o[1]), mn_op::DefaultRouteRemove{kWlan});
  EXPECT_EQ(agent_->addresses().size(), 1u);
  EXPECT_EQ(agent_->counters().routers_expired, 1u);
}

TEST_F(MnAgentTest, LateTimeoutIsAppliedBeforeTheNextCommand) {
  up(kWlan, "wlan0", std::nullopt, 0);
  ra(kWlan, kHnp1, 30);
  drain();
  advance(seconds(45));  // the caller missed the deadline
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"RED"})), std::nullopt);
  auto o = ops();
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(std::get<mn_op::AddressRemove>(o[0]), (mn_op::AddressRemove{kWlan, pfx("2001:db8:1:1::1/64")}));
}

TEST_F(MnAgentTest, DefaultUplinkIsHighestIfpInterface) {
  up(kWlan, "wlan0", std::nullopt, 10);
  ra(kWlan, kHnp1);
  up(kLte, "lte0", std::nullopt, 20);
  drain();
  ra(kLte, kHnp2);
  auto routes = ops_of<mn_op::DefaultRoute>();
  ASSERT_EQ(routes.size(), 2u);  // lte0 first at the base metric, wlan0 pushed back
  EXPECT_EQ(routes[0], (mn_op::DefaultRoute{kLte, kMag2, 1024}));
  EXPECT_EQ(routes[1], (mn_op::DefaultRoute{kWlan, kMag1, 1025}));
  EXPECT_EQ(agent_->default_uplink(), kLte);
}

TEST_F(MnAgentTest, EqualIfpGoesToThePrimaryHoaInterfaceThenTheLowestId) {
  up(kWlan, "wlan0", std::nullopt, 5);
  up(kLte, "lte0", std::nullopt, 5);
  up(kEth, "eth0", std::nullopt, 5);
  ra(kLte, kHnp2);  // first HoA: lte0 holds the primary HoA
  ra(kEth, pfx("2001:db8:1:3::/64"));
  ra(kWlan, kHnp1);
  auto routes = ops_of<mn_op::DefaultRoute>();
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0], (mn_op::DefaultRoute{kLte, kMag2, 1024}));
  EXPECT_EQ(routes[2], (mn_op::DefaultRoute{kWlan, kMag1, 1025}));  // lower id than eth0
  EXPECT_EQ(routes[3], (mn_op::DefaultRoute{kEth, kMag1, 1026}));
  EXPECT_EQ(agent_->default_uplink(), kLte);
  drain();
  ASSERT_EQ(agent_->interface_down(now(), kLte), std::nullopt);
  // The primary HoA moves to eth0's address (the oldest left), and the tie with it.
  EXPECT_EQ(agent_->primary_interface(), kEth);
  EXPECT_EQ(agent_->default_uplink(), kEth);
}

TEST_F(MnAgentTest, InterfaceRuleUsesItsInterfaceWhileUsable) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), UplinkRule{7, 100, web(), ToInterface{kLte}}), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(),
            (std::vector<mn_op::UplinkRuleSet>{{7, 100, web(), kLte, false}}));
  EXPECT_EQ(agent_->resolution(7), (RuleResolution{kLte, false}));
  ASSERT_EQ(agent_->interface_down(now(), kLte), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(), (std::vector<mn_op::UplinkRuleSet>{{7, 100, web(), kWlan, true}}));
}

TEST_F(MnAgentTest, LabelRuleFallsBackToNextLabelWhenRedIsDown) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"RED", "BLUE"})), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(),
            (std::vector<mn_op::UplinkRuleSet>{{1, 10, web(), kWlan, false}}));
  events();
  ASSERT_EQ(agent_->interface_down(now(), kWlan), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(),
            (std::vector<mn_op::UplinkRuleSet>{{1, 10, web(), kLte, false}}));  // BLUE, not a fallback
  bool reported = false;
  for (const auto& e : events()) {
    if (e.kind == MnEventKind::kRuleResolved) {
      EXPECT_EQ(e.rule, 1u);
      EXPECT_EQ(e.iface, kLte);
      EXPECT_EQ(e.detail, "labels RED,BLUE -> lte0");
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
  up(kWlan, "wlan0", "RED", 20);
  ra(kWlan, kHnp1);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(),
            (std::vector<mn_op::UplinkRuleSet>{{1, 10, web(), kWlan, false}}));
}

TEST_F(MnAgentTest, LabelRuleWithNoLiveLabelFollowsTheDefaultUplink) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"GREEN"})), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(),
            (std::vector<mn_op::UplinkRuleSet>{{1, 10, web(), kWlan, true}}));
  ASSERT_EQ(agent_->set_priority(now(), kLte, 30), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(), (std::vector<mn_op::UplinkRuleSet>{{1, 10, web(), kLte, true}}));
  EXPECT_EQ(agent_->resolution(1), (RuleResolution{kLte, true}));
}

TEST_F(MnAgentTest, RuleWithoutAnyUsableInterfaceIsSuspendedUntilOneComesBack) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"RED"})), std::nullopt);
  drain();
  ASSERT_EQ(agent_->interface_down(now(), kWlan), std::nullopt);
  ASSERT_EQ(agent_->interface_down(now(), kLte), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleRemove>(), (std::vector<mn_op::UplinkRuleRemove>{{1}}));
  EXPECT_EQ(agent_->resolution(1), RuleResolution{});
  EXPECT_EQ(agent_->counters().rule_suspensions, 1u);
  up(kLte, "lte0", "BLUE", 10);
  EXPECT_TRUE(ops_of<mn_op::UplinkRuleSet>().empty());  // up but no router yet: not usable
  ra(kLte, kHnp2);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleSet>(), (std::vector<mn_op::UplinkRuleSet>{{1, 10, web(), kLte, true}}));
}

TEST_F(MnAgentTest, RemovedRuleIsUninstalled) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"BLUE"})), std::nullopt);
  drain();
  ASSERT_EQ(agent_->remove_rule(now(), 1), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::UplinkRuleRemove>(), (std::vector<mn_op::UplinkRuleRemove>{{1}}));
  EXPECT_EQ(agent_->resolution(1), std::nullopt);
  expect_refused(agent_->remove_rule(now(), 1), "unknown rule 1");
}

TEST_F(MnAgentTest, InterfaceDownOrdersRuleMovesBeforeRouteAndAddressRemovals) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"RED", "BLUE"})), std::nullopt);
  drain();
  ASSERT_EQ(agent_->interface_down(now(), kWlan), std::nullopt);
  auto o = ops();
  ASSERT_EQ(o.size(), 5u);
  EXPECT_EQ(std::get<mn_op::DefaultRoute>(o[0]), (mn_op::DefaultRoute{kLte, kMag2, 1024}));
  EXPECT_EQ(std::get<mn_op::DefaultUplink>(o[1]), mn_op::DefaultUplink{kLte});
  EXPECT_EQ(std::get<mn_op::UplinkRuleSet>(o[2]).iface, kLte);
  EXPECT_EQ(std::get<mn_op::DefaultRouteRemove>(o[3]), mn_op::DefaultRouteRemove{kWlan});
  EXPECT_EQ(std::get<mn_op::AddressRemove>(o[4]), (mn_op::AddressRemove{kWlan, pfx("2001:db8:1:1::1/64")}));
}

TEST_F(MnAgentTest, DuplicateRulePriorityIsRefusedAndChangesNothing) {
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"RED"})), std::nullopt);
  drain();
  expect_refused(agent_->set_rule(now(), label_rule(2, 10, {"BLUE"})), "priority 10 already used by rule 1");
  EXPECT_EQ(agent_->rules().size(), 1u);
  // Replacing rule 1 itself at the same priority is fine.
  EXPECT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"BLUE"})), std::nullopt);
  EXPECT_EQ(agent_->counters().commands_rejected, 1u);
}

TEST_F(MnAgentTest, MalformedRulesAreRefused) {
  two_interfaces(20, 10);
  expect_refused(agent_->set_rule(now(), UplinkRule{0, 1, web(), ToInterface{kWlan}}), "rule id 0");
  expect_refused(agent_->set_rule(now(), UplinkRule{1, 1, web(), ToInterface{9}}), "unknown interface 9");
  expect_refused(agent_->set_rule(now(), UplinkRule{1, 1, web(), ToInterface{kLogicalInterface}}),
                 "physical interfaces");
  expect_refused(agent_->set_rule(now(), label_rule(1, 1, {})), "empty label list");
  wire::Ipv6TrafficSelector inverted;
  inverted.dst_port = wire::Bound<std::uint16_t>{5010, std::uint16_t{5000}};
  expect_refused(agent_->set_rule(now(), UplinkRule{1, 1, inverted, ToInterface{kWlan}}), "dst-port range");
  expect_refused(agent_->set_rule(now(), UplinkRule{1, 1, wire::RawTrafficSelector{7, {}}, ToInterface{kWlan}}),
                 "format 7");
  EXPECT_EQ(agent_->rules().size(), 0u);
  EXPECT_EQ(agent_->counters().commands_rejected, 6u);
}

TEST_F(MnAgentTest, UnknownOrDownInterfaceIsRefused) {
  up(kWlan, "wlan0", std::nullopt, 0);
  ra(kWlan, kHnp1);
  drain();
  expect_refused(agent_->handle_router_advertisement(now(), {9, kMag1, 1800, {PrefixInfo{kHnp2, 60, true}}}),
                 "unknown interface 9");
  expect_refused(agent_->handle_router_advertisement(now(), {kWlan, addr("2001:db8::1"), 1800, {}}),
                 "not link-local");
  expect_refused(agent_->interface_down(now(), 9), "unknown interface 9");
  expect_refused(agent_->set_priority(now(), 9, 1), "unknown interface 9");
  InterfaceInfo dup;
  dup.id = kWlan;
  dup.name = "wlan0";
  dup.iid = iid(1);
  expect_refused(agent_->interface_up(now(), dup), "already up");
  dup.id = kLte;
  expect_refused(agent_->interface_up(now(), dup), "name wlan0 belongs to up interface 1");
  dup.name = "lte0";
  dup.iid.reset();
  expect_refused(agent_->interface_up(now(), dup), "neither an interface identifier");
  dup.iid = InterfaceIdentifier{};
  expect_refused(agent_->interface_up(now(), dup), "subnet-router anycast");
  dup.id = kLogicalInterface;
  expect_refused(agent_->interface_up(now(), dup), "logical interface");
  EXPECT_EQ(agent_->addresses(), (std::vector<MnAddress>{{kWlan, pfx("2001:db8:1:1::1/64")}}));
  EXPECT_EQ(agent_->counters().commands_rejected, 9u);
}

TEST_F(MnAgentTest, IfpOnDownInterfaceIsRefused) {
  make(Addressing::kPerInterface, true);
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->interface_down(now(), kLte), std::nullopt);
  drain();
  expect_refused(agent_->set_priority(now(), kLte, 50), "interface 2 is down");
  EXPECT_EQ(agent_->default_uplink(), kWlan);
}

TEST_F(MnAgentTest, InterfaceUpTellsItsMagTheInitialIfp) {
  make(Addressing::kPerInterface, true);
  up(kWlan, "wlan0", std::nullopt, 40);
  EXPECT_EQ(indications(), (std::vector<HandoverIndication>{{kWlan, 40, false}}));
  ra(kWlan, kHnp1);  // the first HoA makes wlan0 the primary interface: its MAG learns P
  EXPECT_EQ(indications(), (std::vector<HandoverIndication>{{kWlan, 40, true}}));
}

TEST_F(MnAgentTest, FirstConfiguredHoaIsPrimary) {
  make(Addressing::kPerInterface, true);
  two_interfaces(10, 10);
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:1::1"));
  EXPECT_EQ(agent_->primary_interface(), kWlan);
  ra(kLte, kHnp1);  // more addresses later do not change it
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:1::1"));
}

TEST_F(MnAgentTest, NonPrimaryInterfaceAddsPrimaryHoaOption) {
  make(Addressing::kPerInterface, true);
  up(kWlan, "wlan0", "RED", 20);
  ra(kWlan, kHnp1);
  up(kLte, "lte0", "BLUE", 10);
  ra(kLte, kHnp2);
  // lte0 packets from the primary HoA leave as 2001:db8:1:2::2 + option(2001:db8:1:1::1);
  // wlan0 holds the primary HoA and never gets a rule.
  EXPECT_EQ(ops_of<mn_op::PrimaryHoaEgressSet>(),
            (std::vector<mn_op::PrimaryHoaEgressSet>{{kLte, addr("2001:db8:1:1::1"), addr("2001:db8:1:2::2")}}));
  ASSERT_EQ(agent_->interface_down(now(), kLte), std::nullopt);
  EXPECT_EQ(ops_of<mn_op::PrimaryHoaEgressRemove>(), (std::vector<mn_op::PrimaryHoaEgressRemove>{{kLte}}));
}

TEST_F(MnAgentTest, LogicalInterfaceNeedsNoPrimaryHoaOption) {
  make(Addressing::kLogical, true);
  up(kWlan, "wlan0", std::nullopt, 20);
  up(kLte, "lte0", std::nullopt, 10);
  ra(kWlan, kHnp1);
  ra(kLte, kHnp1);
  EXPECT_TRUE(ops_of<mn_op::PrimaryHoaEgressSet>().empty());  // seed 003 §5.3
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:1::99"));
  EXPECT_EQ(agent_->primary_interface(), kWlan);  // advertised the prefix first
}

TEST_F(MnAgentTest, LogicalInterfaceMovesOnlyThePFlag) {
  make(Addressing::kLogical, true);
  up(kWlan, "wlan0", std::nullopt, 20);
  up(kLte, "lte0", std::nullopt, 10);
  ra(kWlan, kHnp1);
  ra(kLte, kHnp1);
  drain();
  ASSERT_EQ(agent_->set_priority(now(), kLte, 10, true), std::nullopt);
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:1::99"));  // one address: it stays primary
  EXPECT_EQ(agent_->primary_interface(), kLte);
  EXPECT_EQ(indications(), (std::vector<HandoverIndication>{{kWlan, 20, false}, {kLte, 10, true}}));
  EXPECT_TRUE(ops_of<mn_op::PrimaryHoaEgressSet>().empty());
}

TEST_F(MnAgentTest, RoutingHeaderHonoredOnlyForOwnPrimaryHoa) {
  make(Addressing::kPerInterface, true);
  up(kWlan, "wlan0", "RED", 20);
  ra(kWlan, kHnp1);
  up(kLte, "lte0", "BLUE", 10);
  drain();
  ra(kLte, kHnp2);
  auto policy = ops_of<mn_op::RoutingHeaderPolicy>();
  ASSERT_EQ(policy.size(), 1u);
  EXPECT_EQ(policy[0].primary_hoa, addr("2001:db8:1:1::1"));
  EXPECT_EQ(policy[0].destinations,
            (std::vector<wire::Ipv6Address>{addr("2001:db8:1:1::1"), addr("2001:db8:1:2::2")}));
  EXPECT_TRUE(agent_->honors_routing_header(addr("2001:db8:1:2::2"), addr("2001:db8:1:1::1")));
  EXPECT_FALSE(agent_->honors_routing_header(addr("2001:db8:1:1::1"), addr("2001:db8:1:2::2")));  // not primary
  EXPECT_FALSE(agent_->honors_routing_header(addr("2001:db8:9::1"), addr("2001:db8:1:1::1")));    // not ours
  EXPECT_FALSE(agent_->honors_routing_header(addr("2001:db8:1:2::2"), addr("2001:db8:1:2::9")));
}

TEST_F(MnAgentTest, RoutingHeadersAreNotHonoredWithTheSchemeDisabled) {
  two_interfaces(20, 10);
  EXPECT_FALSE(agent_->honors_routing_header(addr("2001:db8:1:2::2"), addr("2001:db8:1:1::1")));
  ra(kLte, kHnp1);
  EXPECT_TRUE(ops_of<mn_op::RoutingHeaderPolicy>().empty());
  EXPECT_TRUE(indications().empty());
}

TEST_F(MnAgentTest, RaisedIfpSendsHandoverIndicationAndMovesDefaultUplink) {
  make(Addressing::kPerInterface, true);
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_rule(now(), label_rule(1, 10, {"GREEN"})), std::nullopt);
  drain();
  ASSERT_EQ(agent_->set_priority(now(), kLte, 30), std::nullopt);  // seed 003 §6.2: IFP2 > IFP1
  EXPECT_EQ(indications(), (std::vector<HandoverIndication>{{kLte, 30, false}}));
  auto o = ops();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(std::get<mn_op::DefaultRoute>(o[0]), (mn_op::DefaultRoute{kLte, kMag2, 1024}));
  EXPECT_EQ(std::get<mn_op::DefaultRoute>(o[1]), (mn_op::DefaultRoute{kWlan, kMag1, 1025}));
  EXPECT_EQ(std::get<mn_op::DefaultUplink>(o[2]), mn_op::DefaultUplink{kLte});
  EXPECT_EQ(std::get<mn_op::UplinkRuleSet>(o[3]), (mn_op::UplinkRuleSet{1, 10, web(), kLte, true}));
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:1::1"));  // IFP does not move the primary HoA
  // The same settings again: nothing to tell anyone.
  ASSERT_EQ(agent_->set_priority(now(), kLte, 30), std::nullopt);
  EXPECT_TRUE(indications().empty());
  EXPECT_TRUE(ops().empty());
  // Two at up, one when wlan0 got the primary HoA, one here.
  EXPECT_EQ(agent_->counters().handover_indications, 4u);
}

TEST_F(MnAgentTest, SettingPMovesThePrimaryHoaAndTellsBothMags) {
  make(Addressing::kPerInterface, true);
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->set_priority(now(), kLte, 10, true), std::nullopt);
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:2::2"));
  EXPECT_EQ(indications(), (std::vector<HandoverIndication>{{kWlan, 20, false}, {kLte, 10, true}}));
  EXPECT_EQ(ops_of<mn_op::PrimaryHoaEgressSet>(),
            (std::vector<mn_op::PrimaryHoaEgressSet>{{kWlan, addr("2001:db8:1:2::2"), addr("2001:db8:1:1::1")}}));
}

TEST_F(MnAgentTest, ClearingPOnThePrimaryInterfaceIsRefused) {
  make(Addressing::kPerInterface, true);
  two_interfaces(20, 10);
  expect_refused(agent_->set_priority(now(), kWlan, 50, false), "holds the primary HoA");
  EXPECT_EQ(agent_->default_uplink(), kWlan);
  EXPECT_EQ(agent_->primary_interface(), kWlan);
}

TEST_F(MnAgentTest, PFlagNeedsThePrimaryHoaScheme) {
  two_interfaces(20, 10);
  expect_refused(agent_->set_priority(now(), kLte, 10, true), "scheme is disabled");
  ASSERT_EQ(agent_->set_priority(now(), kLte, 30), std::nullopt);  // IFP alone still ranks uplinks
  EXPECT_EQ(agent_->default_uplink(), kLte);
  EXPECT_TRUE(indications().empty());
}

TEST_F(MnAgentTest, PrimaryInterfaceDownHandsPrimaryHoaToTheOldestRemainingAddress) {
  make(Addressing::kPerInterface, true);
  two_interfaces(20, 10);
  ASSERT_EQ(agent_->interface_down(now(), kWlan), std::nullopt);
  EXPECT_EQ(agent_->primary_hoa(), addr("2001:db8:1:2::2"));
  EXPECT_EQ(indications(), (std::vector<HandoverIndication>{{kLte, 10, true}}));
  EXPECT_EQ(ops_of<mn_op::PrimaryHoaEgressRemove>(), (std::vector<mn_op::PrimaryHoaEgressRemove>{{kLte}}));
}

}  // namespace
}  // namespace pmipx::core
