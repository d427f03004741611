#include "daemon/config_reader.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

namespace pmipx::daemon::config_reader {

namespace {

std::string join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string in_quotes(const std::string& s) {
  return "\"" + s + "\"";
}

// The address with every bit after `length` cleared.
wire::Ipv6Address network_of(const wire::Ipv6Address& a, std::uint8_t length) {
  wire::Ipv6Address out = a;
  for (std::size_t i = 0; i < out.octets.size(); ++i) {
    auto bit = static_cast<unsigned>(i * 8);
    if (bit >= length) {
      out.octets[i] = 0;
    } else if (bit + 8 > length) {
      auto keep = length - bit;
      out.octets[i] = static_cast<std::uint8_t>(out.octets[i] & (0xff << (8 - keep)));
    }
  }
  return out;
}

}  // namespace

Value::Value(std::string file, YAML::Node node, std::string path)
    : file_(std::move(file)), node_(std::move(node)), path_(std::move(path)) {}

int Value::line() const {
  if (!node_.IsDefined()) return 0;
  auto mark = node_.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

void Value::fail(const std::string& message) const {
  throw ConfigError(file_, line(), path_, message);
}

void Value::fail_for(const std::string& key, const std::string& message) const {
  throw ConfigError(file_, line(), key, message);
}

std::string Value::describe() const {
  switch (node_.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return in_quotes(node_.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

void Value::expect_scalar(std::string_view wanted) const {
  if (!node_.IsScalar()) fail(fmt::format("expected {}, got {}", wanted, describe()));
}

std::string Value::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Value::text() const {
  expect_scalar("a string");
  return node_.Scalar();
}

std::string Value::non_empty_text() const {
  auto s = text();
  if (s.empty()) fail("must not be empty");
  return s;
}

bool Value::boolean() const {
  expect_scalar("true or false");
  const auto& s = node_.Scalar();
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  fail(fmt::format("expected true or false, got {}", in_quotes(s)));
}

std::int64_t Value::integer(std::int64_t min, std::int64_t max) const {
  expect_scalar("an integer");
  const auto& s = node_.Scalar();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  bool whole = end == s.data() + s.size() && !s.empty();
  if (ec == std::errc::result_out_of_range && whole) {
    fail(fmt::format("must be between {} and {}, got {}", min, max, s));
  }
  if (ec != std::errc{} || !whole) fail(fmt::format("expected an integer, got {}", in_quotes(s)));
  if (v < min || v > max) fail(fmt::format("must be between {} and {}, got {}", min, max, v));
  return v;
}

std::string Value::one_of(std::initializer_list<std::string_view> names) const {
  expect_scalar(fmt::format("one of: {}", join(names)));
  const auto& s = node_.Scalar();
  if (std::find(names.begin(), names.end(), s) == names.end()) {
    fail(fmt::format("expected one of: {}; got {}", join(names), in_quotes(s)));
  }
  return s;
}

wire::Ipv6Address Value::ipv6_address() const {
  expect_scalar("an IPv6 address");
  auto a = wire::Ipv6Address::parse(node_.Scalar());
  if (!a) fail(fmt::format("not an IPv6 address: {}", in_quotes(node_.Scalar())));
  return *a;
}

wire::Ipv6Address Value::global_ipv6_address() const {
  auto a = ipv6_address();
  wire::Ipv6Address loopback;
  loopback.octets[15] = 1;
  if (a.is_zero() || a == loopback || a.is_link_local() || a.is_multicast()) {
    fail(fmt::format("not a unicast address other nodes can reach: {}", in_quotes(node_.Scalar())));
  }
  return a;
}

wire::Ipv6Prefix Value::ipv6_prefix() const {
  expect_scalar("an IPv6 prefix");
  const auto& s = node_.Scalar();
  auto p = wire::Ipv6Prefix::parse(s);
  if (!p) fail(fmt::format("not an IPv6 prefix: {}", in_quotes(s)));
  if (network_of(p->address, p->length) != p->address) {
    fail(fmt::format("not an IPv6 prefix: {} (bits set after /{})", in_quotes(s), p->length));
  }
  return *p;
}

std::vector<Value> Value::list() const {
  if (!node_.IsSequence()) fail(fmt::format("expected a list, got {}", describe()));
  std::vector<Value> out;
  std::size_t i = 0;
  for (const auto& element : node_) {
    out.emplace_back(file_, element, fmt::format("{}[{}]", path_, i));
    ++i;
  }
  return out;
}

std::vector<std::pair<Value, Value>> Value::entries() const {
  if (!node_.IsMap()) fail(fmt::format("expected a mapping, got {}", describe()));
  std::vector<std::pair<Value, Value>> out;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    Value key(file_, it->first, path_);
    if (!it->first.IsScalar()) key.fail(fmt::format("expected a key, got {}", key.describe()));
    auto path = child_path(it->first.Scalar());
    for (const auto& [k, v] : out) {
      if (k.node().Scalar() == it->first.Scalar()) {
        Value(file_, it->first, path)
            .fail(fmt::format("duplicate key (first at line {})", k.line()));
      }
    }
    out.emplace_back(Value(file_, it->first, path), Value(file_, it->second, path));
  }
  return out;
}

Map Value::map(std::initializer_list<std::string_view> keys) const {
  std::vector<std::pair<std::string, Value>> found;
  for (auto& [key, value] : entries()) {
    const auto& name = key.node().Scalar();
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
      key.fail(fmt::format("unknown key; expected one of: {}", join(keys)));
    }
    found.emplace_back(name, value);
  }
  return Map(*this, std::move(found));
}

std::optional<Value> Map::find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Value Map::need(std::string_view key) const {
  if (auto v = find(key)) return *v;
  self_.fail_for(key_path(key), "missing required key");
}

std::string Map::key_path(std::string_view key) const {
  return self_.path().empty() ? std::string(key) : self_.path() + "." + std::string(key);
}

bool Map::flag(std::string_view key, bool fallback) const {
  auto v = find(key);
  return v ? v->boolean() : fallback;
}

std::string Map::text(std::string_view key, const std::string& fallback) const {
  auto v = find(key);
  return v ? v->text() : fallback;
}

Value load_document(const std::string& yaml, const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    throw ConfigError(file, line, "", "YAML syntax error: " + e.msg);
  }
  if (docs.empty() || docs[0].IsNull()) throw ConfigError(file, 0, "", "empty configuration");
  if (docs.size() > 1) {
    Value(file, docs[1], "").fail("more than one YAML document; expected one");
  }
  Value root(file, docs[0], "");
  if (!docs[0].IsMap())
    root.fail(fmt::format("expected a mapping at the top level, got {}", root.describe()));
  return root;
}

}  // namespace pmipx::daemon::config_reader
