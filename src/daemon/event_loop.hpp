// The edge's one thread: an Asio io_context that waits on sockets, one timer for the engine
// and signals. Engines are only ever called from this thread; the management API's HTTP
// threads hand their work over with call().
#pragma once

#include <asio.hpp>
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>

#include "core/time.hpp"

namespace pmipx::daemon {

inline core::Now clock_now() { return core::Now{core::MonoClock::now(), std::chrono::system_clock::now()}; }

class EventLoop {
 public:
  EventLoop() : signals_(io_, SIGINT, SIGTERM) {
    signals_.async_wait([this](const asio::error_code& ec, int) {
      if (!ec) io_.stop();
    });
  }

  asio::io_context& io() { return io_; }
  // Runs until stopped; false once it returns, however it ended (an exception included), so
  // API threads waiting in call() give up instead of blocking the daemon's exit.
  void run() {
    running_ = true;
    struct Done {
      std::atomic<bool>& flag;
      ~Done() { flag = false; }
    } done{running_};
    io_.run();
  }
  void stop() { io_.stop(); }

  // Where exceptions escaping a readiness handler are reported (logged and counted).
  void on_error(std::function<void(const std::string&)> f) { on_error_ = std::move(f); }

  // Calls on_readable each time `fd` has data; the fd stays owned by its socket object.
  void watch(int fd, std::function<void()> on_readable) {
    auto w = std::make_shared<Watch>(io_, fd, std::move(on_readable));
    watches_.push_back(w);
    arm(w);
  }

  // Runs `fn` on the loop thread and waits for its result (from another thread only).
  template <class F>
  auto call(F fn) -> decltype(fn()) {
    using R = decltype(fn());
    // Shared with the posted task: a loop that stops first never runs it, and nothing it
    // holds dangles when this caller has given up.
    auto task = std::make_shared<std::pair<std::promise<R>, F>>(std::promise<R>{}, std::move(fn));
    auto fut = task->first.get_future();
    asio::post(io_, [task] {
      try {
        if constexpr (std::is_void_v<R>) {
          task->second();
          task->first.set_value();
        } else {
          task->first.set_value(task->second());
        }
      } catch (...) {
        task->first.set_exception(std::current_exception());
      }
    });
    while (fut.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      if (!running_) throw std::runtime_error("daemon is stopping");
    }
    return fut.get();
  }

  ~EventLoop() {
    for (auto& w : watches_) w->descriptor.release();
  }

 private:
  struct Watch {
    Watch(asio::io_context& io, int fd, std::function<void()> cb) : descriptor(io, fd), on_readable(std::move(cb)) {}
    asio::posix::stream_descriptor descriptor;
    std::function<void()> on_readable;
  };
  void arm(const std::shared_ptr<Watch>& w) {
    w->descriptor.async_wait(asio::posix::stream_descriptor::wait_read, [this, w](const asio::error_code& ec) {
      if (ec) return;
      try {
        w->on_readable();
      } catch (const std::exception& e) {
        // One bad read must not end the daemon; the handler logs what it understands.
        if (on_error_) on_error_(e.what());
      }
      arm(w);
    });
  }

  asio::io_context io_;
  asio::signal_set signals_;
  std::vector<std::shared_ptr<Watch>> watches_;
  std::atomic<bool> running_{false};
  std::function<void(const std::string&)> on_error_;
};

// The engine's single timer: re-armed to poll_timeout() after every call into the engine.
class EngineTimer {
 public:
  EngineTimer(asio::io_context& io, std::function<void()> on_fire) : timer_(io), on_fire_(std::move(on_fire)) {}
  void arm(std::optional<core::Instant> at) {
    if (at == armed_) return;
    armed_ = at;
    ++generation_;  // a completion already queued for the old deadline is stale
    timer_.cancel();
    if (!at) return;
    timer_.expires_at(*at);
    timer_.async_wait([this, gen = generation_](const asio::error_code& ec) {
      if (ec || gen != generation_) return;
      armed_.reset();
      on_fire_();
    });
  }

 private:
  asio::steady_timer timer_;
  std::function<void()> on_fire_;
  std::optional<core::Instant> armed_;
  std::uint64_t generation_ = 0;
};

}  // namespace pmipx::daemon
