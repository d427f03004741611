#include "daemon/signaling.hpp"

#include "wire/print.hpp"

namespace pmipx::daemon {
namespace {

std::string status_of(const wire::Message& m) {
  if (const auto* ba = std::get_if<wire::BindingAck>(&m.body)) return std::to_string(static_cast<int>(ba->status));
  if (const auto* be = std::get_if<wire::BindingError>(&m.body)) return std::to_string(static_cast<int>(be->status));
  if (const auto* a = std::get_if<wire::UpdateNotificationAck>(&m.body)) return std::to_string(static_cast<int>(a->status));
  return "";
}

}  // namespace

std::string one_line(const wire::Message& m, const wire::CodecConfig& codec) {
  std::string text = wire::to_text(m, codec);
  std::string out;
  out.reserve(text.size());
  bool newline = false;
  for (char c : text) {
    if (c == '\n') {
      newline = true;
      continue;
    }
    if (newline) {
      if (c == ' ') continue;
      out += " | ";
      newline = false;
    }
    out += c;
  }
  return out;
}

void describe_signaling_metrics(Metrics& m) {
  m.describe("messages_received_total", "Mobility Header messages received, by type and status");
  m.describe("messages_sent_total", "Mobility Header messages sent, by type and status");
  m.describe("messages_malformed_total", "received datagrams that did not decode");
  m.describe("send_errors_total", "messages the kernel refused to send");
}

Signaling::Signaling(std::shared_ptr<spdlog::logger> log, Metrics& metrics, wire::CodecConfig codec)
    : log_(std::move(log)), metrics_(metrics), codec_(codec), socket_(io::RawSocket::mobility_header()) {
  describe_signaling_metrics(metrics_);
}

void Signaling::send(const core::Transmit& t) {
  buffer_.clear();
  auto n = wire::encode_message(t.message, buffer_, codec_);
  std::string type = wire::message_name(t.message);
  if (!n) {
    log_->error("tx {} to {}: cannot encode: {}", type, t.dst.to_string(), n.error().describe());
    metrics_.add("send_errors_total", {{"type", type}, {"reason", "encode"}});
    return;
  }
  if (auto err = socket_.send(t.src, t.dst, buffer_)) {
    log_->error("tx {} to {}: {}", type, t.dst.to_string(), *err);
    metrics_.add("send_errors_total", {{"type", type}, {"reason", "socket"}});
    return;
  }
  metrics_.add("messages_sent_total", {{"type", type}, {"status", status_of(t.message)}});
  if (log_->should_log(spdlog::level::info)) {  // the line costs more than the message
    log_->info("tx {} -> {}: {}", t.src.to_string(), t.dst.to_string(), one_line(t.message, codec_));
  }
}

void Signaling::receive(const std::function<void(const io::Datagram&, const wire::Message&)>& on_message,
                        const std::function<void(const io::Datagram&)>& on_malformed) {
  while (auto d = socket_.receive()) {
    auto decoded = wire::decode_message(d->payload, codec_);
    if (!decoded) {
      metrics_.add("messages_malformed_total", {{"reason", wire::to_string(decoded.error().code)}});
      log_->warn("rx from {}: malformed ({} octets): {}", d->src.to_string(), d->payload.size(),
                 decoded.error().describe());
      on_malformed(*d);
      continue;
    }
    const auto& m = decoded->message;
    metrics_.add("messages_received_total", {{"type", wire::message_name(m)}, {"status", status_of(m)}});
    if (log_->should_log(spdlog::level::info)) {
      log_->info("rx {} -> {}: {}", d->src.to_string(), d->dst.to_string(), one_line(m, codec_));
    }
    on_message(*d, m);
  }
}

}  // namespace pmipx::daemon
