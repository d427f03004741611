// Human and machine readable forms of a message. JSON is the structured form; the text form
// is rendered from it, so both always show the same fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "wire/codec.hpp"
#include "wire/message.hpp"
#include "wire/traffic_selector.hpp"

namespace pmipx::wire {

using Json = nlohmann::ordered_json;

// Short name: "PBU", "PBA", "BU", "BA", "BE", "HB", "BRI", "BRA", "FMI", "UPN", "UPA".
std::string message_name(const Message& m);

Json to_json(const Message& m, const CodecConfig& config = {});
Json to_json(const MobilityOption& o, const CodecConfig& config = {});
Json to_json(const WireError& e);
// An RFC 6088 traffic selector's set fields, e.g. {"format":"ipv6","dst":"2001:db8::/64",...}.
Json selector_json(const TrafficSelector& ts);

// One header line, then one indented line per option.
std::string to_text(const Message& m, const CodecConfig& config = {});
// Renders any JSON object as "k=v k=v"; {"value":v,"name":n} becomes "v (n)".
std::string render_fields(const Json& object);

}  // namespace pmipx::wire
