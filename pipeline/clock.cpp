#include "pipeline/clock.h"

#include <chrono>
#include <thread>

namespace vidssl {

std::int64_t SteadyClock::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SteadyClock::sleep_until_us(std::int64_t t_us) {
  std::this_thread::sleep_until(std::chrono::steady_clock::time_point(std::chrono::microseconds(t_us)));
}

std::int64_t SimulatedClock::now_us() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return now_us_;
}

void SimulatedClock::sleep_until_us(std::int64_t t_us) {
  std::unique_lock<std::mutex> lock(mutex_);
  ++sleepers_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return now_us_ >= t_us; });
  --sleepers_;
}

void SimulatedClock::advance_us(std::int64_t dt_us) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now_us_ += dt_us;
  }
  changed_.notify_all();
}

void SimulatedClock::wait_for_sleeper() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return sleepers_ > 0; });
}

}  // namespace vidssl
