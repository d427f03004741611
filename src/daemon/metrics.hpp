// Counters for the Prometheus text format (exposition format 0.0.4). A counter is a name plus
// a fixed label set; gauges are computed from engine state when /metrics is read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pmipx::daemon {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  explicit Metrics(std::string prefix) : prefix_(std::move(prefix)) {}
  void describe(const std::string& name, const std::string& help, const std::string& type = "counter");
  void add(const std::string& name, const Labels& labels = {}, std::uint64_t n = 1);
  void set(const std::string& name, const Labels& labels, double value);  // gauge
  std::uint64_t get(const std::string& name, const Labels& labels = {}) const;
  std::string render() const;
  // Every series as {"name{labels}": value}, for the JSON API.
  std::map<std::string, double> snapshot() const;

 private:
  static std::string series(const Labels& labels);
  struct Family {
    std::string help;
    std::string type = "counter";
    std::map<std::string, double> values;  // label text -> value
  };
  std::string prefix_;
  std::map<std::string, Family> families_;
};

}  // namespace pmipx::daemon
