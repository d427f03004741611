// pmipx: one binary, one subcommand per role. Daemons (lma, mag, mn), ctl and lab arrive with
// their issues; today it decodes captures.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <iterator>

#include "app/decode_command.hpp"
#include "version.hpp"

int main(int argc, char** argv) {
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
