#include "apps/deadline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace vidssl {

Deadline::Deadline(double seconds, std::string message) {
  watcher_ = std::thread([this, seconds, message = std::move(message)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (done_changed_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return done_; })) return;
    spdlog::error("{}", message);
    spdlog::shutdown();
    std::fflush(nullptr);
    std::_Exit(1);  // the step cannot be woken; nothing has trained yet
  });
}

Deadline::~Deadline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  done_changed_.notify_all();
  watcher_.join();
}

}  // namespace vidssl
