#include "models/layers/shrink.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/models/gradient_check.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

TEST(Shrink, MatchesTheFormulaElementByElement) {
  for (const auto& device : test::test_devices()) {
    auto u = torch::linspace(-3, 3, 61, torch::dtype(torch::kDouble).device(device));
    auto out = shrink(u, torch::scalar_tensor(1.0, u.options())).cpu();
    auto uc = u.cpu();
    for (int i = 0; i < 61; ++i) {
      const double v = uc[i].item<double>();
      const double expected = (v > 1 ? v - 1 : (v < -1 ? v + 1 : 0));
      EXPECT_NEAR(out[i].item<double>(), expected, 1e-12) << "u = " << v << " on " << device;
    }
  }
}

TEST(Shrink, OneThresholdPerFeature) {
  auto u = torch::full({1, 3, 2, 2}, 1.0, torch::kDouble);
  auto theta = torch::tensor({0.5, 1.5, 0.0}, torch::kDouble);
  auto out = shrink_features(u, theta);
  EXPECT_DOUBLE_EQ(out[0][0][0][0].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(out[0][1][1][1].item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(out[0][2][0][1].item<double>(), 1.0);
}

TEST(Shrink, GradientsInInputAndThresholdMatchFiniteDifferences) {
  torch::manual_seed(1);
  // Values kept away from the kinks |u| = θ, where the derivative jumps.
  auto u = torch::randn({2, 3, 4, 4}, torch::kDouble);
  u = torch::where(u.abs().sub(0.3).abs() < 0.05, u * 2, u);
  auto theta = torch::full({3}, 0.3, torch::kDouble);
  auto weights = torch::randn({2, 3, 4, 4}, torch::kDouble);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (shrink_features(v, theta) * weights).sum(); }, u),
            1e-7);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& t) { return (shrink_features(u, t) * weights).sum(); }, theta),
            1e-7);
}

}  // namespace
}  // namespace vidssl
