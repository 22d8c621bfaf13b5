#include "models/neartofar/distance_bands.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_data.h"

namespace vidssl {
namespace {

// A camera looking `pitch` rad down at a plane `height` m below it, turned by `roll` about its axis.
// In the levelled camera (the input one turned by roll) the upward normal is (0, −cos θ, −sin θ).
struct Scene {
  StereoCamera camera{.fx = 400, .fy = 400, .cx = 320, .cy = 120, .baseline = 0.5, .width = 640, .height = 360};
  double height = 1.65, pitch = 0.0, roll = 0.0;

  std::array<double, 3> levelled_normal() const { return {0.0, -std::cos(pitch), -std::sin(pitch)}; }
  Plane plane() const {
    const auto n = levelled_normal();
    const double c = std::cos(roll), s = std::sin(roll);
    Plane p;
    p.normal = {c * n[0] + s * n[1], -s * n[0] + c * n[1], n[2]};
    p.offset = height;
    return p;
  }
};

double dot(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

// Off to the right of the optical axis, where a wrongly levelled band would miss it: 0.25 m per m.
constexpr double kLateral = 0.25;

// Renders, by ray casting with 4×4 samples per pixel, an upright rectangle `size` m tall and 1 m
// wide standing on the ground at levelled depth `distance`, kLateral·distance to the right: 1 on the
// rectangle, 0.2 elsewhere. Written from the scene's geometry alone, not from DistanceBands' formulas.
torch::Tensor render_rectangle(const Scene& scene, double distance, double size) {
  const auto n = scene.levelled_normal();
  // Base centre: the ground point at x' = kLateral·distance, z' = distance (n·P + h = 0).
  const std::array<double, 3> base{kLateral * distance, -(scene.height + n[2] * distance) / n[1], distance};
  const std::array<double, 3> across{1.0, 0.0, 0.0};
  const std::array<double, 3> facing{0.0, n[2], -n[1]};  // across × up, the rectangle's normal
  const StereoCamera& cam = scene.camera;
  torch::Tensor image = torch::full({1, cam.height, cam.width}, 0.2f);
  auto a = image.accessor<float, 3>();
  const double c = std::cos(scene.roll), s = std::sin(scene.roll);
  for (int v = 0; v < cam.height; ++v)
    for (int u = 0; u < cam.width; ++u) {
      int hits = 0;
      for (int sv = 0; sv < 4; ++sv)
        for (int su = 0; su < 4; ++su) {
          const double x = (u - 0.375 + 0.25 * su - cam.cx) / cam.fx, y = (v - 0.375 + 0.25 * sv - cam.cy) / cam.fy;
          const std::array<double, 3> ray{c * x - s * y, s * x + c * y, 1.0};  // levelled
          const double t = dot(facing, base) / dot(facing, ray);
          if (t <= 0) continue;
          const std::array<double, 3> q{t * ray[0] - base[0], t * ray[1] - base[1], t * ray[2] - base[2]};
          const double along = dot(across, q), up = dot(n, q);
          if (std::abs(along) <= 0.5 && up >= 0 && up <= size) ++hits;
        }
      a[0][v][u] += 0.8f * hits / 16.0f;
    }
  return image;
}

// The rectangle's height in band pixels, and the centre of its rows, read in the band's column
// through the rectangle's middle as coverage (0.2 → 0, 1 → 1) summed over rows.
std::pair<double, double> rectangle_rows(const Band& band, const StereoCamera& camera) {
  const double u = camera.cx + camera.fx * kLateral;
  const auto column = static_cast<std::int64_t>(std::lround((u + 0.5) * band.scale - 0.5));
  const torch::Tensor coverage = ((band.image[0].select(1, column) - 0.2) / 0.8).clamp(0, 1).to(torch::kFloat64);
  const double total = coverage.sum().item<double>();
  const double centre = (coverage * torch::arange(coverage.size(0), torch::kFloat64)).sum().item<double>() / total;
  return {total, centre};
}

DistanceBandsOptions raw_bands(bool normalize) {
  DistanceBandsOptions options;
  options.bands = 5;
  options.near_distance = 4;
  options.far_distance = 64;  // ladder 4, 8, 16, 32, 64 m
  options.normalize = normalize;
  options.normalize_contrast = false;
  return options;
}

class DistanceBandsScene : public ::testing::TestWithParam<std::pair<double, double>> {};

// DESIGN §8.4: an object of a given size has the same pixel height in every band.
TEST_P(DistanceBandsScene, AnUprightRectangleHasTheSameHeightInItsBandAtEveryDistance) {
  Scene scene;
  std::tie(scene.pitch, scene.roll) = GetParam();
  const DistanceBandsOptions options = raw_bands(true);
  const DistanceBands cut(options);
  const double size = 1.0;
  const double expected = options.band_rows * size / options.band_height;  // 8 band pixels
  int checked = 0;
  for (double distance : options.distances()) {
    const auto bands = cut(render_rectangle(scene, distance, size), scene.camera, scene.plane());
    for (const Band& band : bands) {
      if (band.distance != distance) continue;
      const auto [rows, centre] = rectangle_rows(band, scene.camera);
      EXPECT_NEAR(rows, expected, 1.0) << "band at " << distance << " m";
      // It stands on the band's ground line: its rows are the bottom `expected` ones.
      EXPECT_NEAR(centre, options.band_rows - 0.5 - expected / 2, 0.5) << "band at " << distance << " m";
      ++checked;
    }
  }
  EXPECT_GE(checked, 3) << "too few bands in the picture to test";
}

INSTANTIATE_TEST_SUITE_P(PitchRoll, DistanceBandsScene,
                         ::testing::Values(std::make_pair(0.0, 0.0), std::make_pair(0.05, 0.0),
                                           std::make_pair(0.0, 0.04), std::make_pair(0.03, -0.05)));

// The ablation really differs: plain bands at one scale show the rectangle shrinking with distance.
TEST(DistanceBands, PlainPyramidBandsShowFarObjectsSmaller) {
  Scene scene;
  const DistanceBandsOptions options = raw_bands(false);
  const DistanceBands cut(options);
  std::vector<double> heights;
  for (double distance : {8.0, 16.0, 32.0}) {
    for (const Band& band : cut(render_rectangle(scene, distance, 0.5), scene.camera, scene.plane()))
      if (band.distance == distance) heights.push_back(rectangle_rows(band, scene.camera).first);
  }
  ASSERT_EQ(heights.size(), 3u);
  EXPECT_GT(heights[0], 1.7 * heights[1]);
  EXPECT_GT(heights[1], 1.7 * heights[2]);
}

TEST(DistanceBands, GroundRowIsWhereTheCameraSeesTheGround) {
  Scene scene;
  scene.pitch = 0.04;
  const Plane plane = scene.plane();
  for (double d : {5.0, 12.0, 40.0}) {
    const double v = DistanceBands::ground_row(d, scene.camera, plane);
    const double y = (v - scene.camera.cy) / scene.camera.fy * d;  // the ray of that row at depth d
    EXPECT_NEAR(plane.height(0.0, y, d), 0.0, 1e-9);
  }
}

TEST(DistanceBands, LadderWindowsAndBoxes) {
  DistanceBandsOptions options;  // 10 bands, 4 … 100 m
  const auto d = options.distances();
  ASSERT_EQ(d.size(), 10u);
  EXPECT_DOUBLE_EQ(d.front(), 4.0);
  EXPECT_NEAR(d.back(), 100.0, 1e-9);
  for (std::size_t i = 1; i < d.size(); ++i) EXPECT_NEAR(d[i] / d[i - 1], d[1] / d[0], 1e-12);

  Scene scene;
  const DistanceBands cut(options);
  const auto bands = cut(torch::rand({3, 360, 640}), scene.camera, scene.plane());
  ASSERT_FALSE(bands.empty());
  for (const Band& band : bands) {
    ASSERT_EQ(band.image.size(0), 3);
    ASSERT_EQ(band.image.size(1), options.band_rows);
    const std::int64_t n = band.windows(options);
    ASSERT_GT(n, 0);
    // Window j covers band columns [4j, 4j + 25): its box is that span over the scale.
    const auto box = band.window_box(n - 1, options, scene.camera);
    EXPECT_NEAR(box[3] - box[2], options.window_width / band.scale, 1e-9);
    EXPECT_NEAR(box[1] - box[0], options.band_rows / band.scale, 1e-9);
    EXPECT_NEAR(box[1], band.ground_row, 1e-9);
    EXPECT_LE(box[3], scene.camera.width - 0.5 + 1e-9);
    EXPECT_LT(band.azimuth(0, options, scene.camera), 0);
    EXPECT_GT(band.azimuth(n - 1, options, scene.camera), 0);
  }
}

TEST(DistanceBands, EveryDeviceCutsTheSameBands) {
  Scene scene;
  scene.roll = 0.03;
  const torch::Tensor image = torch::rand({3, 360, 640});
  const DistanceBands cut;
  const auto reference = cut(image, scene.camera, scene.plane());
  for (const auto& device : test::test_devices()) {
    const auto bands = cut(image.to(device), scene.camera, scene.plane());
    ASSERT_EQ(bands.size(), reference.size());
    for (std::size_t i = 0; i < bands.size(); ++i)
      EXPECT_TRUE(torch::allclose(bands[i].image.cpu(), reference[i].image, 1e-4, 1e-4)) << device;
  }
}

TEST(DistanceBands, BadOptionsNameTheKey) {
  DistanceBandsOptions options;
  options.band_rows = 0;
  try {
    DistanceBands cut(options);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("band_rows"), std::string::npos) << e.what();
  }
  options = {};
  options.far_distance = 2;
  EXPECT_THROW(DistanceBands{options}, std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
