// pmipx ctl: the operator CLI over a daemon's management API. Finds the daemon (a lab node,
// a network namespace or an address), sends one request, prints a table or --json.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace pmipx::ctl {

struct CtlOptions {
  std::string lab;    // lab name (pmipx lab): --node resolves to its namespace
  std::string node;   // lma, mag1, mag2, mn (lab) — also picks the default port
  std::string netns;  // a named network namespace (/run/netns/NAME)
  std::string host;  // empty: 127.0.0.1 (and a lab named pmx, when one is up and nothing else is said)
  int port = 0;       // 0: the role's default
  bool json = false;
  std::vector<std::string> args;  // the command and its operands
};

// Exit status: 0 done, 1 the daemon refused or failed, 2 usage or connection error.
int run_ctl(const CtlOptions& options, std::ostream& out, std::ostream& err);

// Renders rows of a JSON array as an aligned table with the given columns (JSON keys).
std::string render_table(const std::string& json_array, const std::vector<std::string>& columns);

}  // namespace pmipx::ctl
