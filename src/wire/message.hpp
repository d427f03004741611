// Mobility Header messages as typed values (PROTOCOL.md §3).
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "wire/address.hpp"
#include "wire/codepoints.hpp"
#include "wire/option.hpp"

namespace pmipx::wire {

// BU/BA lifetime: 16 bits of 4-second units (RFC 6275 §6.1.7). 0 means de-registration.
struct Lifetime {
  static constexpr std::uint32_t kUnitSeconds = 4;
  static constexpr std::uint32_t kMaxSeconds = 0xffffu * kUnitSeconds;  // 262140 s

  std::uint16_t units = 0;

  std::uint32_t seconds() const { return std::uint32_t{units} * kUnitSeconds; }
  // Rounds down to whole units; fails above kMaxSeconds (no silent wrap).
  static std::optional<Lifetime> from_seconds(std::uint32_t seconds) {
    if (seconds > kMaxSeconds) return std::nullopt;
    return Lifetime{static_cast<std::uint16_t>(seconds / kUnitSeconds)};
  }
  auto operator<=>(const Lifetime&) const = default;
};

struct BindingUpdate {  // MH 5; a PBU when P is set
  std::uint16_t sequence = 0;
  std::uint16_t flags = 0;  // bu_flag::*
  Lifetime lifetime;
  bool has(std::uint16_t flag) const { return (flags & flag) != 0; }
  bool operator==(const BindingUpdate&) const = default;
};

struct BindingAck {  // MH 6; a PBA when P is set
  BaStatus status = BaStatus::kAccepted;
  std::uint8_t flags = 0;  // ba_flag::*
  std::uint16_t sequence = 0;
  Lifetime lifetime;
  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  bool operator==(const BindingAck&) const = default;
};

struct BindingError {  // MH 7
  BindingErrorStatus status = BindingErrorStatus::kUnrecognizedMhType;
  Ipv6Address home_address;  // :: in PMIPv6 (no HAO)
  bool operator==(const BindingError&) const = default;
};

struct Heartbeat {  // MH 13, RFC 5847
  bool unsolicited = false;  // U
  bool response = false;     // R
  std::uint32_t sequence = 0;
  bool operator==(const Heartbeat&) const = default;
};

// MH 16 carries both; B.R. Type tells them apart (RFC 5846).
struct RevocationFlags {
  bool proxy = false;        // P
  bool ipv4_only = false;    // V
  bool global = false;       // G
  bool operator==(const RevocationFlags&) const = default;
};

struct BindingRevocationIndication {  // B.R. Type 1
  RevocationTrigger trigger = RevocationTrigger::kUnspecified;
  std::uint16_t sequence = 0;
  RevocationFlags flags;
  bool operator==(const BindingRevocationIndication&) const = default;
};

struct BindingRevocationAck {  // B.R. Type 2
  RevocationStatus status = RevocationStatus::kSuccess;
  std::uint16_t sequence = 0;
  RevocationFlags flags;
  bool operator==(const BindingRevocationAck&) const = default;
};

struct UpdateNotification {  // MH 19, RFC 7077; FMI when reason = FLOW-MOBILITY
  std::uint16_t sequence = 0;
  NotificationReason reason = NotificationReason::kFlowMobility;
  bool ack_requested = false;   // A
  bool retransmission = false;  // D
  bool operator==(const UpdateNotification&) const = default;
};

struct UpdateNotificationAck {  // MH 20; FMA
  std::uint16_t sequence = 0;
  NotificationAckStatus status = NotificationAckStatus::kSuccess;
  bool operator==(const UpdateNotificationAck&) const = default;
};

using MessageBody =
    std::variant<BindingUpdate, BindingAck, BindingError, Heartbeat, BindingRevocationIndication,
                 BindingRevocationAck, UpdateNotification, UpdateNotificationAck>;

struct Message {
  MessageBody body;
  std::vector<MobilityOption> options;
  bool operator==(const Message&) const = default;
};

MhType mh_type(const MessageBody& body);

// First option of type T, or nullptr.
template <class T>
const T* find_option(const Message& m) {
  for (const auto& o : m.options) {
    if (const auto* p = std::get_if<T>(&o)) return p;
  }
  return nullptr;
}

template <class T>
std::vector<const T*> find_options(const Message& m) {
  std::vector<const T*> out;
  for (const auto& o : m.options) {
    if (const auto* p = std::get_if<T>(&o)) out.push_back(p);
  }
  return out;
}

}  // namespace pmipx::wire
