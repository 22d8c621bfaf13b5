#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace vidssl {

// Wakes one reader when any of several writers has news: every learner's display mailbox rings
// the same bell, so the main thread sleeps until something changed instead of polling each.
//
//   auto bell = std::make_shared<Doorbell>();
//   auto box = pipeline.tap(stage, bell);        // box->post() rings it
//   std::uint64_t heard = 0;
//   bell->wait_for(heard, std::chrono::milliseconds(100));   // true: rung since `heard`
class Doorbell {
 public:
  void ring() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++rings_;
    }
    rung_.notify_all();
  }

  // Waits up to `timeout` for a ring after `heard` (updated to the rings so far). True if rung.
  template <class Rep, class Period>
  bool wait_for(std::uint64_t& heard, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool rung = rung_.wait_for(lock, timeout, [&] { return rings_ > heard; });
    heard = rings_;
    return rung;
  }

 private:
  std::mutex mutex_;
  std::condition_variable rung_;
  std::uint64_t rings_ = 0;
};

}  // namespace vidssl
