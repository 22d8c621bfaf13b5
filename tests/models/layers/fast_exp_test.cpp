#include "models/layers/fast_exp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace vidssl {
namespace {

// Every float step of 1/1024 on [−87, 88], and the integers, where 2^k meets the polynomial's edge.
TEST(FastExp, MatchesExpToAFewUlpsOverTheFloatRange) {
  double worst = 0, worst_at = 0;
  for (std::int64_t i = -87 * 1024; i <= 88 * 1024; ++i) {
    const float x = static_cast<float>(i) / 1024.0f;
    const double expected = std::exp(static_cast<double>(x));
    const double error = std::abs(static_cast<double>(fast_exp(x)) - expected) / expected;
    if (error > worst) worst = error, worst_at = x;
  }
  EXPECT_LT(worst, 3e-7) << "at x = " << worst_at;
}

TEST(FastExp, IsExactAtZeroAndClampsBelowTheNormalRange) {
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_GT(fast_exp(-1000.0f), 0.0f);
  EXPECT_LT(fast_exp(-1000.0f), 2e-38f);
  EXPECT_TRUE(std::isnormal(fast_exp(-1000.0f)));
}

TEST(FastExp, DoublesAreStdExp) { EXPECT_EQ(fast_exp(-3.25), std::exp(-3.25)); }

}  // namespace
}  // namespace vidssl
