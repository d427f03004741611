// A small reader over yaml-cpp that remembers where every value came from (file, line, key
// path), so config.cpp can say "lma.yaml:12: mns[1].prefixes[0]: ..." for any error without
// threading positions by hand. Every accessor either returns a checked value or throws
// ConfigError; nothing here knows the schema of a role.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config.hpp"
#include "wire/address.hpp"

namespace pmipx::daemon::config_reader {

class Map;

// One YAML node and its key path ("mns[1].prefixes[0]"; empty for the document root).
class Value {
 public:
  Value(std::string file, YAML::Node node, std::string path);

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  const YAML::Node& node() const { return node_; }
  int line() const;  // 1-based; 0 when yaml-cpp knows no position

  // ConfigError at this value's line, naming this value's key path.
  [[noreturn]] void fail(const std::string& message) const;
  // ConfigError at this value's line naming another key (one this value makes wrong or needed).
  [[noreturn]] void fail_for(const std::string& key, const std::string& message) const;

  // Scalars. `text` takes any scalar as written; the others check the form and the range.
  std::string text() const;
  std::string non_empty_text() const;
  bool boolean() const;  // true or false (YAML 1.2): "yes", "on" are refused
  std::int64_t integer(std::int64_t min, std::int64_t max) const;
  template <class T>
  T number(T min = std::numeric_limits<T>::min(), T max = std::numeric_limits<T>::max()) const {
    static_assert(sizeof(T) < sizeof(std::int64_t), "the range must fit an int64_t");
    return static_cast<T>(integer(static_cast<std::int64_t>(min), static_cast<std::int64_t>(max)));
  }
  // The scalar, which must be one of `names` (matched exactly).
  std::string one_of(std::initializer_list<std::string_view> names) const;
  wire::Ipv6Address ipv6_address() const;
  // Not unspecified, loopback, link-local nor multicast: an address other nodes can reach.
  wire::Ipv6Address global_ipv6_address() const;
  // "addr/len" with no bits set after the length.
  wire::Ipv6Prefix ipv6_prefix() const;

  // A sequence; elements are named path[i].
  std::vector<Value> list() const;
  // A mapping whose keys must all be in `keys` (else "unknown key; expected one of: ...") and
  // appear once.
  Map map(std::initializer_list<std::string_view> keys) const;
  // A mapping with keys chosen by the user (labels to weights): (key, value) pairs, the
  // value named path.key.
  std::vector<std::pair<Value, Value>> entries() const;

  // For messages: "a mapping", "a list", "nothing", or the scalar in quotes.
  std::string describe() const;

 private:
  std::string child_path(std::string_view key) const;
  void expect_scalar(std::string_view wanted) const;

  std::string file_;
  YAML::Node node_;
  std::string path_;
};

// A checked mapping: look keys up, with or without defaults.
class Map {
 public:
  Map(Value self, std::vector<std::pair<std::string, Value>> entries)
      : self_(std::move(self)), entries_(std::move(entries)) {}

  const Value& self() const { return self_; }
  std::optional<Value> find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key).has_value(); }
  // Missing: "missing required key" at the mapping's line, naming the key's path.
  Value need(std::string_view key) const;

  bool flag(std::string_view key, bool fallback) const;
  std::string text(std::string_view key, const std::string& fallback) const;
  template <class T>
  T number(std::string_view key, T fallback, T min = std::numeric_limits<T>::min(),
           T max = std::numeric_limits<T>::max()) const {
    auto v = find(key);
    return v ? v->number<T>(min, max) : fallback;
  }
  // The path a key of this mapping has (present or not).
  std::string key_path(std::string_view key) const;

 private:
  Value self_;
  std::vector<std::pair<std::string, Value>> entries_;
};

// The document's root node. YAML syntax errors become ConfigError with their line; an empty
// document or several documents are errors too.
Value load_document(const std::string& yaml, const std::string& file);

}  // namespace pmipx::daemon::config_reader
