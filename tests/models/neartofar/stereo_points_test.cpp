#include "models/neartofar/stereo_points.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

const StereoCamera kCamera{359.4, 361.2, 30.5, 11.25, 0.537, 64, 24};

// Disparities in (0, 40) px with a third of them invalid: negative, zero or NaN.
torch::Tensor random_disparity(std::uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor d = torch::rand({kCamera.height, kCamera.width}) * 40;
  const torch::Tensor pick = torch::rand({kCamera.height, kCamera.width});
  d.masked_fill_(pick < 0.1, -1.0f).masked_fill_((pick >= 0.1) & (pick < 0.2), 0.0f);
  d.masked_fill_((pick >= 0.2) & (pick < 0.3), std::nanf(""));
  return d;
}

TEST(StereoPoints, PointsMatchThePinholeFormulasPixelByPixel) {
  const torch::Tensor disparity = random_disparity(5);
  for (const torch::Device& device : test::test_devices()) {
    const torch::Tensor points = disparity_to_points(disparity.to(device), kCamera);
    EXPECT_EQ(points.device(), device);
    EXPECT_EQ(points.scalar_type(), torch::kFloat32);
    ASSERT_EQ(points.sizes(), torch::IntArrayRef({3, kCamera.height, kCamera.width}));
    const torch::Tensor got = points.cpu();
    const auto p = got.accessor<float, 3>();
    const auto d = disparity.accessor<float, 2>();
    int valid = 0;
    for (int v = 0; v < kCamera.height; ++v)
      for (int u = 0; u < kCamera.width; ++u) {
        if (!(d[v][u] > 0)) {
          for (int c = 0; c < 3; ++c) EXPECT_TRUE(std::isnan(p[c][v][u])) << v << "," << u;
          continue;
        }
        ++valid;
        const double z = kCamera.fx * kCamera.baseline / d[v][u];
        const double expected[3] = {(u - kCamera.cx) * z / kCamera.fx, (v - kCamera.cy) * z / kCamera.fy, z};
        for (int c = 0; c < 3; ++c)
          EXPECT_NEAR(p[c][v][u], expected[c], 1e-5 * (1 + std::abs(expected[c]))) << device << " " << v << "," << u;
      }
    EXPECT_GT(valid, kCamera.height * kCamera.width / 2);
  }
}

TEST(StereoPoints, GroundCandidatesAreTheFiniteNearPointsOfTheLowerRowsInRowMajorOrder) {
  const torch::Tensor points = disparity_to_points(random_disparity(9), kCamera);
  const double max_depth = 20.0;
  const int row_begin = 10;
  std::vector<float> expected;
  const auto p = points.accessor<float, 3>();
  for (int v = row_begin; v < kCamera.height; ++v)
    for (int u = 0; u < kCamera.width; ++u)
      if (std::isfinite(p[2][v][u]) && p[2][v][u] <= max_depth)
        for (int c = 0; c < 3; ++c) expected.push_back(p[c][v][u]);
  ASSERT_GT(expected.size(), 30u);
  for (const torch::Device& device : test::test_devices()) {
    const torch::Tensor got = ground_candidates(points.to(device), max_depth, row_begin);
    EXPECT_EQ(got.device(), device);
    ASSERT_EQ(got.sizes(), torch::IntArrayRef({static_cast<std::int64_t>(expected.size() / 3), 3}));
    EXPECT_TRUE(torch::equal(got.cpu(), torch::tensor(expected).view({-1, 3}))) << device;
  }
  EXPECT_EQ(ground_candidates(points, max_depth, kCamera.height).sizes(), torch::IntArrayRef({0, 3}));
  EXPECT_EQ(ground_candidates(points, max_depth, 1000).sizes(), torch::IntArrayRef({0, 3}));
}

TEST(StereoPoints, BadInputThrowsWithAOneLineMessage) {
  const torch::Tensor disparity = torch::ones({kCamera.height, kCamera.width});
  test::expect_invalid_argument([&] { disparity_to_points(disparity.view({1, kCamera.height, kCamera.width}), kCamera); },
                                "rank 3");
  test::expect_invalid_argument([&] { disparity_to_points(disparity.to(torch::kFloat64), kCamera); }, "float32");
  test::expect_invalid_argument([&] { disparity_to_points(disparity, kCamera.scaled(0.5)); }, "scale the camera");
  StereoCamera no_baseline = kCamera;
  no_baseline.baseline = 0;
  test::expect_invalid_argument([&] { disparity_to_points(disparity, no_baseline); }, "baseline");
  StereoCamera any_size = kCamera;
  any_size.width = any_size.height = 0;
  EXPECT_EQ(disparity_to_points(torch::ones({5, 7}), any_size).sizes(), torch::IntArrayRef({3, 5, 7}))
      << "a camera without a size takes the map's";
  test::expect_invalid_argument([&] { ground_candidates(disparity, 20.0, 0); }, "3xHxW");
  test::expect_invalid_argument([&] { ground_candidates(disparity_to_points(disparity, kCamera), 20.0, -1); },
                                "row_begin");
}

}  // namespace
}  // namespace vidssl
