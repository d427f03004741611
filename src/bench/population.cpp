#include "bench/population.hpp"

#include <algorithm>

namespace pmipx::bench {
namespace {

std::uint32_t low32(const wire::Ipv6Address& a) {
  return (std::uint32_t{a.octets[12]} << 24) | (std::uint32_t{a.octets[13]} << 16) |
         (std::uint32_t{a.octets[14]} << 8) | a.octets[15];
}

bool same_high96(const wire::Ipv6Address& a, const wire::Ipv6Address& b) {
  return std::equal(a.octets.begin(), a.octets.begin() + 12, b.octets.begin());
}

}  // namespace

const char* to_string(PbuKind k) {
  switch (k) {
    case PbuKind::kRegister: return "register";
    case PbuKind::kRefresh: return "refresh";
    case PbuKind::kDeregister: return "deregister";
    case PbuKind::kAttachSecond: return "attach_second";
    case PbuKind::kDeregisterSecond: return "deregister_second";
  }
  return "?";
}

Population::Population(PopulationConfig config)
    : config_(std::move(config)),
      sequences_(std::max<std::uint32_t>(config_.mags, 1), 0),
      prefixes_(config_.mns),
      last_timestamp_(config_.mns, 0) {
  config_.mags = std::max<std::uint32_t>(config_.mags, 1);
}

wire::Ipv6Address Population::mag_address(std::uint32_t mag) const {
  auto a = config_.mag_base;
  std::uint32_t v = low32(a) + mag;
  for (int i = 0; i < 4; ++i) a.octets[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(v >> (8 * i));
  return a;
}

std::optional<std::uint32_t> Population::mag_index(const wire::Ipv6Address& a) const {
  if (!same_high96(a, config_.mag_base)) return std::nullopt;
  std::uint32_t offset = low32(a) - low32(config_.mag_base);  // wraps for addresses below the base
  if (offset >= config_.mags) return std::nullopt;
  return offset;
}

std::string Population::mn_name(std::uint32_t mn) const { return "mn" + std::to_string(mn) + "@" + config_.domain; }

Request Population::pbu(std::uint32_t mn, PbuKind kind, wire::Timestamp now) {
  bool second = kind == PbuKind::kAttachSecond || kind == PbuKind::kDeregisterSecond;
  auto mag = second ? second_mag_of(mn) : mag_of(mn);
  auto seq = ++sequences_[mag];
  bool deregistration = kind == PbuKind::kDeregister || kind == PbuKind::kDeregisterSecond;
  std::uint32_t lifetime_s = deregistration ? 0 : config_.lifetime_s;
  wire::Message m{wire::BindingUpdate{seq, static_cast<std::uint16_t>(wire::bu_flag::kA | wire::bu_flag::kP),
                                      *wire::Lifetime::from_seconds(std::min(lifetime_s, wire::Lifetime::kMaxSeconds))},
                  {}};
  wire::HnpOption hnp;
  if (kind == PbuKind::kRefresh || kind == PbuKind::kDeregister) hnp.prefix = prefixes_[mn];
  if (kind == PbuKind::kDeregisterSecond) {
    if (auto it = second_prefixes_.find(mn); it != second_prefixes_.end()) hnp.prefix = it->second;
  }
  m.options.push_back(hnp);
  m.options.push_back(wire::MnIdOption{wire::MnIdSubtype::kNai, mn_name(mn)});
  auto hi = kind == PbuKind::kRefresh ? wire::HandoffIndicator::kNotChanged
            : deregistration          ? wire::HandoffIndicator::kUnknown
                                      : wire::HandoffIndicator::kNewInterface;
  m.options.push_back(wire::HandoffIndicatorOption{hi});
  m.options.push_back(wire::AccessTechTypeOption{second ? wire::AccessTech::kWlan : config_.att});
  if (config_.timestamps) {
    auto raw = std::max(now.raw, last_timestamp_[mn] + 1);
    last_timestamp_[mn] = raw;
    m.options.push_back(wire::TimestampOption{wire::Timestamp{raw}});
  }
  return Request{RequestKey{mag, seq}, mag_address(mag), std::move(m)};
}

PbaOutcome Population::on_pba(std::uint32_t mn, PbuKind kind, const wire::Message& pba) {
  const auto* ba = std::get_if<wire::BindingAck>(&pba.body);
  if (!ba || !ba->has(wire::ba_flag::kP)) return PbaOutcome::kMalformed;
  // A PBA for another MN would mean the reply matching is wrong: never count it as accepted.
  const auto* id = wire::find_option<wire::MnIdOption>(pba);
  if (id && !id->identifier.empty() && id->identifier != mn_name(mn)) return PbaOutcome::kMalformed;
  if (!wire::is_accepted(ba->status)) return PbaOutcome::kRejected;
  if (kind == PbuKind::kDeregister) {
    prefixes_[mn] = {};
    return PbaOutcome::kAccepted;
  }
  if (kind == PbuKind::kDeregisterSecond) {
    second_prefixes_.erase(mn);
    return PbaOutcome::kAccepted;
  }
  const auto* hnp = wire::find_option<wire::HnpOption>(pba);
  if (!hnp || hnp->prefix.length == 0) return PbaOutcome::kMalformed;  // accepted without a prefix
  if (kind == PbuKind::kRegister) prefixes_[mn] = hnp->prefix;
  if (kind == PbuKind::kAttachSecond) second_prefixes_[mn] = hnp->prefix;
  return PbaOutcome::kAccepted;
}

}  // namespace pmipx::bench
