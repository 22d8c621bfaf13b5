#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace vidssl {

// Time in microseconds for pacing (source.realtime). Paced sources take a Clock (FramePacer) so
// tests run on a SimulatedClock, where time moves only when the test says so, instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_us() const = 0;
  // Returns at or after `t_us` on this clock.
  virtual void sleep_until_us(std::int64_t t_us) = 0;
};

// The machine's monotonic clock.
class SteadyClock final : public Clock {
 public:
  std::int64_t now_us() const override;
  void sleep_until_us(std::int64_t t_us) override;
};

// A clock that only moves when advanced. sleep_until_us() blocks the caller until another thread
// advances the clock far enough, so a test decides exactly when a paced source may go on.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(std::int64_t start_us = 0) : now_us_(start_us) {}
  std::int64_t now_us() const override;
  void sleep_until_us(std::int64_t t_us) override;
  void advance_us(std::int64_t dt_us);
  // Blocks until some thread is waiting in sleep_until_us (lets a test step a paced source).
  void wait_for_sleeper();

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::int64_t now_us_;
  int sleepers_ = 0;
};

}  // namespace vidssl
