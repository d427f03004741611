#include "daemon/metrics.hpp"

#include <cmath>
#include <sstream>

namespace pmipx::daemon {

void Metrics::describe(const std::string& name, const std::string& help, const std::string& type) {
  auto& f = families_[name];
  f.help = help;
  f.type = type;
}

std::string Metrics::series(const Labels& labels) {
  if (labels.empty()) return {};
  std::string s = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) s += ",";
    s += labels[i].first + "=\"";
    for (char c : labels[i].second) {  // escape as the exposition format requires
      if (c == '\\' || c == '"') s += '\\';
      if (c == '\n') {
        s += "\\n";
        continue;
      }
      s += c;
    }
    s += "\"";
  }
  return s + "}";
}

void Metrics::add(const std::string& name, const Labels& labels, std::uint64_t n) {
  families_[name].values[series(labels)] += static_cast<double>(n);
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  auto& f = families_[name];
  f.type = "gauge";
  f.values[series(labels)] = value;
}

std::uint64_t Metrics::get(const std::string& name, const Labels& labels) const {
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto v = f->second.values.find(series(labels));
  return v == f->second.values.end() ? 0 : static_cast<std::uint64_t>(v->second);
}

std::string Metrics::render() const {
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    std::string full = prefix_ + name;
    if (!f.help.empty()) out << "# HELP " << full << " " << f.help << "\n";
    out << "# TYPE " << full << " " << f.type << "\n";
    for (const auto& [labels, v] : f.values) {
      out << full << labels << " ";
      if (v == std::floor(v)) {
        out << static_cast<long long>(v);
      } else {
        out << v;
      }
      out << "\n";
    }
  }
  return out.str();
}

std::map<std::string, double> Metrics::snapshot() const {
  std::map<std::string, double> out;
  for (const auto& [name, f] : families_) {
    for (const auto& [labels, v] : f.values) out[name + labels] = v;
  }
  return out;
}

}  // namespace pmipx::daemon
