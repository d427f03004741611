#include "ctl/ctl_command.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace pmipx::ctl {
namespace {

using Json = nlohmann::ordered_json;

int default_port(const std::string& role) {
  if (role.rfind("mag", 0) == 0) return 7781;
  if (role == "mn") return 7782;
  return 7780;
}

// "pmx-mag1" -> "mag1": the lab names namespaces LAB-NODE.
std::string node_of_netns(const std::string& ns) {
  auto dash = ns.rfind('-');
  return dash == std::string::npos ? ns : ns.substr(dash + 1);
}

bool enter_netns(const std::string& ns, std::ostream& err) {
  std::string path = "/run/netns/" + ns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err << "pmipx ctl: no network namespace " << ns << " (" << std::strerror(errno) << ")\n";
    return false;
  }
  int rc = ::setns(fd, CLONE_NEWNET);
  int e = errno;
  ::close(fd);
  if (rc < 0) {
    err << "pmipx ctl: cannot enter network namespace " << ns << ": " << std::strerror(e) << "\n";
    return false;
  }
  return true;
}

std::string cell(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + cell(x);
    return s.empty() ? "-" : s;
  }
  if (v.is_object()) {
    std::string s;
    for (const auto& [k, x] : v.items()) s += (s.empty() ? "" : " ") + k + "=" + cell(x);
    return s;
  }
  return v.dump();
}

std::string table(const Json& rows, const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  std::vector<std::string> header;
  for (const auto& c : columns) {
    std::string h = c;
    for (auto& ch : h) ch = ch == '_' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    header.push_back(h);
    width.push_back(h.size());
  }
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      line.push_back(r.contains(columns[i]) ? cell(r[columns[i]]) : "-");
      width[i] = std::max(width[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  std::ostringstream out;
  auto emit = [&](const std::vector<std::string>& line) {
    std::string s;
    for (std::size_t i = 0; i < line.size(); ++i) {
      s += line[i];
      if (i + 1 < line.size()) s += std::string(width[i] - line[i].size() + 2, ' ');
    }
    out << s << "\n";
  };
  emit(header);
  for (const auto& l : cells) emit(l);
  if (cells.empty()) out << "(none)\n";
  return out.str();
}

std::string key_values(const Json& object) {
  std::ostringstream out;
  std::size_t w = 0;
  for (const auto& [k, v] : object.items()) w = std::max(w, k.size());
  for (const auto& [k, v] : object.items()) out << k << std::string(w - k.size() + 2, ' ') << cell(v) << "\n";
  return out.str();
}

struct Request {
  std::string method = "GET";
  std::string path;
  Json body;
  std::vector<std::string> columns;  // table view; empty: key/value view
};

std::string usage() {
  return "usage: pmipx ctl [--lab NAME] [--node NODE | --netns NS] [--json] COMMAND\n"
         "commands:\n"
         "  bindings | flows | tunnels | stats | mags | pool | links | wan | interfaces | rules | dataplane | metrics | health\n"
         "  flow move MN FID BID     move flow FID of MN to binding BID (LMA)\n"
         "  flow set MN FID PRIORITY BIDS|drop SELECTOR\n"
         "                           add or replace a flow; SELECTOR as in the configuration,\n"
         "                           e.g. '{dst: 2001:db8:8000::/64, dst_ports: 80, protocol: tcp}'\n"
         "  flow remove MN FID       remove a flow (LMA)\n"
         "  attach LINK [MN] [--hi N]  attach an MN on a MAG access link (lab)\n"
         "  detach LINK              detach the MN of a MAG access link (lab)\n"
         "  ifp IFACE IFP [primary]  set an interface priority (MAG access link or MN interface)\n"
         "  reload                   re-read the policy from the configuration file (LMA)\n";
}

bool parse_u16(const std::string& s, std::uint16_t& out) {
  try {
    std::size_t end = 0;
    unsigned long v = std::stoul(s, &end);
    if (end != s.size() || v > 0xffff) return false;
    out = static_cast<std::uint16_t>(v);
    return true;
  } catch (...) {
    return false;
  }
}

// Builds the request for `args` against a daemon of `role`; empty path: usage error.
Request build(const std::vector<std::string>& a, const std::string& role, std::string& why) {
  Request r;
  if (a.empty()) return why = "no command", r;
  const std::string& c = a[0];
  bool mag = role == "mag";
  if (c == "bindings") {
    r.path = "/bindings";
    r.columns = mag ? std::vector<std::string>{"link", "path", "mn", "state", "hi", "prefixes", "off_link_prefixes",
                                               "lifetime_s", "expires_in_s"}
                    : std::vector<std::string>{"id", "mn", "bid", "state", "proxy_coa", "prefixes", "off_link_prefixes",
                                               "att", "ifp", "expires_in_s"};
  } else if (c == "flows") {
    r.path = "/flows";
    r.columns = {"mn", "fid", "priority", "bids", "action", "active", "packets", "bytes", "last_move", "selector"};
  } else if (c == "stats" || c == "counters") {
    r.path = "/counters";
  } else if (c == "mags") {
    r.path = "/mags";
    r.columns = {"proxy_coa", "bindings", "tunnel"};
  } else if (c == "pool") {
    r.path = "/pool";
  } else if (c == "links") {
    r.path = "/links";
    r.columns = {"interface", "running", "att", "mn", "link_layer", "mn_address", "advertised"};
  } else if (c == "wan") {
    r.path = "/wan";
    r.columns = {"interface", "proxy_coa", "att", "label", "running", "tunnel"};
  } else if (c == "interfaces") {
    r.path = "/interfaces";
    r.columns = {"interface", "running", "att", "link_layer", "ifp", "primary", "router_heard", "addresses"};
  } else if (c == "rules") {
    r.path = "/rules";
    r.columns = {"id", "priority", "interface", "fallback", "state", "in_kernel", "kernel", "error"};
  } else if (c == "tunnels") {
    r.path = "/tunnels";
    r.columns = {"id", "local", "remote", "tx_packets", "tx_bytes", "rx_packets", "rx_bytes"};
  } else if (c == "dataplane") {
    r.path = "/dataplane";
  } else if (c == "health") {
    r.path = "/health";
  } else if (c == "metrics") {
    r.path = "/metrics";
  } else if (c == "reload") {
    r.method = "POST";
    r.path = "/policy/reload";
  } else if (c == "flow" && a.size() == 5 && a[1] == "move") {
    std::uint16_t fid, bid;
    if (!parse_u16(a[3], fid) || !parse_u16(a[4], bid)) return why = "FID and BID are numbers 0..65535", r;
    r.method = "POST";
    r.path = "/flows/move";
    r.body = {{"mn", a[2]}, {"fid", fid}, {"bid", bid}};
  } else if (c == "flow" && a.size() == 7 && a[1] == "set") {
    std::uint16_t fid, priority;
    if (!parse_u16(a[3], fid) || !parse_u16(a[4], priority)) return why = "FID and PRIORITY are numbers 0..65535", r;
    r.method = "POST";
    r.path = "/flows/set";
    r.body = {{"mn", a[2]}, {"fid", fid}, {"priority", priority}, {"selector", a[6]}};
    if (a[5] == "drop") {
      r.body["action"] = "drop";
    } else {
      Json bids = Json::array();
      std::stringstream list(a[5]);
      std::string item;
      while (std::getline(list, item, ',')) {
        std::uint16_t bid;
        if (!parse_u16(item, bid)) return why = "BIDS is a comma-separated list of BIDs, or 'drop'", r;
        bids.push_back(bid);
      }
      r.body["bids"] = bids;
    }
  } else if (c == "flow" && a.size() == 4 && a[1] == "remove") {
    std::uint16_t fid;
    if (!parse_u16(a[3], fid)) return why = "FID is a number 0..65535", r;
    r.method = "POST";
    r.path = "/flows/remove";
    r.body = {{"mn", a[2]}, {"fid", fid}};
  } else if (c == "attach" && a.size() >= 2) {
    r.method = "POST";
    r.path = "/attach";
    r.body = {{"link", a[1]}};
    for (std::size_t i = 2; i < a.size(); ++i) {
      std::uint16_t hi;
      if (a[i] == "--hi") {
        if (i + 1 >= a.size() || !parse_u16(a[i + 1], hi)) return why = "--hi needs a number 1..6", r;
        r.body["hi"] = hi;
        ++i;
      } else if (!r.body.contains("mn")) {
        r.body["mn"] = a[i];
      } else {
        return why = "attach takes LINK [MN] [--hi N]", r;
      }
    }
  } else if (c == "detach" && a.size() == 2) {
    r.method = "POST";
    r.path = "/detach";
    r.body = {{"link", a[1]}};
  } else if (c == "ifp" && (a.size() == 3 || a.size() == 4)) {
    std::uint16_t ifp;
    if (!parse_u16(a[2], ifp) || ifp > 255) return why = "IFP is a number 0..255", r;
    r.method = "POST";
    r.path = "/ifp";
    r.body = {{mag ? "link" : "interface", a[1]}, {"ifp", ifp}};
    if (a.size() == 4) {
      if (a[3] != "primary") return why = "the last operand of ifp can only be 'primary'", r;
      r.body["primary"] = true;
    }
  } else {
    why = "unknown command or wrong operands: " + c;
  }
  return r;
}

}  // namespace

std::string render_table(const std::string& json_array, const std::vector<std::string>& columns) {
  return table(Json::parse(json_array), columns);
}

int run_ctl(const CtlOptions& o, std::ostream& out, std::ostream& err) {
  std::string ns = o.netns;
  std::string node = o.node;
  std::string lab = o.lab;
  if (ns.empty() && lab.empty() && (!node.empty() || (o.host.empty() && o.port == 0))) {
    // A lab is up and nothing else was said: talk to its nodes.
    if (std::filesystem::exists("/run/pmipx/pmx")) lab = "pmx";
  }
  if (!lab.empty()) {
    if (node.empty()) node = "lma";
    ns = lab + "-" + node;
  }
  if (node.empty() && !ns.empty()) node = node_of_netns(ns);
  std::string role = node.rfind("mag", 0) == 0 ? "mag" : node == "mn" ? "mn" : "lma";
  int port = o.port ? o.port : default_port(node.empty() ? "lma" : node);

  std::string why;
  Request req = build(o.args, role, why);
  if (req.path.empty()) {
    err << "pmipx ctl: " << why << "\n" << usage();
    return 2;
  }
  if (!ns.empty() && !enter_netns(ns, err)) return 2;

  std::string host = o.host.empty() ? "127.0.0.1" : o.host;
  httplib::Client client(host, port);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  auto res = req.method == "GET" ? client.Get(req.path)
                                 : client.Post(req.path, req.body.dump(), "application/json");
  std::string where = host + ":" + std::to_string(port) + (ns.empty() ? "" : " in " + ns);
  if (!res) {
    err << "pmipx ctl: no answer from the " << role << " management API at " << where << " ("
        << httplib::to_string(res.error()) << "); is the daemon running?\n";
    return 2;
  }
  if (req.path == "/metrics") {
    out << res->body;
    return res->status == 200 ? 0 : 1;
  }
  Json body = Json::parse(res->body, nullptr, false);
  if (body.is_discarded()) {
    err << "pmipx ctl: the daemon at " << where << " answered " << res->status << " with no JSON\n";
    return 1;
  }
  if (res->status != 200) {
    if (o.json) out << body.dump(2) << "\n";
    err << "pmipx ctl: " << req.path << ": " << body.value("error", "HTTP " + std::to_string(res->status)) << "\n";
    return 1;
  }
  if (o.json) {
    out << body.dump(2) << "\n";
  } else if (body.is_array() && !req.columns.empty()) {
    out << table(body, req.columns);
  } else if (body.is_object()) {
    out << key_values(body);
  } else {
    out << body.dump(2) << "\n";
  }
  return 0;
}

}  // namespace pmipx::ctl
