#include "app/decode_command.hpp"

#include <fmt/format.h>

#include <ostream>
#include <stdexcept>

#include "io/pcap_file.hpp"
#include "wire/checksum.hpp"
#include "wire/hex.hpp"
#include "wire/ipv6_packet.hpp"
#include "wire/print.hpp"

namespace pmipx::app {
namespace {

using wire::Json;

struct Tally {
  std::size_t messages = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;
};

// One decoded unit, reported as text or collected as JSON.
class Reporter {
 public:
  Reporter(const DecodeOptions& o, std::ostream& out, std::ostream& err) : o_(o), out_(out), err_(err) {}

  void message(std::size_t frame, const Json& where, const wire::DecodedMessage& d) {
    ++tally_.messages;
    if (o_.json) {
      Json j = where;
      j["frame"] = frame;
      j["length"] = d.length;
      j["message"] = wire::to_json(d.message, o_.codec);
      for (const auto& n : d.notes) j["notes"].push_back(wire::to_json(n));
      frames_.push_back(std::move(j));
      return;
    }
    out_ << fmt::format("frame {} {}\n", frame, wire::render_fields(where));
    out_ << wire::to_text(d.message, o_.codec);
    for (const auto& n : d.notes) out_ << "  note: " << n.describe() << "\n";
  }

  void error(std::size_t frame, const Json& where, const wire::WireError& e, std::size_t base) {
    ++tally_.errors;
    wire::WireError shifted = e;
    shifted.offset += static_cast<std::uint32_t>(base);
    if (o_.json) {
      Json j = where;
      j["frame"] = frame;
      j["error"] = wire::to_json(shifted);
      frames_.push_back(std::move(j));
    } else {
      out_ << fmt::format("frame {} {}\n  error: {}\n", frame, wire::render_fields(where), shifted.describe());
    }
    err_ << fmt::format("pmipx decode: frame {}: {}\n", frame, shifted.describe());
  }

  void skipped() { ++tally_.skipped; }

  int finish() {
    if (o_.json) {
      Json doc;
      doc["frames"] = frames_;
      doc["summary"] = {{"messages", tally_.messages}, {"errors", tally_.errors}, {"other_packets", tally_.skipped}};
      out_ << doc.dump(2) << "\n";
    } else {
      out_ << fmt::format("{} mobility header message(s), {} error(s), {} other packet(s)\n",
                          tally_.messages, tally_.errors, tally_.skipped);
    }
    return tally_.errors ? 1 : 0;
  }

 private:
  const DecodeOptions& o_;
  std::ostream& out_;
  std::ostream& err_;
  Tally tally_;
  Json frames_ = Json::array();
};

// Decodes the MH inside an IPv6 packet; `base` is the packet's offset in its frame, so error
// offsets count from the start of the frame.
void decode_packet(std::size_t frame, wire::ByteView packet, std::size_t base, const DecodeOptions& o,
                   Reporter& r) {
  auto located = wire::locate_mh(packet);
  if (!located) {
    r.error(frame, Json::object(), located.error(), base);
    return;
  }
  if (!*located) {
    r.skipped();
    return;
  }
  const auto& m = **located;
  Json where;
  where["src"] = m.ip.src.to_string();
  where["dst"] = m.ip.dst.to_string();
  std::size_t mh_base = base + m.mh_offset;
  if (o.verify_checksum) {
    bool ok = wire::mh_checksum_ok(m.checksum_src, m.checksum_dst, m.mh);
    where["checksum"] = ok ? "ok" : "bad";
    if (!ok && m.mh.size() >= 6) {
      r.error(frame, where,
              wire::wire_error(wire::WireErrc::kBadChecksum, 4, "checksum does not verify",
                               wire::load_be16(m.mh.data() + 4)),
              mh_base);
      return;
    }
  }
  auto d = wire::decode_message(m.mh, o.codec);
  if (!d) {
    r.error(frame, where, d.error(), mh_base);
    return;
  }
  r.message(frame, where, *d);
}

int decode_hex(const DecodeOptions& o, Reporter& r, std::ostream& err) {
  auto bytes = wire::parse_hex(o.hex);
  if (!bytes || bytes->empty()) {
    err << "pmipx decode: --hex needs an even number of hex digits\n";
    return 2;
  }
  // An IPv6 packet starts with version 6; a Mobility Header with Payload Proto (59).
  if (((*bytes)[0] >> 4) == 6) {
    decode_packet(1, *bytes, 0, o, r);
    return r.finish();
  }
  DecodeOptions bare = o;
  Json where = Json::object();
  if (!o.src.empty() || !o.dst.empty()) {
    auto src = wire::Ipv6Address::parse(o.src);
    auto dst = wire::Ipv6Address::parse(o.dst);
    if (!src || !dst) {
      err << "pmipx decode: --src and --dst must both be IPv6 addresses\n";
      return 2;
    }
    bool ok = wire::mh_checksum_ok(*src, *dst, *bytes);
    where["checksum"] = ok ? "ok" : "bad";
    if (!ok) {
      r.error(1, where, wire::wire_error(wire::WireErrc::kBadChecksum, 4, "checksum does not verify"), 0);
      return r.finish();
    }
  }
  auto d = wire::decode_message(*bytes, bare.codec);
  if (!d) {
    r.error(1, where, d.error(), 0);
  } else {
    r.message(1, where, *d);
  }
  return r.finish();
}

}  // namespace

int run_decode(const DecodeOptions& o, std::ostream& out, std::ostream& err) {
  Reporter r(o, out, err);
  if (!o.hex.empty()) return decode_hex(o, r, err);
  try {
    io::PcapReader reader(o.pcap_path);
    while (auto f = reader.next()) {
      if (!f->ipv6_offset) {
        r.skipped();
        continue;
      }
      decode_packet(f->number, f->frame.subspan(*f->ipv6_offset), *f->ipv6_offset, o, r);
    }
  } catch (const std::exception& e) {
    err << "pmipx decode: " << e.what() << "\n";
    return 2;
  }
  return r.finish();
}

}  // namespace pmipx::app
