#include "pipeline/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace vidssl {
namespace {

TEST(SimulatedClock, SleepReturnsOnlyWhenTheTestAdvancesTime) {
  SimulatedClock clock(1000);
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.sleep_until_us(1500);
    woke = true;
  });
  clock.wait_for_sleeper();
  clock.advance_us(499);
  EXPECT_FALSE(woke.load());
  clock.advance_us(1);
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.now_us(), 1500);
}

}  // namespace
}  // namespace vidssl
