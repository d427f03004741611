// pmipx: one binary, one subcommand per role: the daemons (lma, mag, mn), the operator CLI
// (ctl), the namespace lab (lab) and the capture decoder (decode).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <fstream>
#include <iostream>
#include <iterator>

#include "app/bench_command.hpp"
#include "app/decode_command.hpp"
#include "ctl/ctl_command.hpp"
#include "daemon/lma_daemon.hpp"
#include "daemon/mag_daemon.hpp"
#include "daemon/mn_daemon.hpp"
#include "version.hpp"

namespace {

// Loads the configuration (errors name file, line and key), then runs the daemon until
// SIGINT/SIGTERM. --check only validates.
template <class Daemon, class Load>
int run_daemon(const char* role, const std::string& path, bool check_only, Load load) {
  try {
    auto config = load(path);
    if (check_only) {
      std::cout << "pmipx " << role << ": " << path << " is valid\n";
      return 0;
    }
    Daemon d(std::move(config), path);
    return d.run();
  } catch (const pmipx::daemon::ConfigError& e) {
    std::cerr << "pmipx " << role << ": configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "pmipx " << role << ": " << e.what() << "\n";
    return 1;
  }
}

// lab/lab.sh next to the build tree or installed beside the binary.
std::string find_lab_script() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (auto dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
    for (const char* rel : {"lab/lab.sh", "share/pmipx/lab/lab.sh"}) {
      if (std::filesystem::exists(dir / rel)) return (dir / rel).string();
    }
  }
  return {};
}

// Every argument after `lab` goes to lab/lab.sh verbatim (its own parser knows them).
int exec_lab(int argc, char** argv) {
  std::string script = find_lab_script();
  if (script.empty()) {
    std::cerr << "pmipx lab: cannot find lab/lab.sh next to this binary\n";
    return 2;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  setenv("PMIPX_BIN", exe.c_str(), 1);
  std::vector<char*> args{const_cast<char*>("bash"), script.data()};
  for (int i = 0; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execvp("bash", args.data());
  std::cerr << "pmipx lab: cannot run bash: " << std::strerror(errno) << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "lab") return exec_lab(argc - 2, argv + 2);
  CLI::App app{"pmipx: Proxy Mobile IPv6 with flow mobility, multihoming, primary HoA and MAG multipath"};
  app.require_subcommand(1);

  auto* version = app.add_subcommand("version", "print the version");
  version->callback([] { std::cout << "pmipx " << PMIPX_VERSION << "\n"; });

  pmipx::app::DecodeOptions d;
  std::string hex_file;
  int muho_type = d.codec.muho_option_type;
  auto* decode = app.add_subcommand("decode", "print the Mobility Header messages of a capture or hex dump");
  decode->add_option("capture", d.pcap_path, "capture file (pcap or pcapng)")->check(CLI::ExistingFile);
  auto* hex = decode->add_option("--hex", d.hex, "hex dump of an IPv6 packet or of a bare Mobility Header");
  decode->add_option("--hex-file", hex_file, "read the hex dump from a file ('-' = stdin)")->excludes(hex);
  decode->add_flag("--json", d.json, "print JSON instead of text");
  decode->add_flag("--strict", d.codec.strict, "reject reserved bits and misaligned options");
  decode->add_option("--src", d.src, "source address for the checksum of a bare Mobility Header");
  decode->add_option("--dst", d.dst, "destination address for the checksum of a bare Mobility Header");
  decode->add_flag("!--no-checksum", d.verify_checksum, "do not verify checksums");
  decode->add_option("--muho-type", muho_type, "mobility option type of the MuHo option")
      ->check(CLI::Range(2, 255));

  int rc = 0;
  std::string config_path;
  bool check_only = false;
  struct Role {
    const char* name;
    const char* help;
  };
  for (Role r : {Role{"lma", "run the local mobility anchor"}, Role{"mag", "run a mobile access gateway"},
                 Role{"mn", "run the mobile-node agent"}}) {
    auto* sub = app.add_subcommand(r.name, r.help);
    sub->add_option("--config,-c", config_path, "YAML configuration file (see docs/configuration.md)")->required();
    sub->add_flag("--check", check_only, "validate the configuration and exit");
    std::string role = r.name;
    sub->callback([&, role] {
      using namespace pmipx::daemon;
      if (role == "lma") rc = run_daemon<LmaDaemon>("lma", config_path, check_only, load_lma_config);
      if (role == "mag") rc = run_daemon<MagDaemon>("mag", config_path, check_only, load_mag_config);
      if (role == "mn") rc = run_daemon<MnDaemon>("mn", config_path, check_only, load_mn_config);
    });
  }

  pmipx::ctl::CtlOptions ctl;
  auto* ctl_cmd = app.add_subcommand("ctl", "query and steer a running daemon through its management API");
  ctl_cmd->add_option("--lab", ctl.lab, "lab name (default: pmx when a lab is up)");
  ctl_cmd->add_option("--node", ctl.node, "lab node: lma, mag1, mag2, mn (default lma)");
  ctl_cmd->add_option("--netns", ctl.netns, "network namespace of the daemon");
  ctl_cmd->add_option("--host", ctl.host, "management API address (default 127.0.0.1)");
  ctl_cmd->add_option("--port", ctl.port, "management API port (default by role: 7780 lma, 7781 mag, 7782 mn)");
  ctl_cmd->add_flag("--json", ctl.json, "print the daemon's JSON");
  ctl_cmd->add_option("command", ctl.args, "bindings, flows, flow move MN FID BID, stats, ... (see --help)")
      ->required();
  ctl_cmd->footer(
      "commands: bindings | flows | tunnels | stats | mags | pool | links | wan | interfaces | rules | dataplane | metrics |\n"
      "          health |\n"
      "          flow move MN FID BID | flow set MN FID PRIORITY BIDS|drop SELECTOR | flow remove MN FID |\n"
      "          attach LINK [MN] [--hi N] | detach LINK |\n"
      "          ifp IFACE IFP [primary] | reload");
  ctl_cmd->prefix_command();
  ctl_cmd->callback([&] {
    // prefix_command: options after the command word arrive as operands; pick ours out.
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < ctl.args.size(); ++i) {
      if (ctl.args[i] == "--json") {
        ctl.json = true;
      } else {
        rest.push_back(ctl.args[i]);
      }
    }
    for (const auto& r : ctl_cmd->remaining()) {
      if (r == "--json") {
        ctl.json = true;
      } else {
        rest.push_back(r);
      }
    }
    ctl.args = rest;
    rc = pmipx::ctl::run_ctl(ctl, std::cout, std::cerr);
  });

  // `pmipx bench signaling|echo`; `bench dataplane` will be one more subcommand here.
  auto* bench = app.add_subcommand("bench", "benchmarks: signaling (load generator), echo (its physical bound)");
  bench->require_subcommand(1);
  pmipx::app::BenchSignalingOptions bs;
  std::string phases;
  auto* bench_sig = bench->add_subcommand("signaling", "emulate MAGs and MNs against a running pmipx lma over raw MH sockets");
  bench_sig->add_option("--lma", bs.lmaa, "LMA address (LMAA)")->capture_default_str();
  bench_sig->add_option("--mag-base", bs.mag_base, "first proxy-CoA; MAG i sends from mag-base + i (must be local)")
      ->capture_default_str();
  bench_sig->add_option("--mags", bs.mags, "emulated MAGs")->check(CLI::Range(1u, 65536u))->capture_default_str();
  bench_sig->add_option("--mns", bs.mns, "emulated MNs (MN i: mn<i>@DOMAIN, via MAG i % mags)")
      ->check(CLI::Range(1u, 16777216u))->capture_default_str();
  bench_sig->add_option("--domain", bs.domain, "NAI domain of the MN identifiers")->capture_default_str();
  bench_sig->add_option("--lifetime", bs.lifetime_s, "requested lifetime, seconds")->capture_default_str();
  bench_sig->add_flag("!--no-timestamps", bs.timestamps, "order PBUs by sequence number (LMA timestamps: false)");
  bench_sig->add_option("--rate", bs.rate, "requests per second (0: as fast as the window allows)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  bench_sig->add_option("--window", bs.window, "requests in flight at most")->check(CLI::Range(1u, 65535u))
      ->capture_default_str();
  bench_sig->add_option("--timeout-ms", bs.timeout_ms, "a request without reply after this counts as a timeout")
      ->check(CLI::Range(1u, 600000u))->capture_default_str();
  bench_sig->add_option("--phases", phases,
                        "comma-separated: echo,register,refresh,refresh_half,attach_second,move,deregister_second,"
                        "deregister (default: all in this order; the flow-move ones with --moves)");
  bench_sig->add_option("--moves", bs.moves, "flow moves: MNs 0..N-1 get a second binding and one flow moved to it");
  bench_sig->add_option("--api", bs.api, "the LMA's management API for flow moves, HOST:PORT or [V6]:PORT");
  bench_sig->add_option("--echo-address", bs.echo_address, "address of `pmipx bench echo` (default: the LMAA)");
  bench_sig->add_option("--echo-protocol", bs.echo_protocol, "IPv6 next header of the echo")->capture_default_str();
  bench_sig->add_option("--lma-pid", bs.lma_pid, "LMA process: its VmRSS before and after the registrations");
  bench_sig->add_option("--note", bs.notes, "a line for the report's notes (repeatable)");
  bench_sig->add_flag("--json", bs.json, "print the report as JSON");
  bench_sig->callback([&] {
    if (!phases.empty()) {
      bs.phases.clear();
      std::string item;
      for (char c : phases + ",") {
        if (c != ',') {
          item += c;
        } else if (!item.empty()) {
          bs.phases.push_back(item);
          item.clear();
        }
      }
    }
    rc = pmipx::app::run_bench_signaling(bs, std::cout, std::cerr);
  });
  pmipx::app::BenchEchoOptions be;
  auto* bench_echo = bench->add_subcommand("echo", "echo raw datagrams of one protocol (the signaling bound)");
  bench_echo->add_option("--protocol", be.protocol, "IPv6 next header to echo")->capture_default_str();
  bench_echo->callback([&] { rc = pmipx::app::run_bench_echo(be, std::cout, std::cerr); });

  // `pmipx lab ...` is handled before parsing (see exec_lab); listed here for --help.
  app.add_subcommand("lab", "the network-namespace lab: up | down | status | demo | start | stop | exec")
      ->allow_extras();

  decode->callback([&] {
    d.codec.muho_option_type = static_cast<std::uint8_t>(muho_type);
    if (!hex_file.empty()) {
      std::istream* in = &std::cin;
      std::ifstream file;
      if (hex_file != "-") {
        file.open(hex_file);
        if (!file) throw CLI::ValidationError("--hex-file", "cannot open " + hex_file);
        in = &file;
      }
      d.hex.assign(std::istreambuf_iterator<char>(*in), {});
    }
    if (d.pcap_path.empty() == d.hex.empty()) {
      throw CLI::ValidationError("decode", "give either a capture file or --hex/--hex-file");
    }
    rc = pmipx::app::run_decode(d, std::cout, std::cerr);
  });

  CLI11_PARSE(app, argc, argv);
  return rc;
}
