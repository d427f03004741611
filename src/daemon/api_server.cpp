#include "daemon/api_server.hpp"

#include <httplib.h>

#include <stdexcept>

namespace pmipx::daemon {
namespace {

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

void run(EventLoop& loop, const ApiServer::Handler& h, const httplib::Request& req, httplib::Response& res) {
  Json body = Json::object();
  if (!req.body.empty()) {
    body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return reply(res, 400, {{"error", "request body is not JSON"}});
  }
  try {
    Json out = loop.call([&] { return h(body); });
    reply(res, 200, out);
  } catch (const ApiError& e) {
    reply(res, e.status, {{"error", e.message}});
  } catch (const std::exception& e) {
    reply(res, 500, {{"error", e.what()}});
  }
}

}  // namespace

ApiServer::ApiServer(EventLoop& loop, ApiConfig config)
    : loop_(loop), config_(std::move(config)), server_(std::make_unique<httplib::Server>()) {
  // A few workers and short keep-alives: idle scrapers must not hold every worker.
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server_->set_keep_alive_max_count(10);
  server_->set_keep_alive_timeout(2);
  // Small request/response pairs on a kept-alive connection otherwise wait for Nagle and a
  // delayed ACK: ~38 ms per request instead of ~2 (measured by bench/dataplane/lma_load.py).
  server_->set_tcp_nodelay(true);
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::get(const std::string& path, Handler h) {
  server_->Get(path, [this, h](const httplib::Request& req, httplib::Response& res) { run(loop_, h, req, res); });
}

void ApiServer::post(const std::string& path, Handler h) {
  server_->Post(path, [this, h](const httplib::Request& req, httplib::Response& res) { run(loop_, h, req, res); });
}

void ApiServer::text(const std::string& path, std::function<std::string()> h) {
  server_->Get(path, [this, h](const httplib::Request&, httplib::Response& res) {
    try {
      res.set_content(loop_.call(h), "text/plain; version=0.0.4");
    } catch (const std::exception& e) {
      reply(res, 503, {{"error", e.what()}});
    }
  });
}

void ApiServer::start() {
  if (!config_.enabled) return;
  if (!server_->bind_to_port(config_.address.c_str(), config_.port)) {
    throw std::runtime_error("management API: cannot listen on " + config_.address + " port " +
                             std::to_string(config_.port));
  }
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) reply(res, res.status, {{"error", "no such endpoint"}});
  });
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

void ApiServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace pmipx::daemon
