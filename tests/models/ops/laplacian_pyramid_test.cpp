#include "models/ops/laplacian_pyramid.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <utility>
#include <vector>

#include "models/ops/gaussian_pyramid.h"
#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr OpPath kPaths[] = {OpPath::automatic, OpPath::reference};
constexpr double kFloatTolerance = 1e-5;

TEST(LaplacianPyramid, ReconstructionIsExact) {
  const LaplacianPyramid laplacian({/*levels=*/3});
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths)
      for (auto [h, w] : {std::pair<std::int64_t, std::int64_t>{48, 64}, {47, 65}, {480, 640}}) {
        const torch::Tensor x = test::random_image({1, 1, h, w}, 51).to(device);
        const std::vector<torch::Tensor> bands = laplacian(x, path);
        ASSERT_EQ(bands.size(), 3u);
        EXPECT_LE(test::max_abs_diff(laplacian.reconstruct(bands, path), x), kFloatTolerance) << device << " " << h << "x" << w;
      }
}

TEST(LaplacianPyramid, BandsAreLevelMinusUpsampledNextLevel) {
  const test::FullPrecisionConvolutions full_precision;
  const LaplacianPyramid laplacian({/*levels=*/3});
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths)
      for (auto [h, w] : {std::pair<std::int64_t, std::int64_t>{16, 12}, {17, 13}, {7, 10}}) {
        const torch::Tensor x = test::random_image({2, 2, h, w}, 61);
        const auto bands = laplacian(x.to(device), path);
        const test::Image g0 = test::to_image(x);
        const test::Image g1 = test::naive_pyramid_down(g0);
        const test::Image g2 = test::naive_pyramid_down(g1);
        const torch::Tensor l0 = test::to_tensor(g0) - test::to_tensor(test::naive_pyramid_up(g1, g0.h, g0.w));
        const torch::Tensor l1 = test::to_tensor(g1) - test::to_tensor(test::naive_pyramid_up(g2, g1.h, g1.w));
        EXPECT_LE(test::max_abs_diff(bands[0], l0), kFloatTolerance) << device << " " << h << "x" << w;
        EXPECT_LE(test::max_abs_diff(bands[1], l1), kFloatTolerance) << device << " " << h << "x" << w;
        EXPECT_LE(test::max_abs_diff(bands[2], test::to_tensor(g2)), kFloatTolerance) << "the top is G_2";
      }
}

// up() must restore the mean: a constant image has all-zero bands.
TEST(LaplacianPyramid, ConstantImageHasZeroBands) {
  const LaplacianPyramid laplacian({/*levels=*/3});
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths) {
      const auto bands = laplacian(torch::full({3, 21, 19}, 2.5f, torch::TensorOptions().device(device)), path);
      EXPECT_LE(bands[0].abs().max().item<float>(), 1e-6);
      EXPECT_LE(bands[1].abs().max().item<float>(), 1e-6);
      EXPECT_EQ(bands[2].sizes(), torch::IntArrayRef({3, 6, 5}));
    }
}

TEST(LaplacianPyramid, PathsAndDevicesAgree) {
  const test::FullPrecisionConvolutions full_precision;
  const LaplacianPyramid laplacian({/*levels=*/4});
  const torch::Tensor x = test::random_image({2, 3, 65, 47}, 71);
  const auto fast = laplacian(x);
  for (const torch::Device& device : test::test_devices()) {
    const auto reference = laplacian(x.to(device), OpPath::reference);
    for (std::size_t i = 0; i < fast.size(); ++i)
      EXPECT_LE(test::max_abs_diff(fast[i], reference[i]), kFloatTolerance) << device << " level " << i;
    EXPECT_LE(test::max_abs_diff(laplacian.reconstruct(fast), laplacian.reconstruct(reference, OpPath::reference)),
              kFloatTolerance);
  }
}

TEST(LaplacianPyramid, BadInputThrowsWithAOneLineMessage) {
  const LaplacianPyramid laplacian({/*levels=*/3});
  for (const torch::Device& device : test::test_devices()) {
    const auto opts = torch::TensorOptions().device(device);
    test::expect_invalid_argument([&] { laplacian(torch::zeros({1, 1, 1, 1, 8}, opts)); }, "rank 5");
    test::expect_invalid_argument([&] { laplacian(torch::zeros({1, 16, 16}, opts.dtype(torch::kInt32))); }, "float32");
    test::expect_invalid_argument([&] { laplacian(torch::zeros({1, 4, 64}, opts)); }, "LaplacianPyramid: a 4x64 image is too small for 3 levels");
    const auto bands = laplacian(torch::zeros({1, 16, 16}, opts));
    test::expect_invalid_argument([&] { laplacian.reconstruct({bands[0], bands[2]}); }, "is not the next level");
    test::expect_invalid_argument([&] { laplacian.reconstruct({}); }, "no levels");
  }
}

}  // namespace
}  // namespace vidssl
