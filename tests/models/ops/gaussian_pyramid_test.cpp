#include "models/ops/gaussian_pyramid.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <utility>
#include <vector>

#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr OpPath kPaths[] = {OpPath::automatic, OpPath::reference};

// Float filtering of values in [0, 1) against double: rounding is near 1e-7.
constexpr double kFloatTolerance = 1e-5;

TEST(GaussianPyramid, LevelsMatchTheFiveByFiveBinomialWithReflectAndDecimation) {
  const test::FullPrecisionConvolutions full_precision;
  const GaussianPyramid pyramid({/*levels=*/3});
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths)
      for (auto [h, w] : {std::pair<std::int64_t, std::int64_t>{16, 12}, {17, 13}, {12, 17}, {6, 5}, {5, 6}}) {
        const torch::Tensor x = test::random_image({2, 3, h, w}, 31);
        const std::vector<torch::Tensor> levels = pyramid(x.to(device), path);
        ASSERT_EQ(levels.size(), 3u);
        EXPECT_TRUE(levels[0].is_same(x.to(device)) || torch::equal(levels[0].cpu(), x)) << "G_0 is the input";
        const test::Image level1 = test::naive_pyramid_down(test::to_image(x));
        const test::Image level2 = test::naive_pyramid_down(level1);
        EXPECT_EQ(levels[1].sizes(), torch::IntArrayRef({2, 3, (h + 1) / 2, (w + 1) / 2}));
        EXPECT_LE(test::max_abs_diff(levels[1], test::to_tensor(level1)), kFloatTolerance) << device << " " << h << "x" << w;
        EXPECT_LE(test::max_abs_diff(levels[2], test::to_tensor(level2)), kFloatTolerance) << device << " " << h << "x" << w;
      }
}

TEST(GaussianPyramid, ConstantImageStaysConstant) {
  const GaussianPyramid pyramid({/*levels=*/4});
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths) {
      const auto levels = pyramid(torch::full({1, 29, 31}, 0.7f, torch::TensorOptions().device(device)), path);
      for (const torch::Tensor& level : levels) EXPECT_LE((level - 0.7f).abs().max().item<float>(), 1e-6);
      EXPECT_EQ(levels[3].sizes(), torch::IntArrayRef({1, 4, 4}));
    }
}

TEST(GaussianPyramid, PathsAndDevicesAgree) {
  const test::FullPrecisionConvolutions full_precision;
  const GaussianPyramid pyramid({/*levels=*/3});
  for (const auto& sizes : std::vector<std::vector<std::int64_t>>{{2, 3, 65, 47}, {1, 1, 48, 64}, {1, 480, 640}}) {
    const torch::Tensor x = test::random_image(sizes, 41);
    const auto fast = pyramid(x);
    for (const torch::Device& device : test::test_devices()) {
      const auto reference = pyramid(x.to(device), OpPath::reference);
      for (std::size_t i = 0; i < fast.size(); ++i) {
        EXPECT_EQ(fast[i].sizes(), reference[i].sizes());
        EXPECT_LE(test::max_abs_diff(fast[i], reference[i]), kFloatTolerance) << device << " level " << i;
      }
    }
  }
}

TEST(GaussianPyramid, BadInputThrowsWithAOneLineMessage) {
  const GaussianPyramid pyramid({/*levels=*/3});
  for (const torch::Device& device : test::test_devices()) {
    const auto opts = torch::TensorOptions().device(device);
    test::expect_invalid_argument([&] { pyramid(torch::zeros({16, 16}, opts)); }, "rank 2");
    test::expect_invalid_argument([&] { pyramid(torch::zeros({1, 16, 16}, opts.dtype(torch::kUInt8))); }, "float32");
    // 5×4 → 3×2: level 1 cannot be filtered for level 2.
    test::expect_invalid_argument([&] { pyramid(torch::zeros({1, 5, 4}, opts)); }, "too small for 3 levels");
    test::expect_invalid_argument([&] { pyramid(torch::zeros({1, 2, 64}, opts)); }, "too small for 3 levels");
  }
  EXPECT_EQ(pyramid(torch::zeros({1, 5, 5})).back().sizes(), torch::IntArrayRef({1, 2, 2})) << "a 2x2 top is fine";
  EXPECT_EQ(GaussianPyramid({/*levels=*/1})(torch::zeros({1, 1, 1})).size(), 1u) << "one level filters nothing";
  test::expect_invalid_argument([] { GaussianPyramid({/*levels=*/0}); }, "levels");
}

}  // namespace
}  // namespace vidssl
