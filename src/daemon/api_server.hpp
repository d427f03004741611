// The management API: HTTP + JSON (cpp-httplib) on the daemon's local address. Handlers run on
// the event loop thread (EventLoop::call), so they see engine state between two events and
// never race with protocol processing. Errors are JSON {"error": "..."} with 4xx statuses.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "daemon/config.hpp"
#include "daemon/event_loop.hpp"

namespace httplib {
class Server;
}

namespace pmipx::daemon {

using Json = nlohmann::ordered_json;

// A refused request: its text becomes {"error": ...} with `status`.
struct ApiError {
  int status = 400;
  std::string message;
};

class ApiServer {
 public:
  using Handler = std::function<Json(const Json& body)>;  // may throw ApiError

  ApiServer(EventLoop& loop, ApiConfig config);
  ~ApiServer();
  void get(const std::string& path, Handler h);
  void post(const std::string& path, Handler h);
  // Plain text (Prometheus exposition format) for /metrics.
  void text(const std::string& path, std::function<std::string()> h);
  // Binds (throws std::runtime_error naming the address when it cannot) and serves on a thread.
  void start();
  void stop();

 private:
  EventLoop& loop_;
  ApiConfig config_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace pmipx::daemon
