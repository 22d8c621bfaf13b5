#include "models/neartofar/traversability_labels.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/neartofar/ground_plane.h"
#include "models/neartofar/stereo_points.h"
#include "models/split_mix64.h"
#include "tests/models/neartofar/box_scene.h"
#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr std::int64_t kGround = static_cast<std::int64_t>(Traversability::ground);
constexpr std::int64_t kFootline = static_cast<std::int64_t>(Traversability::footline);
constexpr std::int64_t kObstacle = static_cast<std::int64_t>(Traversability::obstacle);
constexpr std::int64_t kSuperGround = static_cast<std::int64_t>(Traversability::super_ground);
constexpr std::int64_t kSuperObstacle = static_cast<std::int64_t>(Traversability::super_obstacle);

struct Window {
  std::string what;
  std::int64_t top, bottom, left, right;
};

// Windows of the box scene, placed from the scene's own projection: the box (1 m tall, 2 m wide,
// 10 m ahead) stands on rows ~108-144 and columns ~267-339 of the 620×188 image.
std::vector<Window> scene_windows(const test::BoxScene& scene) {
  const auto row_at = [&scene](double height) { return scene.project(0, height, scene.box_near).second; };
  const auto base = static_cast<std::int64_t>(std::lround(row_at(0)));
  const auto face_left = static_cast<std::int64_t>(std::ceil(scene.project(scene.box_left, 0, scene.box_near).first)) + 3;
  const auto face_right = static_cast<std::int64_t>(std::floor(scene.project(scene.box_right, 0, scene.box_near).first)) - 3;
  const auto footline_top = static_cast<std::int64_t>(std::lround(row_at(0.5)));
  return {
      {"dense road", base + 14, base + 40, 60, 120},
      {"small road patch", base + 20, base + 28, 200, 210},
      {"dense box face", static_cast<std::int64_t>(std::ceil(row_at(0.95))), static_cast<std::int64_t>(row_at(0.4)),
       face_left, face_right},
      {"small box patch", static_cast<std::int64_t>(std::ceil(row_at(0.9))), static_cast<std::int64_t>(row_at(0.6)), 300,
       308},
      {"box base", footline_top, base + (base - footline_top), face_left, face_right},
      {"low box face", static_cast<std::int64_t>(std::ceil(row_at(0.22))), static_cast<std::int64_t>(row_at(0.12)),
       face_left, face_right},
      {"blind band", 150, 180, 5, 35},
      {"road half in the blind band", 160, 180, 30, 50},
      {"sky", 0, 40, 100, 300},
      {"clipped at the corner", 180, 400, 600, 700},
      {"empty", 50, 50, 10, 20},
      {"outside", 200, 300, 10, 20},
  };
}

torch::Tensor boxes_of(const std::vector<Window>& windows) {
  std::vector<std::int64_t> flat;
  for (const Window& w : windows) flat.insert(flat.end(), {w.top, w.bottom, w.left, w.right});
  return torch::tensor(flat, torch::kInt64).view({-1, 4});
}

// label_windows over the scene windows, by name.
std::vector<std::string> names(const torch::Tensor& heights, const std::vector<Window>& windows, const LabelOptions& options) {
  const torch::Tensor labels = label_windows(heights, boxes_of(windows), options).cpu();
  std::vector<std::string> out;
  for (std::int64_t i = 0; i < labels.size(0); ++i) out.push_back(traversability_name(labels[i].item<std::int64_t>()));
  return out;
}

TEST(TraversabilityLabels, NamesAreTheClassIndices) {
  EXPECT_STREQ(traversability_name(kGround), "ground");
  EXPECT_STREQ(traversability_name(kFootline), "footline");
  EXPECT_STREQ(traversability_name(kObstacle), "obstacle");
  EXPECT_STREQ(traversability_name(kSuperGround), "super_ground");
  EXPECT_STREQ(traversability_name(kSuperObstacle), "super_obstacle");
  EXPECT_STREQ(traversability_name(kUnlabeled), "unlabeled");
  EXPECT_STREQ(traversability_name(kTraversabilityClasses), "?");
}

TEST(TraversabilityLabels, BoxSceneWindowsGetTheirClasses) {
  const test::BoxScene scene;
  const test::BoxScene::Render render = scene.render();
  const std::vector<Window> windows = scene_windows(scene);
  const std::vector<std::string> expected = {"super_ground", "ground",    "super_obstacle", "obstacle",
                                             "footline",     "unlabeled", "unlabeled",      "super_ground",
                                             "unlabeled",    "super_ground", "unlabeled",   "unlabeled"};
  for (const torch::Device& device : test::test_devices()) {
    const torch::Tensor labels = label_windows(render.heights.to(device), boxes_of(windows).to(device), LabelOptions{});
    EXPECT_EQ(labels.device(), device);
    EXPECT_EQ(labels.scalar_type(), torch::kInt64);
    const std::vector<std::string> got = names(render.heights.to(device), windows, LabelOptions{});
    for (std::size_t i = 0; i < windows.size(); ++i) EXPECT_EQ(got[i], expected[i]) << windows[i].what << " on " << device;
  }
}

TEST(TraversabilityLabels, ThresholdsMoveWindowsBetweenClasses) {
  const test::BoxScene scene;
  const torch::Tensor heights = scene.render().heights;
  const std::vector<Window> windows = scene_windows(scene);
  const auto label_of = [&](const LabelOptions& options, const std::string& what) {
    const std::vector<std::string> got = names(heights, windows, options);
    for (std::size_t i = 0; i < windows.size(); ++i)
      if (windows[i].what == what) return got[i];
    return std::string("no such window");
  };

  LabelOptions taller;  // the 1 m box is no obstacle for a vehicle that clears 1.2 m
  taller.obstacle_height = 1.2;
  EXPECT_EQ(label_of(taller, "dense box face"), "unlabeled");
  EXPECT_EQ(label_of(taller, "small box patch"), "unlabeled");
  EXPECT_EQ(label_of(taller, "box base"), "unlabeled");
  EXPECT_EQ(label_of(taller, "dense road"), "super_ground");

  LabelOptions wide_ground;  // a step of up to 24 cm counts as road
  wide_ground.ground_tolerance = 0.24;
  EXPECT_EQ(label_of(wide_ground, "low box face"), "super_ground");

  LabelOptions sparse;
  sparse.super_min_points = 5000;
  EXPECT_EQ(label_of(sparse, "dense road"), "ground");
  EXPECT_EQ(label_of(sparse, "dense box face"), "obstacle");

  LabelOptions strict;  // the base window's upper half is about half obstacle, the whole window a quarter
  strict.obstacle_share = 0.6;
  EXPECT_EQ(label_of(strict, "box base"), "unlabeled");
  EXPECT_EQ(label_of(strict, "dense box face"), "super_obstacle");

  LabelOptions demanding;
  demanding.min_points = 5000;
  demanding.super_min_points = 5000;
  for (const std::string& label : names(heights, windows, demanding)) EXPECT_EQ(label, "unlabeled");
}

TEST(TraversabilityLabels, FromARenderedDisparityThroughTheFittedPlane) {
  const test::BoxScene scene;
  const test::BoxScene::Render render = scene.render();
  const std::vector<Window> windows = scene_windows(scene);
  for (const torch::Device& device : test::test_devices()) {
    const torch::Tensor points = disparity_to_points(render.disparity.to(device), scene.camera);
    const GroundPlane ground;
    const PlaneFit fit = ground.fit(ground_candidates(points, 20.0, scene.camera.height / 2));
    ASSERT_TRUE(fit.ok) << fit.reason;
    const Plane truth = Plane::from_pose(scene.camera_height, scene.pitch, scene.roll);
    EXPECT_LT(fit.plane.angle_to(truth), 0.001);
    EXPECT_NEAR(fit.plane.camera_height(), scene.camera_height, 0.002);
    const torch::Tensor heights = ground.heights(points, fit.plane);
    EXPECT_EQ(names(heights, windows, LabelOptions{}), names(render.heights, windows, LabelOptions{})) << device;
  }
}

// The rules of the header, restated pixel by pixel.
std::int64_t direct_label(const torch::TensorAccessor<float, 2>& h, std::int64_t top, std::int64_t bottom,
                          std::int64_t left, std::int64_t right, const LabelOptions& o) {
  top = std::clamp<std::int64_t>(top, 0, h.size(0));
  bottom = std::clamp<std::int64_t>(bottom, 0, h.size(0));
  left = std::clamp<std::int64_t>(left, 0, h.size(1));
  right = std::clamp<std::int64_t>(right, 0, h.size(1));
  if (bottom <= top || right <= left) return kUnlabeled;
  const auto split = bottom - static_cast<std::int64_t>(std::ceil(o.footline_base * (bottom - top)));
  double n[2] = {0, 0}, g[2] = {0, 0}, t[2] = {0, 0};  // [upper, lower] valid, ground, obstacle
  for (std::int64_t v = top; v < bottom; ++v)
    for (std::int64_t u = left; u < right; ++u) {
      const float x = h[v][u];
      if (!std::isfinite(x)) continue;
      const int part = v >= split ? 1 : 0;
      n[part] += 1;
      g[part] += std::abs(x) <= static_cast<float>(o.ground_tolerance);
      t[part] += x >= static_cast<float>(o.obstacle_height);
    }
  const double all = n[0] + n[1], ground = g[0] + g[1], obstacle = t[0] + t[1];
  const double half = std::ceil(o.min_points / 2.0);
  if (all < o.min_points) return kUnlabeled;
  if (n[1] >= half && n[0] >= half && g[1] >= o.footline_ground_share * n[1] && t[0] >= o.obstacle_share * n[0])
    return kFootline;
  const bool dense = all >= o.super_min_points;
  if (obstacle >= o.obstacle_share * all) return dense && obstacle >= o.super_purity * all ? kSuperObstacle : kObstacle;
  if (obstacle <= o.ground_outliers * all && ground >= o.ground_purity * all) return dense && ground >= o.super_purity * all ? kSuperGround : kGround;
  return kUnlabeled;
}

TEST(TraversabilityLabels, ThreeThousandRandomWindowsMatchDirectLoops) {
  // The box scene with 4 cm of height noise and a fifth of the points missing, so that every
  // class and every rule occurs.
  const test::BoxScene scene;
  torch::manual_seed(2);
  torch::Tensor heights = scene.render().heights + 0.04 * torch::randn({scene.camera.height, scene.camera.width});
  heights.masked_fill_(torch::rand(heights.sizes()) < 0.2, std::nanf(""));
  SplitMix64 rng(1);
  std::vector<std::int64_t> flat;
  for (int i = 0; i < 3000; ++i) {
    const auto size = static_cast<std::int64_t>(4 + rng.below(40));
    // Every other window near the box (rows ~108-144, columns ~267-339), the rest anywhere and
    // some partly outside the image.
    const bool near_box = i % 2 == 1;
    const auto top = static_cast<std::int64_t>(near_box ? 80 + rng.below(80) : rng.below(scene.camera.height + 20)) - 10;
    const auto left = static_cast<std::int64_t>(near_box ? 230 + rng.below(120) : rng.below(scene.camera.width + 20)) - 10;
    flat.insert(flat.end(), {top, top + size, left, left + 2 * size});
  }
  const torch::Tensor boxes = torch::tensor(flat, torch::kInt64).view({-1, 4});
  const auto h = heights.accessor<float, 2>();
  LabelOptions other;
  other.obstacle_height = 0.4;
  other.ground_tolerance = 0.15;
  other.min_points = 10;
  other.ground_purity = 0.9;
  other.ground_outliers = 0.05;
  other.obstacle_share = 0.5;
  other.footline_base = 0.3;
  other.footline_ground_share = 0.6;
  other.super_min_points = 50;
  other.super_purity = 0.95;
  for (const LabelOptions& options : {LabelOptions{}, other}) {
    std::vector<std::int64_t> expected;
    std::vector<int> per_class(kTraversabilityClasses + 1, 0);
    for (int i = 0; i < 3000; ++i) {
      expected.push_back(direct_label(h, flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3], options));
      ++per_class[expected.back() + 1];
    }
    for (int count : per_class) EXPECT_GT(count, 10) << "every class occurs";
    for (const torch::Device& device : test::test_devices()) {
      const torch::Tensor got = label_windows(heights.to(device), boxes.to(device), options).cpu();
      EXPECT_TRUE(torch::equal(got, torch::tensor(expected))) << device;
    }
  }
}

TEST(TraversabilityLabels, BadInputAndOptionsThrowWithAOneLineMessage) {
  const torch::Tensor heights = torch::zeros({10, 10});
  const torch::Tensor boxes = torch::tensor({0, 5, 0, 5}, torch::kInt64).view({1, 4});
  test::expect_invalid_argument([&] { label_windows(heights.view({1, 10, 10}), boxes, {}); }, "HxW");
  test::expect_invalid_argument([&] { label_windows(heights, boxes.view({2, 2}), {}); }, "Kx4");
  test::expect_invalid_argument([&] { label_windows(heights, boxes.to(torch::kFloat32), {}); }, "integer");
  EXPECT_EQ(label_windows(heights, boxes.to(torch::kInt32), {}).item<std::int64_t>(), kGround)
      << "25 ground points: ground, not dense enough for super";
  const auto expect_bad = [&](auto change, const std::string& name) {
    LabelOptions options;
    change(options);
    test::expect_invalid_argument([&] { label_windows(heights, boxes, options); }, name);
  };
  expect_bad([](LabelOptions& o) { o.ground_tolerance = 0; }, "ground_tolerance");
  expect_bad([](LabelOptions& o) { o.obstacle_height = 0.05; }, "obstacle_height");
  expect_bad([](LabelOptions& o) { o.min_points = 0; }, "min_points");
  expect_bad([](LabelOptions& o) { o.ground_purity = 1.5; }, "ground_purity");
  expect_bad([](LabelOptions& o) { o.obstacle_share = 0; }, "obstacle_share");
  expect_bad([](LabelOptions& o) { o.footline_base = 1; }, "footline_base");
  expect_bad([](LabelOptions& o) { o.footline_ground_share = -1; }, "footline_ground_share");
  expect_bad([](LabelOptions& o) { o.super_min_points = 10; }, "super_min_points");
  expect_bad([](LabelOptions& o) { o.super_purity = 2; }, "super_purity");
  expect_bad([](LabelOptions& o) { o.disparity_sigma = -0.1; }, "disparity_sigma");
  expect_bad([](LabelOptions& o) { o.ground_outliers = 1; }, "ground_outliers");
  expect_bad([](LabelOptions& o) { o.obstacle_sigmas = 2; }, "obstacle_sigmas");
}

// The thresholds widen with stereo's height noise σ_h = h·Z·σ_d/(f·B), by hand for KITTI at half size
// (h 1.65 m, f·B = 359.428 px × 0.537 m): at 30 m σ_h = 1.65·30·0.4/193.0128 = 0.1025839 m.
TEST(TraversabilityLabels, ThresholdsWidenWithTheHeightNoiseOfFarStereo) {
  const double fb = 359.428 * 0.537;
  const LabelOptions near = LabelOptions{}.at_distance(6.5, 1.65, fb);  // σ_h 0.0222: 2.5σ, 3.5σ under the floors
  EXPECT_DOUBLE_EQ(near.ground_tolerance, 0.10);
  EXPECT_DOUBLE_EQ(near.obstacle_height, 0.25);
  const LabelOptions far = LabelOptions{}.at_distance(30, 1.65, fb);
  EXPECT_NEAR(far.ground_tolerance, 2.5 * 0.1025839, 1e-6);
  EXPECT_NEAR(far.obstacle_height, 3.5 * 0.1025839, 1e-6);
  LabelOptions fixed;
  fixed.disparity_sigma = 0;
  EXPECT_DOUBLE_EQ(fixed.at_distance(30, 1.65, fb).ground_tolerance, 0.10);

  // A flat road window 30 m away as stereo sees it (heights ~ N(0, σ_h), 400 points), and the same
  // window with a 0.6 m tall obstacle standing on its upper half.
  SplitMix64 random(7);
  torch::Tensor road = torch::empty({20, 20});
  auto a = road.accessor<float, 2>();
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) a[y][x] = static_cast<float>(0.1025839 * random.normal());
  torch::Tensor rock = road.clone();
  rock.slice(0, 0, 10).add_(0.6);
  const torch::Tensor box = torch::tensor({0, 20, 0, 20}, torch::kInt64).view({1, 4});
  EXPECT_EQ(label_windows(road, box, far).item<std::int64_t>(), kSuperGround);
  EXPECT_EQ(label_windows(road, box, LabelOptions{}).item<std::int64_t>(), kUnlabeled)
      << "a fixed ±0.10 m holds only ~2/3 of a far road's points";
  EXPECT_EQ(label_windows(rock, box, far).item<std::int64_t>(), kFootline) << "ground below, a 0.6 m obstacle above";
}

}  // namespace
}  // namespace vidssl
