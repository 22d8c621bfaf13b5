#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/clock.h"
#include "stages/frame_source.h"

namespace vidssl::test {

// Reads `frames` frames of a paced source (options.realtime, built on `clock`) on a thread while
// this thread lets `waits` of them through, each by stepping the clock one period in two halves,
// and returns the clock's time at each release. A frame released before its time shows as a count
// that grew after the first half step. Nothing sleeps: the reader blocks in the SimulatedClock
// until the test advances it.
inline std::vector<std::int64_t> paced_release_times(FrameSource& source, SimulatedClock& clock, std::size_t frames,
                                                     std::size_t waits, std::int64_t period_us) {
  std::mutex mutex;
  std::condition_variable delivered_cv;
  std::vector<std::int64_t> released_at;
  std::thread reader([&] {
    Frame frame;
    for (std::size_t k = 0; k < frames && source.read(frame); ++k) {
      std::lock_guard<std::mutex> lock(mutex);
      released_at.push_back(clock.now_us());
      delivered_cv.notify_all();
    }
  });
  const auto delivered = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return released_at.size();
  };
  for (std::size_t step = 0; step < waits; ++step) {
    clock.wait_for_sleeper();  // the reader holds its next frame until its time
    const std::size_t before = delivered();
    clock.advance_us(period_us / 2);
    EXPECT_EQ(delivered(), before) << "frame " << before << " released before its time";
    clock.advance_us(period_us - period_us / 2);
    std::unique_lock<std::mutex> lock(mutex);
    delivered_cv.wait(lock, [&] { return released_at.size() > before; });
  }
  reader.join();
  return released_at;
}

}  // namespace vidssl::test
