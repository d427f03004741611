#include "daemon/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace pmipx::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

wire::Ipv6Address v6(const char* s) {
  return *wire::Ipv6Address::parse(s);
}
wire::Ipv6Prefix p6(const char* s) {
  return *wire::Ipv6Prefix::parse(s);
}

// The message of the ConfigError `f` throws, or a note that it threw none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}
std::string lma_error(const std::string& yaml) {
  return error_of([&] { parse_lma_config(yaml, "lma.yaml"); });
}
std::string mag_error(const std::string& yaml) {
  return error_of([&] { parse_mag_config(yaml, "mag.yaml"); });
}
std::string mn_error(const std::string& yaml) {
  return error_of([&] { parse_mn_config(yaml, "mn.yaml"); });
}

std::string example(const char* name) {
  return std::string(PMIPX_SOURCE_DIR) + "/docs/examples/" + name;
}

// Smallest valid files; tests append to them (line numbers below count from these).
const std::string kLma =
    "address: 2001:db8:ffff::1\n"             // 1
    "mags: [2001:db8:1::2, 2001:db8:2::2]\n"  // 2
    "pool: {prefix: 2001:db8:8000::/48}\n";   // 3
const std::string kMag =
    "lma: 2001:db8:ffff::1\n"               // 1
    "proxy_coa: 2001:db8:1::2\n"            // 2
    "access_links: [{interface: acc1}]\n";  // 3
const std::string kMn =
    "id: mn1@example.com\n"                 // 1
    "interfaces:\n"                         // 2
    "  - {interface: if1, label: RED}\n"    // 3
    "  - {interface: if2, label: BLUE}\n";  // 4

// ---------------------------------------------------------------- error format and files

TEST(ConfigError, WhatReadsFileLineKeyMessage) {
  ConfigError e("lma.yaml", 12, "mns[1].prefixes[0]", "not an IPv6 prefix: \"2001:db8::/129\"");
  EXPECT_STREQ(e.what(), "lma.yaml:12: mns[1].prefixes[0]: not an IPv6 prefix: \"2001:db8::/129\"");
  EXPECT_EQ(e.file(), "lma.yaml");
  EXPECT_EQ(e.line(), 12);
  EXPECT_EQ(e.key(), "mns[1].prefixes[0]");
}

TEST(ConfigError, LineZeroAndEmptyKeyAreLeftOut) {
  EXPECT_STREQ(ConfigError("x.yaml", 0, "", "cannot open").what(), "x.yaml: cannot open");
  EXPECT_STREQ(ConfigError("x.yaml", 3, "", "YAML syntax error: bad").what(),
               "x.yaml:3: YAML syntax error: bad");
  EXPECT_STREQ(ConfigError("x.yaml", 0, "mag_id", "required").what(), "x.yaml: mag_id: required");
}

TEST(ConfigFile, MissingFileIsErrorWithoutLine) {
  try {
    load_lma_config("/nonexistent/lma.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_STREQ(e.what(), "/nonexistent/lma.yaml: cannot open: No such file or directory");
  }
}

TEST(ConfigFile, DirectoryIsNotAConfiguration) {
  EXPECT_EQ(error_of([] { load_mn_config("/tmp"); }), "/tmp: cannot read: is a directory");
}

TEST(ConfigFile, MessagesNameThePathGiven) {
  auto path = std::filesystem::temp_directory_path() / "pmipx_config_test_mn.yaml";
  {
    std::ofstream out(path);
    out << kMn << "ruls: []\n";
  }
  EXPECT_EQ(error_of([&] { load_mn_config(path.string()); }),
            path.string() +
                ":5: ruls: unknown key; expected one of: id, addressing, primary_hoa, "
                "route_metric_base, interfaces, rules, rs_interval_ms, dataplane, api, log");
  std::filesystem::remove(path);
}

TEST(ConfigFile, SyntaxErrorHasItsLine) {
  EXPECT_EQ(lma_error(kLma + "mns: [\n  {id: a\n"),
            "lma.yaml:6: YAML syntax error: end of map flow not found");
}

TEST(ConfigFile, EmptyFileIsAnError) {
  EXPECT_EQ(lma_error(""), "lma.yaml: empty configuration");
  EXPECT_EQ(lma_error("# nothing but a comment\n"), "lma.yaml: empty configuration");
}

TEST(ConfigFile, TopLevelMustBeAMapping) {
  EXPECT_EQ(mn_error("- a\n- b\n"), "mn.yaml:1: expected a mapping at the top level, got a list");
}

TEST(ConfigFile, OneDocumentOnly) {
  EXPECT_EQ(mn_error(kMn + "---\nid: other\n"),
            "mn.yaml:6: more than one YAML document; expected one");
}

TEST(ConfigFile, DuplicateKeyIsRejected) {
  EXPECT_EQ(lma_error(kLma + "address: 2001:db8:ffff::2\n"),
            "lma.yaml:4: address: duplicate key (first at line 1)");
}

TEST(ConfigExamples, LmaExampleLoads) {
  auto c = load_lma_config(example("lma.yaml"));
  EXPECT_EQ(c.engine.address, v6("2001:db8:ffff::1"));
  EXPECT_EQ(c.mags.size(), 3u);
  ASSERT_EQ(c.mns.size(), 2u);
  EXPECT_EQ(c.mns[0].multipath.rules.size(), 1u);
  EXPECT_EQ(c.mns[0].attach_flows.size(), 1u);
  EXPECT_EQ(c.api.port, 7780);
}

TEST(ConfigExamples, MagExampleLoads) {
  auto c = load_mag_config(example("mag.yaml"));
  EXPECT_EQ(c.engine.proxy_coa, v6("2001:db8:1::2"));
  EXPECT_EQ(c.engine.wan_links.size(), 2u);
  EXPECT_EQ(c.access_links.size(), 2u);
  EXPECT_EQ(c.mns.size(), 2u);
  EXPECT_EQ(c.api.port, 7781);
}

TEST(ConfigExamples, MnExampleLoads) {
  auto c = load_mn_config(example("mn.yaml"));
  EXPECT_EQ(c.id, core::MnId::nai("mn1@example.com"));
  EXPECT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(c.api.port, 7782);
}

// ---------------------------------------------------------------- LMA

TEST(LmaConfig, MinimalFileGetsEngineDefaults) {
  auto c = parse_lma_config(kLma, "lma.yaml");
  core::LmaConfig defaults;
  EXPECT_EQ(c.engine.address, v6("2001:db8:ffff::1"));
  EXPECT_EQ(c.mags, (std::vector<wire::Ipv6Address>{v6("2001:db8:1::2"), v6("2001:db8:2::2")}));
  EXPECT_EQ(c.pool, p6("2001:db8:8000::/48"));
  EXPECT_EQ(c.pool_delegated_length, 64);
  EXPECT_EQ(c.engine.timestamps, defaults.timestamps);
  EXPECT_EQ(c.engine.timestamp_window, defaults.timestamp_window);
  EXPECT_EQ(c.engine.max_lifetime_s, defaults.max_lifetime_s);
  EXPECT_FALSE(c.engine.fixed_mag_link_local);
  EXPECT_EQ(c.engine.codec.muho_option_type, 18);
  EXPECT_TRUE(c.mns.empty());
  EXPECT_EQ(c.api.address, "127.0.0.1");
  EXPECT_EQ(c.api.port, 7780);
  EXPECT_TRUE(c.api.enabled);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.file, "");
}

TEST(LmaConfig, EveryKeyReachesItsField) {
  auto c = parse_lma_config(
      kLma +
          "timestamps: false\n"
          "mn_generated_timestamps: true\n"
          "timestamp_window_ms: 500\n"
          "min_delay_before_bce_delete_ms: 2000\n"
          "max_delay_before_new_bce_assign_ms: 700\n"
          "wait_on_unknown_handoff: false\n"
          "max_lifetime_s: 600\n"
          "fixed_mag_link_local: fe80::99\n"
          "fmi_flow_information: false\n"
          "multipath: false\n"
          "upn_retransmit_delay_ms: 250\n"
          "upn_max_retransmissions: 5\n"
          "muho_option_type: 200\n"
          "mns:\n"
          "  - id: mn1@example.com\n"
          "    proxy_enabled: false\n"
          "    allowed_mags: [2001:db8:2::2]\n"
          "    prefixes: [2001:db8:1000:1::/64, 2001:db8:1000:2::/64]\n"
          "    prefixes_per_session: 2\n"
          "    features: {shared_prefixes: true, muho: true, multipath: true, primary_hoa: true}\n"
          "    multipath: {distribution: per-packet, weights: {1: 3}, rules: [{id: 4, priority: 9, "
          "selector: {}, labels: [1, 2]}]}\n"
          "    attach_flows: [{att: eutran, fid: 7, priority: 3, selector: {protocol: udp}}]\n"
          "api: {address: '::1', port: 9000, enabled: false}\n"
          "log: {level: debug, file: /var/log/pmipx-lma.log}\n",
      "lma.yaml");
  EXPECT_FALSE(c.engine.timestamps);
  EXPECT_TRUE(c.engine.mn_generated_timestamps);
  EXPECT_EQ(c.engine.timestamp_window, milliseconds(500));
  EXPECT_EQ(c.engine.min_delay_before_bce_delete, milliseconds(2000));
  EXPECT_EQ(c.engine.max_delay_before_new_bce_assign, milliseconds(700));
  EXPECT_FALSE(c.engine.wait_on_unknown_handoff);
  EXPECT_EQ(c.engine.max_lifetime_s, 600u);
  EXPECT_EQ(c.engine.fixed_mag_link_local, v6("fe80::99"));
  EXPECT_FALSE(c.engine.fmi_flow_information);
  EXPECT_FALSE(c.engine.multipath);
  EXPECT_EQ(c.engine.upn_retransmit_delay, milliseconds(250));
  EXPECT_EQ(c.engine.upn_max_retransmissions, 5u);
  EXPECT_EQ(c.engine.codec.muho_option_type, 200);
  ASSERT_EQ(c.mns.size(), 1u);
  const auto& mn = c.mns[0];
  EXPECT_EQ(mn.id, core::MnId::nai("mn1@example.com"));
  EXPECT_FALSE(mn.proxy_enabled);
  EXPECT_EQ(mn.allowed_mags, std::vector<wire::Ipv6Address>{v6("2001:db8:2::2")});
  EXPECT_EQ(mn.static_prefixes, (std::vector<wire::Ipv6Prefix>{p6("2001:db8:1000:1::/64"),
                                                               p6("2001:db8:1000:2::/64")}));
  EXPECT_EQ(mn.prefixes_per_session, 2u);
  EXPECT_TRUE(mn.features.shared_prefixes && mn.features.muho && mn.features.multipath &&
              mn.features.primary_hoa);
  EXPECT_EQ(mn.multipath.distribution, core::Distribution::kPerPacket);
  EXPECT_EQ(mn.multipath.weight(1), 3);
  EXPECT_EQ(mn.multipath.weight(2), 1);
  ASSERT_EQ(mn.multipath.rules.size(), 1u);
  EXPECT_EQ(mn.multipath.rules[0].id, 4);
  EXPECT_EQ(mn.multipath.rules[0].priority, 9);
  EXPECT_EQ(mn.multipath.rules[0].labels, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(mn.multipath.rules[0].selector, wire::TrafficSelector{wire::Ipv6TrafficSelector{}});
  ASSERT_EQ(mn.attach_flows.size(), 1u);
  EXPECT_EQ(mn.attach_flows[0].att, wire::AccessTech::kEutran);
  EXPECT_EQ(mn.attach_flows[0].flow.fid, 7);
  EXPECT_EQ(mn.attach_flows[0].flow.priority, 3);
  EXPECT_TRUE(mn.attach_flows[0].flow.bids.empty());
  EXPECT_EQ(mn.attach_flows[0].flow.action, core::FlowAction::kForward);
  EXPECT_EQ(c.api.address, "::1");
  EXPECT_EQ(c.api.port, 9000);
  EXPECT_FALSE(c.api.enabled);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.file, "/var/log/pmipx-lma.log");
}

TEST(LmaConfig, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(lma_error(kLma + "mns:\n  - id: mn1@example.com\n    features: {muh: true}\n"),
            "lma.yaml:6: mns[0].features.muh: unknown key; expected one of: shared_prefixes, muho, "
            "multipath, "
            "primary_hoa");
  EXPECT_EQ(lma_error(kLma + "timestamp: true\n"),
            "lma.yaml:4: timestamp: unknown key; expected one of: address, mags, pool, timestamps, "
            "mn_generated_timestamps, timestamp_window_ms, min_delay_before_bce_delete_ms, "
            "max_delay_before_new_bce_assign_ms, wait_on_unknown_handoff, max_lifetime_s, "
            "fixed_mag_link_local, "
            "fmi_flow_information, multipath, upn_retransmit_delay_ms, upn_max_retransmissions, "
            "muho_option_type, mns, default_mn_profile, dataplane, api, "
            "log");
}

TEST(LmaConfig, BadPrefixNamesItsListPosition) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - {id: mn1@example.com, prefixes: [2001:db8:1000:1::/64]}\n"
                             "  - id: mn2@example.com\n"
                             "    prefixes:\n"
                             "      - 2001:db8::/129\n"),
            "lma.yaml:8: mns[1].prefixes[0]: not an IPv6 prefix: \"2001:db8::/129\"");
}

TEST(LmaConfig, PrefixWithHostBitsIsRejected) {
  EXPECT_EQ(lma_error(kLma + "mns: [{id: a, prefixes: [2001:db8:1000:1::1/64]}]\n"),
            "lma.yaml:4: mns[0].prefixes[0]: not an IPv6 prefix: \"2001:db8:1000:1::1/64\" (bits "
            "set after /64)");
}

TEST(LmaConfig, MnPrefixMustBeSlash64) {
  EXPECT_EQ(lma_error(kLma + "mns: [{id: a, prefixes: [2001:db8:1000::/56]}]\n"),
            "lma.yaml:4: mns[0].prefixes[0]: an MN prefix must be a /64, got /56");
}

TEST(LmaConfig, StaticPrefixInsidePoolIsRejected) {
  EXPECT_EQ(
      lma_error(kLma + "mns: [{id: a, prefixes: [2001:db8:8000:5::/64]}]\n"),
      "lma.yaml:4: mns[0].prefixes[0]: 2001:db8:8000:5::/64 is inside the pool 2001:db8:8000::/48");
}

TEST(LmaConfig, StaticPrefixOfTwoMnsIsRejected) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - {id: a, prefixes: [2001:db8:1000:1::/64]}\n"
                             "  - {id: b, prefixes: [2001:db8:1000:1::/64]}\n"),
            "lma.yaml:6: mns[1].prefixes[0]: 2001:db8:1000:1::/64 is already a prefix of MN \"a\"");
}

TEST(LmaConfig, StaticPrefixListedTwiceForOneMnIsRejected) {
  EXPECT_EQ(
      lma_error(kLma + "mns: [{id: a, prefixes: [2001:db8:1000:1::/64, 2001:db8:1000:1::/64]}]\n"),
      "lma.yaml:4: mns[0].prefixes[1]: 2001:db8:1000:1::/64 is listed twice");
}

TEST(LmaConfig, DuplicateMnIdIsRejected) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - id: mn1@example.com\n"
                             "  - id: mn1@example.com\n"),
            "lma.yaml:6: mns[1].id: duplicate MN id \"mn1@example.com\" (first at line 5)");
}

TEST(LmaConfig, MissingRequiredKeyIsNamed) {
  EXPECT_EQ(lma_error("mags: [2001:db8:1::2]\n"), "lma.yaml:1: address: missing required key");
  EXPECT_EQ(lma_error(kLma + "mns:\n  - proxy_enabled: true\n"),
            "lma.yaml:5: mns[0].id: missing required key");
}

TEST(LmaConfig, MagListMustNotBeEmpty) {
  EXPECT_EQ(lma_error("address: 2001:db8:ffff::1\nmags: []\n"),
            "lma.yaml:2: mags: at least one MAG is needed");
}

TEST(LmaConfig, DuplicateMagIsRejected) {
  EXPECT_EQ(lma_error("address: 2001:db8:ffff::1\nmags:\n  - 2001:db8:1::2\n  - 2001:db8:1::2\n"),
            "lma.yaml:4: mags[1]: duplicate MAG 2001:db8:1::2 (first at line 3)");
}

TEST(LmaConfig, AddressMustBeGlobalUnicast) {
  EXPECT_EQ(lma_error("address: fe80::1\nmags: [2001:db8:1::2]\n"),
            "lma.yaml:1: address: not a unicast address other nodes can reach: \"fe80::1\"");
  EXPECT_EQ(lma_error("address: lma.example.com\nmags: [2001:db8:1::2]\n"),
            "lma.yaml:1: address: not an IPv6 address: \"lma.example.com\"");
}

TEST(LmaConfig, AllowedMagMustBeAuthorized) {
  EXPECT_EQ(
      lma_error(kLma + "mns: [{id: a, allowed_mags: [2001:db8:7::2]}]\n"),
      "lma.yaml:4: mns[0].allowed_mags[0]: 2001:db8:7::2 is not an authorized MAG (not in mags)");
}

TEST(LmaConfig, PoolThatCannotBeSplitIsRejected) {
  EXPECT_EQ(lma_error("address: 2001:db8:ffff::1\nmags: [2001:db8:1::2]\npool: {prefix: "
                      "2001:db8::/32, length: 64}\n"),
            "lma.yaml:3: pool: cannot split 2001:db8::/32 into /64 prefixes (the length must be "
            "above /32, at most "
            "128, and the pool at most 2^24 prefixes)");
}

TEST(LmaConfig, PoolLengthDefaultsTo64AndCanBeSet) {
  auto c = parse_lma_config(
      "address: 2001:db8:ffff::1\nmags: [2001:db8:1::2]\npool: {prefix: 2001:db8:8000::/48, "
      "length: 60}\n",
      "lma.yaml");
  EXPECT_EQ(c.pool_delegated_length, 60);
}

TEST(LmaConfig, MnWithoutPrefixesNeedsPool) {
  EXPECT_EQ(lma_error("address: 2001:db8:ffff::1\nmags: [2001:db8:1::2]\nmns:\n  - id: a\n"),
            "lma.yaml:4: mns[0]: MN \"a\" has no prefixes and there is no pool to assign from");
}

TEST(LmaConfig, MultipathPolicyNeedsFeature) {
  EXPECT_EQ(lma_error(kLma + "mns: [{id: a, multipath: {distribution: per-flow}}]\n"),
            "lma.yaml:4: mns[0].multipath: a multipath policy needs features.multipath: true");
}

TEST(LmaConfig, DuplicateLabelRulePriorityUsesPolicyValidator) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - id: a\n"
                             "    features: {multipath: true}\n"
                             "    multipath:\n"
                             "      rules:\n"
                             "        - {id: 1, priority: 10, selector: {}, labels: [1]}\n"
                             "        - {id: 2, priority: 10, selector: {}, labels: [2]}\n"),
            "lma.yaml:10: mns[0].multipath.rules[1]: label rule priority 10 used twice");
}

TEST(LmaConfig, DuplicateLabelRuleIdUsesPolicyValidator) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - id: a\n"
                             "    features: {multipath: true}\n"
                             "    multipath:\n"
                             "      rules:\n"
                             "        - {id: 1, priority: 10, selector: {}, labels: [1]}\n"
                             "        - {id: 1, priority: 11, selector: {}, labels: [2]}\n"),
            "lma.yaml:10: mns[0].multipath.rules[1]: label rule id 1 used twice");
}

TEST(LmaConfig, LabelRuleWithoutLabelsUsesPolicyValidator) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - id: a\n"
                             "    features: {multipath: true}\n"
                             "    multipath:\n"
                             "      rules:\n"
                             "        - {id: 3, priority: 10, selector: {}, labels: []}\n"),
            "lma.yaml:9: mns[0].multipath.rules[0]: label rule 3 names no label");
}

TEST(LmaConfig, ZeroWeightUsesPolicyValidator) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - id: a\n"
                             "    features: {multipath: true}\n"
                             "    multipath:\n"
                             "      weights:\n"
                             "        2: 0\n"),
            "lma.yaml:9: mns[0].multipath.weights.2: label 2 has weight 0");
}

TEST(LmaConfig, DistributionMustBeKnown) {
  EXPECT_EQ(
      lma_error(
          kLma +
          "mns: [{id: a, features: {multipath: true}, multipath: {distribution: round-robin}}]\n"),
      "lma.yaml:4: mns[0].multipath.distribution: expected one of: per-flow, per-packet; got "
      "\"round-robin\"");
}

TEST(LmaConfig, AttachFlowPriorityClashUsesFlowCacheRules) {
  EXPECT_EQ(lma_error(kLma + "mns:\n"
                             "  - id: a\n"
                             "    attach_flows:\n"
                             "      - {att: eutran, fid: 1, priority: 10, selector: {}}\n"
                             "      - {att: wlan, fid: 2, priority: 10, selector: {}}\n"),
            "lma.yaml:8: mns[0].attach_flows[1]: FID-PRI 10 is used by FID 1");
}

TEST(LmaConfig, AttachFlowFidZeroUsesFlowCacheRules) {
  EXPECT_EQ(
      lma_error(kLma +
                "mns: [{id: a, attach_flows: [{att: wlan, fid: 0, priority: 1, selector: {}}]}]\n"),
      "lma.yaml:4: mns[0].attach_flows[0]: FID 0 is reserved");
}

TEST(LmaConfig, AttachFlowTwiceForOneAccessTechIsRejected) {
  EXPECT_EQ(
      lma_error(kLma + "mns:\n"
                       "  - id: a\n"
                       "    attach_flows:\n"
                       "      - {att: wlan, fid: 1, priority: 10, selector: {}}\n"
                       "      - {att: wlan, fid: 1, priority: 10, selector: {protocol: tcp}}\n"),
      "lma.yaml:8: mns[0].attach_flows[1]: flow 1 is already listed for this access technology");
}

TEST(LmaConfig, SameFlowMayMoveToSeveralAccessTechnologies) {
  auto c = parse_lma_config(kLma +
                                "mns:\n"
                                "  - id: a\n"
                                "    attach_flows:\n"
                                "      - {att: wlan, fid: 1, priority: 10, selector: {}}\n"
                                "      - {att: eutran, fid: 1, priority: 10, selector: {}}\n",
                            "lma.yaml");
  EXPECT_EQ(c.mns[0].attach_flows.size(), 2u);
}

TEST(LmaConfig, FixedMagLinkLocalMustBeLinkLocal) {
  EXPECT_EQ(
      lma_error(kLma + "fixed_mag_link_local: 2001:db8::1\n"),
      "lma.yaml:4: fixed_mag_link_local: not a link-local address (fe80::/10): \"2001:db8::1\"");
}

TEST(LmaConfig, MuhoOptionTypeMustNotBeAnotherOption) {
  EXPECT_EQ(lma_error(kLma + "muho_option_type: 22\n"),
            "lma.yaml:4: muho_option_type: type 22 is the HNP option; use 18 (experimental) or an "
            "unassigned type");
  EXPECT_EQ(lma_error(kLma + "muho_option_type: 1\n"),
            "lma.yaml:4: muho_option_type: must be between 2 and 255, got 1");
}

TEST(LmaConfig, WrongTypeIsReported) {
  EXPECT_EQ(lma_error(kLma + "timestamps: yes\n"),
            "lma.yaml:4: timestamps: expected true or false, got \"yes\"");
  EXPECT_EQ(lma_error(kLma + "max_lifetime_s: 1h\n"),
            "lma.yaml:4: max_lifetime_s: expected an integer, got \"1h\"");
  EXPECT_EQ(lma_error(kLma + "mns: {id: a}\n"), "lma.yaml:4: mns: expected a list, got a mapping");
  EXPECT_EQ(lma_error(kLma + "pool: 2001:db8::/48\n"),
            "lma.yaml:4: pool: duplicate key (first at line 3)");
  EXPECT_EQ(lma_error("address: 2001:db8:ffff::1\nmags: [2001:db8:1::2]\npool: 2001:db8::/48\n"),
            "lma.yaml:3: pool: expected a mapping, got \"2001:db8::/48\"");
  EXPECT_EQ(lma_error(kLma + "api: {port: }\n"),
            "lma.yaml:4: api.port: expected an integer, got nothing");
}

TEST(LmaConfig, OutOfRangeNumberIsReported) {
  EXPECT_EQ(lma_error(kLma + "max_lifetime_s: 0\n"),
            "lma.yaml:4: max_lifetime_s: must be between 4 and 262140, got 0");
  EXPECT_EQ(lma_error(kLma + "upn_max_retransmissions: -1\n"),
            "lma.yaml:4: upn_max_retransmissions: must be between 0 and 100, got -1");
  EXPECT_EQ(
      lma_error(kLma + "timestamp_window_ms: 99999999999999999999\n"),
      "lma.yaml:4: timestamp_window_ms: must be between 1 and 60000, got 99999999999999999999");
  EXPECT_EQ(lma_error(kLma + "mns: [{id: a, prefixes_per_session: 0}]\n"),
            "lma.yaml:4: mns[0].prefixes_per_session: must be between 1 and 255, got 0");
}

TEST(LmaConfig, ApiPortAbove65535IsRejected) {
  EXPECT_EQ(lma_error(kLma + "api: {port: 70000}\n"),
            "lma.yaml:4: api.port: must be between 0 and 65535, got 70000");
}

TEST(LmaConfig, ApiPortZeroMeansRoleDefault) {
  EXPECT_EQ(parse_lma_config(kLma + "api: {port: 0}\n", "lma.yaml").api.port, 7780);
}

TEST(LmaConfig, ApiAddressMustBeAnIpAddress) {
  EXPECT_EQ(parse_lma_config(kLma + "api: {address: 0.0.0.0}\n", "lma.yaml").api.address,
            "0.0.0.0");
  EXPECT_EQ(lma_error(kLma + "api: {address: localhost}\n"),
            "lma.yaml:4: api.address: not an IP address: \"localhost\"");
}

TEST(LmaConfig, LogLevelMustBeKnown) {
  EXPECT_EQ(lma_error(kLma + "log: {level: verbose}\n"),
            "lma.yaml:4: log.level: expected one of: trace, debug, info, warn, error, off; got "
            "\"verbose\"");
}

TEST(LmaConfig, MnIdLongerThanTheOptionIsRejected) {
  EXPECT_EQ(lma_error(kLma + "mns: [{id: " + std::string(255, 'a') + "}]\n"),
            "lma.yaml:4: mns[0].id: longer than 254 octets (255)");
}

// ---------------------------------------------------------------- traffic selectors

wire::Ipv6TrafficSelector selector_of(const std::string& flow_selector) {
  auto c = parse_lma_config(
      kLma + "mns: [{id: a, attach_flows: [{att: wlan, fid: 1, priority: 1, selector: " +
          flow_selector + "}]}]\n",
      "lma.yaml");
  return std::get<wire::Ipv6TrafficSelector>(c.mns.at(0).attach_flows.at(0).flow.selector);
}
std::string selector_error(const std::string& flow_selector) {
  return lma_error(kLma +
                   "mns: [{id: a, attach_flows: [{att: wlan, fid: 1, priority: 1, selector: " +
                   flow_selector + "}]}]\n");
}

TEST(Selector, MapsOntoRfc6088Fields) {
  auto ts = selector_of(
      "{src: 2001:db8::/64, dst: 2001:db8:8000:1::5, src_ports: \"1000-2000\", dst_ports: 80, "
      "protocol: tcp, "
      "flow_label: 5, traffic_class: 0-63, spi: 7}");
  ASSERT_TRUE(ts.src && ts.dst && ts.src_port && ts.dst_port && ts.next_header && ts.flow_label &&
              ts.traffic_class && ts.spi);
  EXPECT_EQ(*ts.src, (wire::Bound<wire::Ipv6Address>{v6("2001:db8::"),
                                                     v6("2001:db8::ffff:ffff:ffff:ffff")}));
  EXPECT_EQ(*ts.dst, (wire::Bound<wire::Ipv6Address>{v6("2001:db8:8000:1::5"), std::nullopt}));
  EXPECT_EQ(*ts.src_port, (wire::Bound<std::uint16_t>{1000, 2000}));
  EXPECT_EQ(*ts.dst_port, (wire::Bound<std::uint16_t>{80, std::nullopt}));
  EXPECT_EQ(*ts.next_header, (wire::Bound<std::uint8_t>{6, std::nullopt}));
  EXPECT_EQ(*ts.flow_label, (wire::Bound<std::uint32_t>{5, std::nullopt}));
  EXPECT_EQ(*ts.traffic_class, (wire::Bound<std::uint8_t>{0, 63}));
  EXPECT_EQ(*ts.spi, (wire::Bound<std::uint32_t>{7, std::nullopt}));
}

TEST(Selector, EmptyMappingMatchesEverything) {
  EXPECT_EQ(selector_of("{}"), wire::Ipv6TrafficSelector{});
}

TEST(Selector, ProtocolNamesAndNumbers) {
  EXPECT_EQ(selector_of("{protocol: udp}").next_header->start, 17);
  EXPECT_EQ(selector_of("{protocol: icmpv6}").next_header->start, 58);
  EXPECT_EQ(selector_of("{protocol: sctp}").next_header->start, 132);
  EXPECT_EQ(selector_of("{protocol: 47}").next_header->start, 47);
  EXPECT_EQ(selector_error("{protocol: quic}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.protocol: expected tcp, udp, icmpv6, sctp "
            "or a protocol "
            "number 0..255, got \"quic\"");
}

TEST(Selector, AddressRangesAndSingleHostPrefixes) {
  EXPECT_EQ(*selector_of("{src: 2001:db8::1-2001:db8::ff}").src,
            (wire::Bound<wire::Ipv6Address>{v6("2001:db8::1"), v6("2001:db8::ff")}));
  EXPECT_EQ(*selector_of("{dst: 2001:db8::7/128}").dst,
            (wire::Bound<wire::Ipv6Address>{v6("2001:db8::7"), std::nullopt}));
  EXPECT_EQ(
      *selector_of("{dst: 2001:db8::/63}").dst,
      (wire::Bound<wire::Ipv6Address>{v6("2001:db8::"), v6("2001:db8:0:1:ffff:ffff:ffff:ffff")}));
}

TEST(Selector, BackwardRangeIsRejected) {
  EXPECT_EQ(selector_error("{dst_ports: \"2000-1000\"}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.dst_ports: range \"2000-1000\" starts "
            "above its end");
  EXPECT_EQ(selector_error("{src: 2001:db8::9-2001:db8::1}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.src: range \"2001:db8::9-2001:db8::1\" "
            "starts above its end");
}

TEST(Selector, OutOfRangeFieldsAreRejected) {
  EXPECT_EQ(selector_error("{dst_ports: 70000}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.dst_ports: port 70000 is above 65535");
  EXPECT_EQ(selector_error("{flow_label: 1048576}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.flow_label: flow label 1048576 is above "
            "1048575");
  EXPECT_EQ(selector_error("{src_ports: \"1000-\"}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.src_ports: not a port or a port range: "
            "\"1000-\"");
}

TEST(Selector, UnknownFieldIsRejected) {
  EXPECT_EQ(selector_error("{dport: 80}"),
            "lma.yaml:4: mns[0].attach_flows[0].selector.dport: unknown key; expected one of: src, "
            "dst, src_ports, "
            "dst_ports, protocol, flow_label, traffic_class, spi");
}

// ---------------------------------------------------------------- MAG

TEST(MagConfig, MinimalFileGetsDefaults) {
  auto c = parse_mag_config(kMag, "mag.yaml");
  core::MagConfig defaults;
  EXPECT_EQ(c.engine.lmaa, v6("2001:db8:ffff::1"));
  EXPECT_EQ(c.engine.proxy_coa, v6("2001:db8:1::2"));
  EXPECT_TRUE(c.engine.wan_links.empty());
  EXPECT_TRUE(c.wan_links.empty());
  EXPECT_EQ(c.engine.fixed_link_local, v6("fe80::1"));
  EXPECT_EQ(c.engine.requested_lifetime_s, defaults.requested_lifetime_s);
  EXPECT_EQ(c.engine.refresh_percent, defaults.refresh_percent);
  EXPECT_EQ(c.engine.max_bindack_timeout, defaults.max_bindack_timeout);
  EXPECT_EQ(c.engine.mag_id, "");
  ASSERT_EQ(c.access_links.size(), 1u);
  EXPECT_EQ(c.access_links[0].interface, "acc1");
  EXPECT_EQ(c.access_links[0].att, wire::AccessTech::kEthernet);
  EXPECT_EQ(c.access_links[0].mn_id, "");
  EXPECT_EQ(c.router_lifetime_s, 1800u);
  EXPECT_EQ(c.ra_interval_s, 200u);
  EXPECT_EQ(c.prefix_valid_lifetime_s, 86400u);
  EXPECT_EQ(c.prefix_preferred_lifetime_s, 14400u);
  EXPECT_EQ(c.mtu, 0u);
  EXPECT_EQ(c.api.port, 7781);
}

TEST(MagConfig, EveryKeyReachesItsField) {
  auto c = parse_mag_config(
      "lma: 2001:db8:ffff::1\n"
      "mag_id: mag1@example.com\n"
      "wan_links: [{interface: wan0, address: 2001:db8:1::2, label: 1}]\n"
      "access_links: [{interface: acc1, att: wlan, mn: mn1@example.com}]\n"
      "mns: [{id: mn1@example.com, link_layer: ['02:00:00:00:01:01'], muho: true, multipath: true, "
      "shared_prefixes: true}]\n"
      "lifetime_s: 600\n"
      "timestamps: false\n"
      "initial_bindack_timeout_ms: 500\n"
      "max_bindack_timeout_ms: 8000\n"
      "report_after_transmissions: 3\n"
      "refresh_percent: 90\n"
      "link_local: fe80::2\n"
      "router_lifetime_s: 600\n"
      "ra_interval_s: 30\n"
      "prefix_valid_lifetime_s: 4294967295\n"
      "prefix_preferred_lifetime_s: 3600\n"
      "mtu: 1400\n"
      "multipath: {distribution: per-packet, weights: {1: 2}, rules: [{id: 1, priority: 1, "
      "selector: {}, labels: [1]}]}\n"
      "muho_option_type: 200\n"
      "log: {level: warn}\n",
      "mag.yaml");
  EXPECT_EQ(c.engine.mag_id, "mag1@example.com");
  EXPECT_EQ(c.engine.requested_lifetime_s, 600u);
  EXPECT_FALSE(c.engine.timestamps);
  EXPECT_EQ(c.engine.initial_bindack_timeout, milliseconds(500));
  EXPECT_EQ(c.engine.max_bindack_timeout, seconds(8));
  EXPECT_EQ(c.engine.report_after_transmissions, 3u);
  EXPECT_EQ(c.engine.refresh_percent, 90u);
  EXPECT_EQ(c.engine.fixed_link_local, v6("fe80::2"));
  EXPECT_EQ(c.router_lifetime_s, 600u);
  EXPECT_EQ(c.ra_interval_s, 30u);
  EXPECT_EQ(c.prefix_valid_lifetime_s, 4294967295u);
  EXPECT_EQ(c.prefix_preferred_lifetime_s, 3600u);
  EXPECT_EQ(c.mtu, 1400u);
  EXPECT_EQ(c.engine.multipath.distribution, core::Distribution::kPerPacket);
  EXPECT_EQ(c.engine.multipath.weight(1), 2);
  EXPECT_EQ(c.engine.multipath.rules.size(), 1u);
  EXPECT_EQ(c.engine.codec.muho_option_type, 200);
  ASSERT_EQ(c.mns.size(), 1u);
  EXPECT_EQ(c.mns[0].id, core::MnId::nai("mn1@example.com"));
  EXPECT_TRUE(c.mns[0].muho && c.mns[0].multipath && c.mns[0].shared_prefixes);
  EXPECT_EQ(c.access_links[0].att, wire::AccessTech::kWlan);
  EXPECT_EQ(c.access_links[0].mn_id, "mn1@example.com");
  EXPECT_EQ(c.log.level, "warn");
}

TEST(MagConfig, ProxyCoaDefaultsToFirstWanLink) {
  auto c = parse_mag_config(
      "lma: 2001:db8:ffff::1\n"
      "mag_id: mag1@example.com\n"
      "wan_links:\n"
      "  - {interface: wan0, address: 2001:db8:1::2, att: ethernet, label: 1}\n"
      "  - {interface: wan1, address: 2001:db8:3::2, att: eutran}\n"
      "access_links: [{interface: acc1}]\n",
      "mag.yaml");
  EXPECT_EQ(c.engine.proxy_coa, v6("2001:db8:1::2"));
  ASSERT_EQ(c.wan_links.size(), 2u);
  ASSERT_EQ(c.engine.wan_links.size(), 2u);
  EXPECT_EQ(c.wan_links[0].interface, "wan0");
  EXPECT_EQ(c.wan_links[1].interface, "wan1");
  EXPECT_EQ(c.engine.wan_links[0].proxy_coa, v6("2001:db8:1::2"));
  EXPECT_EQ(c.engine.wan_links[0].att, wire::AccessTech::kEthernet);
  EXPECT_EQ(c.engine.wan_links[0].label, 1);
  EXPECT_EQ(c.engine.wan_links[1].proxy_coa, v6("2001:db8:3::2"));
  EXPECT_EQ(c.engine.wan_links[1].att, wire::AccessTech::kEutran);
  EXPECT_EQ(c.engine.wan_links[1].label, 0);
}

TEST(MagConfig, ProxyCoaMustEqualFirstWanLink) {
  EXPECT_EQ(
      mag_error("lma: 2001:db8:ffff::1\n"
                "proxy_coa: 2001:db8:3::2\n"
                "wan_links: [{interface: wan0, address: 2001:db8:1::2}]\n"
                "access_links: [{interface: acc1}]\n"),
      "mag.yaml:2: proxy_coa: must equal wan_links[0].address (2001:db8:1::2) or be left out");
}

TEST(MagConfig, ProxyCoaRequiredWithoutWanLinks) {
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\naccess_links: [{interface: acc1}]\n"),
            "mag.yaml:1: proxy_coa: missing required key");
}

TEST(MagConfig, EmptyWanLinkListIsRejected) {
  EXPECT_EQ(mag_error(kMag + "wan_links: []\n"),
            "mag.yaml:4: wan_links: at least one WAN link is needed when wan_links is given");
}

TEST(MagConfig, WanLinkLabelAbove255IsRejected) {
  EXPECT_EQ(
      mag_error(kMag + "wan_links: [{interface: wan0, address: 2001:db8:1::2, label: 256}]\n"),
      "mag.yaml:4: wan_links[0].label: must be between 0 and 255, got 256");
}

TEST(MagConfig, DuplicateWanAddressIsRejected) {
  EXPECT_EQ(
      mag_error("lma: 2001:db8:ffff::1\n"
                "mag_id: m\n"
                "wan_links:\n"
                "  - {interface: wan0, address: 2001:db8:1::2}\n"
                "  - {interface: wan1, address: 2001:db8:1::2}\n"
                "access_links: [{interface: acc1}]\n"),
      "mag.yaml:5: wan_links[1].address: duplicate WAN address 2001:db8:1::2 (first at line 4)");
}

TEST(MagConfig, MagIdRequiredForMultipathMn) {
  EXPECT_EQ(
      mag_error(kMag + "mns:\n"
                       "  - id: mn1@example.com\n"
                       "    multipath: true\n"),
      "mag.yaml:6: mag_id: required when an MN has multipath: true (RFC 8278 MAG Identifier)");
}

TEST(MagConfig, MagIdRequiredForSeveralWanLinks) {
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\n"
                      "access_links: [{interface: acc1}]\n"
                      "wan_links:\n"
                      "  - {interface: wan0, address: 2001:db8:1::2}\n"
                      "  - {interface: wan1, address: 2001:db8:3::2}\n"),
            "mag.yaml:4: mag_id: required with more than one WAN link (RFC 8278 MAG Identifier)");
}

TEST(MagConfig, AccessLinksRequiredAndNonEmpty) {
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\nproxy_coa: 2001:db8:1::2\n"),
            "mag.yaml:1: access_links: missing required key");
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\nproxy_coa: 2001:db8:1::2\naccess_links: []\n"),
            "mag.yaml:3: access_links: at least one access link is needed");
}

TEST(MagConfig, AccessLinkMnMustBeListed) {
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\n"
                      "proxy_coa: 2001:db8:1::2\n"
                      "mns: [{id: mn1@example.com}]\n"
                      "access_links:\n"
                      "  - {interface: acc1, mn: mn2@example.com}\n"),
            "mag.yaml:5: access_links[0].mn: no MN \"mn2@example.com\" in mns");
}

TEST(MagConfig, InterfaceNameUsedTwiceIsRejected) {
  EXPECT_EQ(
      mag_error("lma: 2001:db8:ffff::1\n"
                "wan_links: [{interface: eth0, address: 2001:db8:1::2}]\n"
                "access_links:\n"
                "  - {interface: eth0}\n"),
      "mag.yaml:4: access_links[0].interface: duplicate interface \"eth0\" (first at line 2)");
  EXPECT_EQ(mag_error(kMag + "access_links: []\n"),
            "mag.yaml:4: access_links: duplicate key (first at line 3)");
}

TEST(MagConfig, InterfaceNameMustFitTheKernel) {
  EXPECT_EQ(
      mag_error("lma: 2001:db8:ffff::1\nproxy_coa: 2001:db8:1::2\naccess_links: [{interface: "
                "a-very-long-name0}]\n"),
      "mag.yaml:3: access_links[0].interface: not a valid interface name: \"a-very-long-name0\"");
}

TEST(MagConfig, DuplicateMnIdIsRejected) {
  EXPECT_EQ(mag_error(kMag + "mns:\n  - id: a\n  - id: a\n"),
            "mag.yaml:6: mns[1].id: duplicate MN id \"a\" (first at line 5)");
}

TEST(MagConfig, MacIsValidatedAndLowerCased) {
  auto c =
      parse_mag_config(kMag + "mns: [{id: a, link_layer: ['02:AB:cd:00:01:01']}]\n", "mag.yaml");
  EXPECT_EQ(c.mns[0].link_layer, std::vector<std::string>{"02:ab:cd:00:01:01"});
  EXPECT_EQ(mag_error(kMag + "mns: [{id: a, link_layer: ['02:00:00:00:01']}]\n"),
            "mag.yaml:4: mns[0].link_layer[0]: not a MAC address (aa:bb:cc:dd:ee:ff): "
            "\"02:00:00:00:01\"");
  EXPECT_EQ(mag_error(kMag + "mns: [{id: a, link_layer: ['03:00:00:00:01:01']}]\n"),
            "mag.yaml:4: mns[0].link_layer[0]: not a unicast MAC address: \"03:00:00:00:01:01\"");
}

TEST(MagConfig, MacUnderTwoMnsIsRejected) {
  EXPECT_EQ(mag_error(kMag + "mns:\n"
                             "  - {id: a, link_layer: ['02:00:00:00:01:01']}\n"
                             "  - {id: b, link_layer: ['02:00:00:00:01:01']}\n"),
            "mag.yaml:6: mns[1].link_layer[0]: 02:00:00:00:01:01 is already a link-layer address "
            "of MN \"a\"");
}

TEST(MagConfig, RefreshPercentOutside50To95IsRejected) {
  EXPECT_EQ(mag_error(kMag + "refresh_percent: 96\n"),
            "mag.yaml:4: refresh_percent: must be between 50 and 95, got 96");
  EXPECT_EQ(mag_error(kMag + "refresh_percent: 49\n"),
            "mag.yaml:4: refresh_percent: must be between 50 and 95, got 49");
}

TEST(MagConfig, LinkLocalMustBeLinkLocal) {
  EXPECT_EQ(mag_error(kMag + "link_local: 2001:db8::1\n"),
            "mag.yaml:4: link_local: not a link-local address (fe80::/10): \"2001:db8::1\"");
}

TEST(MagConfig, MaxBindackBelowInitialIsRejected) {
  EXPECT_EQ(mag_error(kMag + "initial_bindack_timeout_ms: 5000\nmax_bindack_timeout_ms: 4000\n"),
            "mag.yaml:5: max_bindack_timeout_ms: must not be below initial_bindack_timeout_ms");
}

TEST(MagConfig, RouterLifetimeBelowRaIntervalIsRejected) {
  EXPECT_EQ(mag_error(kMag + "ra_interval_s: 600\nrouter_lifetime_s: 300\n"),
            "mag.yaml:5: router_lifetime_s: must be 0 or at least ra_interval_s (600)");
  EXPECT_EQ(parse_mag_config(kMag + "router_lifetime_s: 0\n", "mag.yaml").router_lifetime_s, 0u);
  EXPECT_EQ(mag_error(kMag + "router_lifetime_s: 9001\n"),
            "mag.yaml:4: router_lifetime_s: must be between 0 and 9000, got 9001");
}

TEST(MagConfig, PreferredLifetimeAboveValidIsRejected) {
  EXPECT_EQ(
      mag_error(kMag + "prefix_valid_lifetime_s: 100\nprefix_preferred_lifetime_s: 200\n"),
      "mag.yaml:5: prefix_preferred_lifetime_s: must not exceed prefix_valid_lifetime_s (100)");
}

TEST(MagConfig, MtuBelow1280IsRejected) {
  EXPECT_EQ(mag_error(kMag + "mtu: 1000\n"),
            "mag.yaml:4: mtu: must be 0 (automatic) or 1280..65535, got 1000");
  EXPECT_EQ(mag_error(kMag + "mtu: 65536\n"),
            "mag.yaml:4: mtu: must be between 0 and 65535, got 65536");
}

TEST(MagConfig, LabelRuleMustNameAWanLabel) {
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\n"
                      "wan_links: [{interface: wan0, address: 2001:db8:1::2, label: 1}]\n"
                      "access_links: [{interface: acc1}]\n"
                      "multipath:\n"
                      "  rules:\n"
                      "    - id: 1\n"
                      "      priority: 1\n"
                      "      selector: {}\n"
                      "      labels: [1, 3]\n"),
            "mag.yaml:9: multipath.rules[0].labels[1]: no WAN link has label 3");
}

TEST(MagConfig, AccessTechnologyNamesAndNumbers) {
  auto c = parse_mag_config(
      "lma: 2001:db8:ffff::1\nproxy_coa: 2001:db8:1::2\n"
      "access_links: [{interface: a, att: nb-iot}, {interface: b, att: 1xrtt}, {interface: c, att: "
      "42}]\n",
      "mag.yaml");
  EXPECT_EQ(c.access_links[0].att, wire::AccessTech::kNbIot);
  EXPECT_EQ(c.access_links[1].att, wire::AccessTech::k1xRtt);
  EXPECT_EQ(static_cast<int>(c.access_links[2].att), 42);
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\nproxy_coa: 2001:db8:1::2\naccess_links: [{interface: "
                      "a, att: lte}]\n"),
            "mag.yaml:3: access_links[0].att: unknown access technology \"lte\"; expected one of: "
            "virtual, ppp, "
            "ethernet, wlan, wimax, geran, utran, eutran, ehrpd, hrpd, 1xrtt, umb, nb-iot, or a "
            "number 1..255");
  EXPECT_EQ(mag_error("lma: 2001:db8:ffff::1\nproxy_coa: 2001:db8:1::2\naccess_links: [{interface: "
                      "a, att: 0}]\n"),
            "mag.yaml:3: access_links[0].att: must be between 1 and 255, got 0");
}

// ---------------------------------------------------------------- MN

TEST(MnConfig, MinimalFileGetsDefaults) {
  auto c = parse_mn_config(kMn, "mn.yaml");
  core::MnAgentConfig defaults;
  EXPECT_EQ(c.id, core::MnId::nai("mn1@example.com"));
  EXPECT_EQ(c.agent.addressing, core::Addressing::kPerInterface);
  EXPECT_FALSE(c.agent.primary_hoa);
  EXPECT_EQ(c.agent.route_metric_base, defaults.route_metric_base);
  ASSERT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.interfaces[0].interface, "if1");
  EXPECT_EQ(c.interfaces[0].att, wire::AccessTech::kEthernet);
  EXPECT_EQ(c.interfaces[0].ifp, 0);
  EXPECT_FALSE(c.interfaces[0].primary);
  EXPECT_EQ(c.interfaces[0].label, "RED");
  EXPECT_TRUE(c.rules.empty());
  EXPECT_EQ(c.rs_interval_ms, 4000u);
  EXPECT_EQ(c.api.port, 7782);
}

TEST(MnConfig, EveryKeyReachesItsField) {
  auto c = parse_mn_config(
      "id: mn1@example.com\n"
      "addressing: logical\n"
      "primary_hoa: true\n"
      "route_metric_base: 100\n"
      "interfaces:\n"
      "  - {interface: if1, att: wlan, ifp: 10, primary: true, shared_prefixes: true, label: RED}\n"
      "  - {interface: if2, att: eutran, ifp: 255}\n"
      "rules:\n"
      "  - {id: 1, priority: 10, selector: {protocol: tcp, dst_ports: 443}, labels: [RED]}\n"
      "  - {id: 2, priority: 20, selector: {}, interface: if2}\n"
      "rs_interval_ms: 1000\n",
      "mn.yaml");
  EXPECT_EQ(c.agent.addressing, core::Addressing::kLogical);
  EXPECT_TRUE(c.agent.primary_hoa);
  EXPECT_EQ(c.agent.route_metric_base, 100u);
  EXPECT_EQ(c.interfaces[0].att, wire::AccessTech::kWlan);
  EXPECT_EQ(c.interfaces[0].ifp, 10);
  EXPECT_TRUE(c.interfaces[0].primary);
  EXPECT_TRUE(c.interfaces[0].shared_prefixes);
  EXPECT_EQ(c.interfaces[1].ifp, 255);
  EXPECT_FALSE(c.interfaces[1].label);
  ASSERT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(c.rules[0].id, 1u);
  EXPECT_EQ(c.rules[0].priority, 10);
  EXPECT_EQ(c.rules[0].labels, std::vector<std::string>{"RED"});
  EXPECT_EQ(c.rules[0].interface, "");
  EXPECT_EQ(std::get<wire::Ipv6TrafficSelector>(c.rules[0].selector).dst_port->start, 443);
  EXPECT_EQ(c.rules[1].interface, "if2");
  EXPECT_TRUE(c.rules[1].labels.empty());
  EXPECT_EQ(c.rs_interval_ms, 1000u);
}

TEST(MnConfig, PrimaryNeedsPrimaryHoaScheme) {
  EXPECT_EQ(mn_error("id: mn1@example.com\n"
                     "interfaces:\n"
                     "  - interface: if1\n"
                     "    primary: true\n"),
            "mn.yaml:4: interfaces[0].primary: needs primary_hoa: true (the seed 003 scheme)");
}

TEST(MnConfig, AtMostOnePrimaryInterface) {
  EXPECT_EQ(
      mn_error("id: mn1@example.com\n"
               "primary_hoa: true\n"
               "interfaces:\n"
               "  - {interface: if1, primary: true}\n"
               "  - {interface: if2, primary: true}\n"),
      "mn.yaml:5: interfaces[1].primary: only one interface may be primary (interfaces[0] is)");
}

TEST(MnConfig, IfpAbove255IsRejected) {
  EXPECT_EQ(mn_error("id: a\ninterfaces: [{interface: if1, ifp: 256}]\n"),
            "mn.yaml:2: interfaces[0].ifp: must be between 0 and 255, got 256");
}

TEST(MnConfig, DuplicateInterfaceIsRejected) {
  EXPECT_EQ(mn_error("id: a\ninterfaces:\n  - {interface: if1}\n  - {interface: if1}\n"),
            "mn.yaml:4: interfaces[1].interface: duplicate interface \"if1\" (first at line 3)");
}

TEST(MnConfig, InterfacesRequiredAndNonEmpty) {
  EXPECT_EQ(mn_error("id: a\n"), "mn.yaml:1: interfaces: missing required key");
  EXPECT_EQ(mn_error("id: a\ninterfaces: []\n"),
            "mn.yaml:2: interfaces: at least one interface is needed");
}

TEST(MnConfig, IdMustNotBeEmpty) {
  EXPECT_EQ(mn_error("id: ''\ninterfaces: [{interface: if1}]\n"),
            "mn.yaml:1: id: must not be empty");
}

TEST(MnConfig, AddressingMustBeKnown) {
  EXPECT_EQ(mn_error(kMn + "addressing: weak\n"),
            "mn.yaml:5: addressing: expected one of: per-interface, logical; got \"weak\"");
}

TEST(MnConfig, RuleNeedsExactlyOneTarget) {
  EXPECT_EQ(
      mn_error(kMn +
               "rules:\n  - {id: 1, priority: 1, selector: {}, interface: if1, labels: [RED]}\n"),
      "mn.yaml:6: rules[0]: give exactly one of interface, labels");
  EXPECT_EQ(mn_error(kMn + "rules:\n  - {id: 1, priority: 1, selector: {}}\n"),
            "mn.yaml:6: rules[0]: give exactly one of interface, labels");
}

TEST(MnConfig, RuleInterfaceMustBeConfigured) {
  EXPECT_EQ(mn_error(kMn + "rules:\n  - {id: 1, priority: 1, selector: {}, interface: if9}\n"),
            "mn.yaml:6: rules[0].interface: no interface \"if9\" in interfaces");
}

TEST(MnConfig, RuleLabelMustBeSomeInterfacesLabel) {
  EXPECT_EQ(
      mn_error(kMn + "rules:\n  - {id: 1, priority: 1, selector: {}, labels: [RED, GREEN]}\n"),
      "mn.yaml:6: rules[0].labels[1]: no interface has label \"GREEN\"");
}

TEST(MnConfig, RuleLabelListMustNotBeEmpty) {
  EXPECT_EQ(mn_error(kMn + "rules:\n  - {id: 1, priority: 1, selector: {}, labels: []}\n"),
            "mn.yaml:6: rules[0]: rule 1: empty label list");
}

TEST(MnConfig, DuplicateRuleIdIsRejected) {
  EXPECT_EQ(mn_error(kMn + "rules:\n"
                           "  - {id: 1, priority: 1, selector: {}, interface: if1}\n"
                           "  - {id: 1, priority: 2, selector: {}, interface: if2}\n"),
            "mn.yaml:7: rules[1].id: duplicate rule id 1 (first at line 6)");
}

TEST(MnConfig, DuplicateRulePriorityUsesRuleTableCheck) {
  EXPECT_EQ(mn_error(kMn + "rules:\n"
                           "  - {id: 1, priority: 10, selector: {}, interface: if1}\n"
                           "  - {id: 2, priority: 10, selector: {}, interface: if2}\n"),
            "mn.yaml:7: rules[1]: rule 2: priority 10 already used by rule 1");
}

TEST(MnConfig, RuleIdZeroIsRejected) {
  EXPECT_EQ(mn_error(kMn + "rules: [{id: 0, priority: 1, selector: {}, interface: if1}]\n"),
            "mn.yaml:5: rules[0].id: must be between 1 and 4294967295, got 0");
}

}  // namespace
}  // namespace pmipx::daemon

namespace pmipx::daemon {
namespace {

TEST(DataplaneConfig, OffUnlessModeBpf) {
  auto off = parse_lma_config(kLma, "lma.yaml");
  EXPECT_FALSE(off.dataplane.enabled);
  auto on = parse_lma_config(kLma + "dataplane: {mode: bpf, pin_dir: /sys/fs/bpf/pmipx}\n", "lma.yaml");
  EXPECT_TRUE(on.dataplane.enabled);
  EXPECT_EQ(on.dataplane.pin_dir, "/sys/fs/bpf/pmipx");
  auto mag = parse_mag_config(kMag + "dataplane: {mode: bpf}\n", "mag.yaml");
  EXPECT_TRUE(mag.dataplane.enabled);
}

TEST(DataplaneConfig, HoaOptionTypeDefaultsToTheExperimentalType) {
  EXPECT_EQ(parse_lma_config(kLma, "lma.yaml").dataplane.hoa_option_type, 0x1E);
  auto c = parse_lma_config(kLma + "dataplane: {mode: bpf, hoa_option_type: 31}\n", "lma.yaml");
  EXPECT_EQ(c.dataplane.hoa_option_type, 0x1F);
}

TEST(DataplaneConfig, HoaOptionTypeMayNotChangeEnRoute) {
  for (const char* bad : {"0", "1", "62", "256"}) {
    try {
      parse_lma_config(kLma + "dataplane: {mode: bpf, hoa_option_type: " + bad + "}\n", "lma.yaml");
      FAIL() << bad << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.key(), "dataplane.hoa_option_type") << bad;
    }
  }
}

TEST(DataplaneConfig, MnDataplaneNeedsThePrimaryHoaScheme) {
  try {
    parse_mn_config(kMn + "dataplane: {mode: bpf}\n", "mn.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "dataplane");
  }
  auto c = parse_mn_config(kMn + "primary_hoa: true\ndataplane: {mode: bpf, pin_dir: /sys/fs/bpf/mn}\n", "mn.yaml");
  EXPECT_TRUE(c.dataplane.enabled);
  EXPECT_EQ(c.dataplane.pin_dir, "/sys/fs/bpf/mn");
}

TEST(MnConfig, UplinkRulePriorityLeavesRoomBeforeTheSourceRules) {
  try {
    parse_mn_config(kMn + "rules: [{id: 1, priority: 900, selector: {}, interface: if1}]\n", "mn.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "rules[0].priority");
  }
}

TEST(DataplaneConfig, UnknownModeNamesTheKey) {
  try {
    parse_lma_config(kLma + "dataplane: {mode: ip6tnl}\n", "lma.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 4);
    EXPECT_EQ(e.key(), "dataplane.mode");
  }
}

}  // namespace
}  // namespace pmipx::daemon

namespace pmipx::daemon {
namespace {

// ---------------------------------------------------------------- LMA default_mn_profile

TEST(LmaConfig, DefaultMnProfileIsOptIn) {
  auto c = parse_lma_config(kLma, "lma.yaml");
  EXPECT_FALSE(c.default_mn);
}

TEST(LmaConfig, DefaultMnProfileReadsProfileKeys) {
  auto c = parse_lma_config(kLma + "default_mn_profile:\n"
                                   "  allowed_mags: [2001:db8:2::2]\n"
                                   "  prefixes_per_session: 2\n"
                                   "  features: {shared_prefixes: true}\n",
                            "lma.yaml");
  ASSERT_TRUE(c.default_mn);
  EXPECT_EQ(c.default_mn->allowed_mags, std::vector<wire::Ipv6Address>{v6("2001:db8:2::2")});
  EXPECT_EQ(c.default_mn->prefixes_per_session, 2u);
  EXPECT_TRUE(c.default_mn->features.shared_prefixes);
  EXPECT_TRUE(c.default_mn->static_prefixes.empty());
  EXPECT_TRUE(c.mns.empty());
}

TEST(LmaConfig, DefaultMnProfileEmptyMapTakesProfileDefaults) {
  auto c = parse_lma_config(kLma + "default_mn_profile: {}\n", "lma.yaml");
  ASSERT_TRUE(c.default_mn);
  EXPECT_TRUE(c.default_mn->proxy_enabled);
  EXPECT_EQ(c.default_mn->prefixes_per_session, 1u);
}

TEST(LmaConfig, DefaultMnProfileHasNoIdNorStaticPrefixes) {
  EXPECT_EQ(lma_error(kLma + "default_mn_profile: {id: a}\n"),
            "lma.yaml:4: default_mn_profile.id: unknown key; expected one of: proxy_enabled, allowed_mags, "
            "prefixes_per_session, features, multipath, attach_flows");
  EXPECT_EQ(lma_error(kLma + "default_mn_profile: {prefixes: [2001:db8:1::/64]}\n"),
            "lma.yaml:4: default_mn_profile.prefixes: unknown key; expected one of: proxy_enabled, "
            "allowed_mags, prefixes_per_session, features, multipath, attach_flows");
}

TEST(LmaConfig, DefaultMnProfileNeedsPool) {
  EXPECT_EQ(lma_error("address: 2001:db8:ffff::1\nmags: [2001:db8:1::2]\ndefault_mn_profile: {}\n"),
            "lma.yaml:3: default_mn_profile: the default MN profile assigns prefixes from the pool: a pool is "
            "needed");
}

TEST(LmaConfig, DefaultMnProfileAllowedMagMustBeAuthorized) {
  EXPECT_NE(lma_error(kLma + "default_mn_profile: {allowed_mags: [2001:db8:9::2]}\n").find("not an authorized MAG"),
            std::string::npos);
}

}  // namespace
}  // namespace pmipx::daemon
