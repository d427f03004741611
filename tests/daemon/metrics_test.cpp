#include "daemon/metrics.hpp"

#include <gtest/gtest.h>

#include "ctl/ctl_command.hpp"
#include "daemon/signaling.hpp"
#include "wire/codec.hpp"
#include "wire/hex.hpp"

namespace pmipx::daemon {
namespace {

TEST(Metrics, RendersPrometheusTextWithHelpTypeAndLabels) {
  Metrics m("pmipx_lma_");
  m.describe("messages_received_total", "Mobility Header messages received");
  m.add("messages_received_total", {{"type", "PBU"}, {"status", ""}});
  m.add("messages_received_total", {{"type", "PBU"}, {"status", ""}}, 2);
  m.set("bindings", {}, 7);
  std::string text = m.render();
  EXPECT_NE(text.find("# HELP pmipx_lma_messages_received_total Mobility Header messages received\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE pmipx_lma_messages_received_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("pmipx_lma_messages_received_total{type=\"PBU\",status=\"\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE pmipx_lma_bindings gauge\npmipx_lma_bindings 7\n"), std::string::npos);
  EXPECT_EQ(m.get("messages_received_total", {{"type", "PBU"}, {"status", ""}}), 3u);
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m("x_");
  m.add("errors_total", {{"reason", "bad \"length\"\\n"}});
  EXPECT_NE(m.render().find("x_errors_total{reason=\"bad \\\"length\\\"\\\\n\"} 1"), std::string::npos);
}

TEST(Signaling, OneLineHasEveryOptionOnTheSameLine) {
  auto m = wire::decode_message(*wire::parse_hex("3b010d005ad5000000000007 01020000"));
  ASSERT_TRUE(m);
  std::string line = one_line(m->message, {});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("HB"), std::string::npos);
  EXPECT_NE(line.find("sequence=7"), std::string::npos);
}

TEST(CtlTable, AlignsColumnsAndRendersListsAndMissingCells) {
  std::string t = ctl::render_table(
      R"([{"id":1,"mn":"mn1@example.com","prefixes":["2001:db8::/64","2001:db8:1::/64"],"shared":true},
          {"id":22,"mn":"m2","prefixes":[]}])",
      {"id", "mn", "prefixes", "shared"});
  EXPECT_EQ(t,
            "ID  MN               PREFIXES                       SHARED\n"
            "1   mn1@example.com  2001:db8::/64,2001:db8:1::/64  yes\n"
            "22  m2               -                              -\n");
  EXPECT_EQ(ctl::render_table("[]", {"id"}), "ID\n(none)\n");
}

}  // namespace
}  // namespace pmipx::daemon
