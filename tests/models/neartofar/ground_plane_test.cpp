#include "models/neartofar/ground_plane.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "models/split_mix64.h"
#include "tests/models/neartofar/road_frame.h"
#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr double kDegree = 3.14159265358979323846 / 180;

// N×3 camera-frame points: road points within ±`noise` (Gaussian σ, metres) of the plane, 4 to 25 m
// ahead, and an `outlier_share` of outliers, half on four boxes standing on the road (0.3 to 1.5 m
// up) and half anywhere in front of the camera (0.5 m below the road to 2 m above it, as stereo
// mismatches are).
torch::Tensor road_points(const test::RoadFrame& frame, int n, double outlier_share, double noise, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> xyz;
  const auto add = [&](double lateral, double height, double distance) {
    for (double c : frame.to_camera(lateral, height, distance)) xyz.push_back(static_cast<float>(c));
  };
  const double boxes[4][2] = {{-3, 8}, {2, 12}, {-1, 17}, {4, 6}};  // lateral, distance of a 1.5×1.5 m box
  for (int i = 0; i < n; ++i) {
    const double kind = rng.uniform();
    if (kind >= outlier_share) {
      add(rng.uniform(-6, 6), noise * rng.normal(), rng.uniform(4, 25));
    } else if (kind < outlier_share / 2) {
      const double* box = boxes[rng.below(4)];
      add(box[0] + rng.uniform(-0.75, 0.75), rng.uniform(0.3, 1.5), box[1] + rng.uniform(-0.75, 0.75));
    } else {
      add(rng.uniform(-8, 8), rng.uniform(-0.5, 2.0), rng.uniform(3, 25));
    }
  }
  return torch::tensor(xyz).view({-1, 3});
}

TEST(Plane, PoseAnglesRoundTripAndMeanWhatTheySay) {
  for (double pitch : {-0.1, 0.0, 0.05, 0.3})
    for (double roll : {-0.05, 0.0, 0.03}) {
      const Plane plane = Plane::from_pose(1.6, pitch, roll);
      EXPECT_NEAR(plane.pitch(), pitch, 1e-12);
      EXPECT_NEAR(plane.roll(), roll, 1e-12);
      EXPECT_DOUBLE_EQ(plane.camera_height(), 1.6);
      const double norm = std::hypot(plane.normal[0], plane.normal[1], plane.normal[2]);
      EXPECT_NEAR(norm, 1.0, 1e-12);
      // The same plane built from the camera's axes: its up is minus the road frame's down, and
      // road points at a given height have that height.
      const test::RoadFrame frame = test::RoadFrame::from_pose(1.6, pitch, roll);
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(plane.normal[c], -frame.down[c], 1e-12);
      const auto p = frame.to_camera(1.3, 0.4, 7.0);
      EXPECT_NEAR(plane.height(p[0], p[1], p[2]), 0.4, 1e-12);
    }
  // Looking down: the optical axis meets the road h/sin(pitch) ahead.
  const double pitch = 0.05;
  EXPECT_NEAR(Plane::from_pose(1.6, pitch, 0).height(0, 0, 1.6 / std::sin(pitch)), 0.0, 1e-12);
  // Rolled right side down: a point to the right is nearer the road than one to the left.
  const Plane rolled = Plane::from_pose(1.6, 0, 0.02);
  EXPECT_LT(rolled.height(1, 0, 5), rolled.height(-1, 0, 5));
  EXPECT_NEAR(rolled.angle_to(Plane::from_pose(1.6, 0, -0.03)), 0.05, 1e-12);
}

TEST(GroundPlane, HeightsAreTheSignedDistancesAboveThePlane) {
  const Plane plane = Plane::from_pose(1.6, 0.04, -0.02);
  torch::manual_seed(3);
  torch::Tensor points = torch::randn({3, 9, 11}) * 5;
  points[0][2][3] = std::nanf("");
  points[2][4][4] = std::nanf("");
  const GroundPlane ground;
  const auto p = points.accessor<float, 3>();
  for (const torch::Device& device : test::test_devices()) {
    const torch::Tensor heights = ground.heights(points.to(device), plane);
    EXPECT_EQ(heights.device(), device);
    ASSERT_EQ(heights.sizes(), torch::IntArrayRef({9, 11}));
    const torch::Tensor got = heights.cpu();
    const auto h = got.accessor<float, 2>();
    for (int v = 0; v < 9; ++v)
      for (int u = 0; u < 11; ++u) {
        const double expected = plane.height(p[0][v][u], p[1][v][u], p[2][v][u]);
        if (std::isnan(expected))
          EXPECT_TRUE(std::isnan(h[v][u])) << v << "," << u;
        else
          EXPECT_NEAR(h[v][u], expected, 1e-5) << device << " " << v << "," << u;
      }
  }
}

TEST(GroundPlane, RecoversAKnownPlaneUnderThirtyPercentOutliers) {
  const double height = 1.6, pitch = 3 * kDegree, roll = 1.5 * kDegree;
  const test::RoadFrame frame = test::RoadFrame::from_pose(height, pitch, roll);
  const torch::Tensor points = road_points(frame, 8000, 0.3, 0.01, 11);
  const Plane truth = Plane::from_pose(height, pitch, roll);
  for (const torch::Device& device : test::test_devices()) {
    const PlaneFit fit = GroundPlane().fit(points.to(device));
    ASSERT_TRUE(fit.ok) << fit.reason;
    EXPECT_TRUE(fit.reason.empty());
    const double angle = fit.plane.angle_to(truth) / kDegree;
    const double height_error = std::abs(fit.plane.camera_height() - height);
    EXPECT_LT(angle, 1.0);
    EXPECT_LT(height_error, 0.02);
    EXPECT_NEAR(fit.plane.pitch() / kDegree, 3.0, 0.5);
    EXPECT_NEAR(fit.plane.roll() / kDegree, 1.5, 0.5);
    EXPECT_EQ(fit.points, 8000);
    EXPECT_GT(fit.inliers, 0.65 * 8000);
    EXPECT_LT(fit.inliers, 0.75 * 8000);
    std::printf("%s: normal %.3f deg off, height %.1f mm off, pitch %.3f deg, roll %.3f deg, %lld inliers of %lld\n",
                device.str().c_str(), angle, 1000 * height_error, fit.plane.pitch() / kDegree, fit.plane.roll() / kDegree,
                static_cast<long long>(fit.inliers), static_cast<long long>(fit.points));
  }
}

TEST(GroundPlane, TheSameSeedGivesTheSameFitAndASubsampleStillFitsWell) {
  const test::RoadFrame frame = test::RoadFrame::from_pose(1.7, 2 * kDegree, -1 * kDegree);
  const torch::Tensor points = road_points(frame, 30000, 0.3, 0.01, 4);  // more than max_points
  const Plane truth = Plane::from_pose(1.7, 2 * kDegree, -1 * kDegree);
  GroundPlaneOptions options;
  options.seed = 17;
  const PlaneFit a = GroundPlane(options).fit(points), b = GroundPlane(options).fit(points);
  ASSERT_TRUE(a.ok) << a.reason;
  EXPECT_EQ(a.plane.normal, b.plane.normal);
  EXPECT_EQ(a.plane.offset, b.plane.offset);
  EXPECT_EQ(a.inliers, b.inliers);
  for (std::uint64_t seed : {1, 2, 3}) {
    options.seed = seed;
    options.max_points = 500;
    const PlaneFit fit = GroundPlane(options).fit(points);
    ASSERT_TRUE(fit.ok) << fit.reason;
    EXPECT_LT(fit.plane.angle_to(truth), 1 * kDegree) << "seed " << seed;
    EXPECT_LT(std::abs(fit.plane.camera_height() - 1.7), 0.02) << "seed " << seed;
  }
}

TEST(GroundPlane, TheBoundsKeepTheRoadWhenALargerFlatSurfaceStandsOnIt) {
  // Half the points lie on a 0.8 m high platform, 40 % on the road: the platform explains more
  // points, but its plane is 0.8 m from the prior height.
  const test::RoadFrame frame = test::RoadFrame::from_pose(1.6, 2 * kDegree, 0);
  SplitMix64 rng(8);
  std::vector<float> xyz;
  for (int i = 0; i < 5000; ++i) {
    const double kind = rng.uniform();
    const double height = kind < 0.5 ? 0.8 : kind < 0.9 ? 0.0 : rng.uniform(0.2, 2.0);
    for (double c : frame.to_camera(rng.uniform(-6, 6), height + 0.01 * rng.normal(), rng.uniform(4, 25)))
      xyz.push_back(static_cast<float>(c));
  }
  const PlaneFit fit = GroundPlane().fit(torch::tensor(xyz).view({-1, 3}));
  ASSERT_TRUE(fit.ok) << fit.reason;
  EXPECT_NEAR(fit.plane.camera_height(), 1.6, 0.02);
}

TEST(GroundPlane, RefusesFramesOutsideThePriorOrWithTooFewPointsAndSaysWhy) {
  const auto expect_refused = [](const PlaneFit& fit, const std::string& words) {
    EXPECT_FALSE(fit.ok);
    EXPECT_NE(fit.reason.find(words), std::string::npos) << fit.reason;
    EXPECT_EQ(fit.reason.find('\n'), std::string::npos) << fit.reason;
  };
  const GroundPlane ground;
  // A hillside pitched 20° from the prior: every candidate is out of bounds.
  const PlaneFit steep = ground.fit(road_points(test::RoadFrame::from_pose(1.6, 20 * kDegree, 0), 4000, 0.0, 0.01, 1));
  expect_refused(steep, "");
  std::printf("20 deg tilt: %s\n", steep.reason.c_str());
  expect_refused(ground.fit(road_points(test::RoadFrame::from_pose(2.4, 0, 0), 4000, 0.0, 0.01, 1)), "");
  // With looser bounds both are fine.
  GroundPlaneOptions loose;
  loose.max_angle_error = 0.5;
  EXPECT_TRUE(GroundPlane(loose).fit(road_points(test::RoadFrame::from_pose(1.6, 20 * kDegree, 0), 4000, 0, 0.01, 1)).ok);
  loose.max_height_error = 1.0;
  EXPECT_TRUE(GroundPlane(loose).fit(road_points(test::RoadFrame::from_pose(2.4, 0, 0), 4000, 0, 0.01, 1)).ok);

  const test::RoadFrame level = test::RoadFrame::from_pose(1.65, 0, 0);
  const PlaneFit few = ground.fit(road_points(level, 150, 0.0, 0.01, 2));
  expect_refused(few, "150 ground candidates (need 200)");
  EXPECT_EQ(few.points, 150);
  // 1000 points, 90 % anywhere: about 100 road points, fewer than 200 (and than 20 %).
  const PlaneFit sparse = ground.fit(road_points(level, 1000, 0.9, 0.01, 2));
  expect_refused(sparse, "inliers of 1000 ground candidates (need 200)");
  EXPECT_LT(sparse.inliers, 200);
  // The fraction binds when there are many candidates: 5000 points, 85 % off the road.
  expect_refused(ground.fit(road_points(level, 5000, 0.85, 0.01, 2)), "ground candidates (need 1000)");
  expect_refused(ground.fit(torch::zeros({0, 3})), "0 ground candidates");
}

TEST(GroundPlane, NonFinitePointsAreDroppedAndInputIsChecked) {
  torch::Tensor points = road_points(test::RoadFrame::from_pose(1.65, 0.01, 0), 1000, 0.0, 0.01, 6);
  points[5][0] = std::nanf("");
  points[9][2] = std::numeric_limits<float>::infinity();
  const PlaneFit fit = GroundPlane().fit(points);
  EXPECT_TRUE(fit.ok) << fit.reason;
  EXPECT_EQ(fit.points, 998);
  test::expect_invalid_argument([] { GroundPlane().fit(torch::zeros({10, 2})); }, "Nx3");
  test::expect_invalid_argument([] { GroundPlane().heights(torch::zeros({10, 3}), Plane{}); }, "3xHxW");
}

TEST(GroundPlane, OptionsAreCheckedByName) {
  const auto expect_bad = [](auto change, const std::string& name) {
    GroundPlaneOptions options;
    change(options);
    test::expect_invalid_argument([&] { GroundPlane{options}; }, name);
  };
  expect_bad([](GroundPlaneOptions& o) { o.camera_height = 0; }, "camera_height");
  expect_bad([](GroundPlaneOptions& o) { o.pitch = 2; }, "pitch");
  expect_bad([](GroundPlaneOptions& o) { o.roll = -2; }, "roll");
  expect_bad([](GroundPlaneOptions& o) { o.max_height_error = 0; }, "max_height_error");
  expect_bad([](GroundPlaneOptions& o) { o.max_angle_error = 2; }, "max_angle_error");
  expect_bad([](GroundPlaneOptions& o) { o.iterations = -1; }, "iterations");
  expect_bad([](GroundPlaneOptions& o) { o.inlier_distance = 0; }, "inlier_distance");
  expect_bad([](GroundPlaneOptions& o) { o.min_inliers = 2; }, "min_inliers");
  expect_bad([](GroundPlaneOptions& o) { o.min_inlier_fraction = 1.5; }, "min_inlier_fraction");
  expect_bad([](GroundPlaneOptions& o) { o.max_points = 2; }, "max_points");
  EXPECT_NO_THROW(GroundPlaneOptions{}.check());
}

}  // namespace
}  // namespace vidssl
