#include "models/ops/stereo_matcher.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr OpPath kPaths[] = {OpPath::automatic, OpPath::reference};

const char* path_name(OpPath path) { return path == OpPath::automatic ? "automatic" : "reference"; }

// A smooth random texture (uniform noise through [1 2 1]/4 on both axes) read at fractional
// columns by linear interpolation, so that a surface can be seen at sub-pixel disparities.
class Texture {
 public:
  Texture(int height, int width, unsigned seed) : height_(height), width_(width), values_(height * width) {
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> uniform(0.f, 255.f);
    std::vector<float> noise(height * width), rows(height * width);
    for (float& value : noise) value = uniform(random);
    const auto at = [&](const std::vector<float>& image, int v, int u) {
      return image[std::clamp(v, 0, height - 1) * width + std::clamp(u, 0, width - 1)];
    };
    for (int v = 0; v < height; ++v)
      for (int u = 0; u < width; ++u)
        rows[v * width + u] = 0.25f * at(noise, v, u - 1) + 0.5f * at(noise, v, u) + 0.25f * at(noise, v, u + 1);
    for (int v = 0; v < height; ++v)
      for (int u = 0; u < width; ++u)
        values_[v * width + u] = 0.25f * at(rows, v - 1, u) + 0.5f * at(rows, v, u) + 0.25f * at(rows, v + 1, u);
  }

  float operator()(int v, double x) const {
    const int u = static_cast<int>(std::floor(x));
    const double t = x - u;
    const auto value = [&](int c) { return values_[v * width_ + std::clamp(c, 0, width_ - 1)]; };
    return static_cast<float>((1 - t) * value(u) + t * value(u + 1));
  }

 private:
  int height_, width_;
  std::vector<float> values_;
};

// A rectified pair with known disparities (left view): a far wall at d = 8 in the upper half, a
// ground plane in the lower half whose disparity grows from 8 by 0.2 px per row (sub-pixel), and a
// box at d = 20 in front of both. The wall hides a 12 px strip left of the box from the right camera.
// Each camera adds its own noise (σ = 4 grey levels), as real sensors do.
struct SyntheticPair {
  static constexpr int kHeight = 120, kWidth = 200;
  static constexpr int kBoxTop = 30, kBoxBottom = 90, kBoxLeft = 100, kBoxRight = 150, kHorizon = 60;
  static constexpr double kBoxDisparity = 20, kWallDisparity = 8;

  torch::Tensor left, right;  // H×W float in [0, 255]
  torch::Tensor truth;        // H×W
  torch::Tensor occluded;     // H×W bool: seen by the left camera only

  static bool in_box_rows(int v) { return v >= kBoxTop && v < kBoxBottom; }
  static double background(int v) { return v < kHorizon ? kWallDisparity : kWallDisparity + 0.2 * (v - kHorizon); }

  static SyntheticPair make(unsigned seed) {
    const Texture scene(kHeight, kWidth + 64, seed), box(kHeight, kWidth + 64, seed + 1);
    std::mt19937 random(seed + 2);
    std::normal_distribution<float> noise(0.f, 4.f);
    std::vector<float> left(kHeight * kWidth), right(kHeight * kWidth), truth(kHeight * kWidth);
    std::vector<std::uint8_t> occluded(kHeight * kWidth, 0);
    for (int v = 0; v < kHeight; ++v)
      for (int u = 0; u < kWidth; ++u) {
        const int i = v * kWidth + u;
        const bool box_left = in_box_rows(v) && u >= kBoxLeft && u < kBoxRight;
        left[i] = std::clamp((box_left ? box(v, u) : scene(v, u)) + noise(random), 0.f, 255.f);
        truth[i] = static_cast<float>(box_left ? kBoxDisparity : background(v));
        // The right camera sees column ur at left column ur + d of whichever surface is in front.
        const bool box_right = in_box_rows(v) && u + kBoxDisparity >= kBoxLeft && u + kBoxDisparity < kBoxRight;
        right[i] = std::clamp((box_right ? box(v, u + kBoxDisparity) : scene(v, u + background(v))) + noise(random),
                              0.f, 255.f);
        const double seen_at = u - background(v);
        occluded[i] = !box_left && in_box_rows(v) && seen_at + kBoxDisparity >= kBoxLeft &&
                      seen_at + kBoxDisparity < kBoxRight;
      }
    const auto plane = [](const auto& values, torch::ScalarType type) {
      return torch::tensor(values, type).view({kHeight, kWidth});
    };
    return {plane(left, torch::kFloat32), plane(right, torch::kFloat32), plane(truth, torch::kFloat32),
            plane(occluded, torch::kUInt8).to(torch::kBool)};
  }
};

// Pixels whose (cost + aggregation) window sees one surface only, that have the full search range
// and that both cameras see: the ones a local matcher must get right.
torch::Tensor well_posed(const SyntheticPair& pair, int max_disparity, int margin) {
  constexpr int h = SyntheticPair::kHeight, w = SyntheticPair::kWidth;
  torch::Tensor inside = torch::zeros({h, w}, torch::kBool);
  inside.narrow(0, margin, h - 2 * margin).narrow(1, max_disparity - 1 + margin, w - max_disparity + 1 - 2 * margin).fill_(true);
  const torch::Tensor box = pair.truth.eq(SyntheticPair::kBoxDisparity);
  const torch::Tensor outline = box.logical_xor(torch::roll(box, 1, 0)) | box.logical_xor(torch::roll(box, 1, 1));
  namespace F = torch::nn::functional;
  const torch::Tensor near = F::max_pool2d((outline | pair.occluded).to(torch::kFloat32).view({1, 1, h, w}),
                                           F::MaxPool2dFuncOptions(2 * margin + 1).stride(1).padding(margin))
                                 .view({h, w})
                                 .gt(0);
  return inside.logical_and(near.logical_not());
}

struct Accuracy {
  double valid_share = 0;    // of the pixels asked about
  double within_one = 0;     // of those valid: |d − truth| ≤ 1
  double mean_error = 0;     // of those valid
};

Accuracy accuracy(const torch::Tensor& disparity, const torch::Tensor& truth, const torch::Tensor& asked) {
  const torch::Tensor d = disparity.cpu();
  const torch::Tensor valid = d.ge(0).logical_and(asked);
  const torch::Tensor error = (d - truth).abs().masked_select(valid);
  Accuracy a;
  a.valid_share = valid.sum().item<double>() / asked.sum().item<double>();
  a.within_one = error.numel() ? error.le(1).to(torch::kFloat64).mean().item<double>() : 0;
  a.mean_error = error.numel() ? error.to(torch::kFloat64).mean().item<double>() : 0;
  return a;
}

TEST(StereoMatcher, RecoversKnownDisparitiesOfASyntheticScene) {
  const SyntheticPair pair = SyntheticPair::make(7);
  const torch::Tensor asked = well_posed(pair, 32, 7);
  ASSERT_GT(asked.sum().item<int>(), 8000) << "the well-posed region is most of the image right of the search range";
  torch::Tensor visible = pair.occluded.logical_not();
  visible.narrow(1, 0, 31).fill_(false);
  for (StereoCost cost : {StereoCost::census, StereoCost::sad})
    for (const torch::Device& device : test::test_devices())
      for (OpPath path : kPaths) {
        const StereoMatcher match({.max_disparity = 32, .cost = cost});
        const torch::Tensor d = match(pair.left.round().to(torch::kUInt8).to(device),
                                      pair.right.round().to(torch::kUInt8).to(device), path);
        ASSERT_EQ(d.sizes(), pair.truth.sizes());
        EXPECT_EQ(d.device(), device);
        EXPECT_EQ(d.scalar_type(), torch::kFloat32);
        const Accuracy a = accuracy(d, pair.truth, asked);
        const std::string what = std::string(cost == StereoCost::census ? "census " : "sad ") + device.str() + " " +
                                 path_name(path);
        std::printf("[ figures  ] %s: %.1f %% valid, %.2f %% of them within 1 px, mean error %.3f px\n", what.c_str(),
                    100 * a.valid_share, 100 * a.within_one, a.mean_error);
        EXPECT_GE(a.valid_share, 0.80) << what;
        EXPECT_GE(a.within_one, 0.95) << what;
        // Every pixel with the full range that both cameras see, edges of the box included.
        const Accuracy all = accuracy(d, pair.truth, visible);
        std::printf("[ figures  ] %s, all visible pixels: %.1f %% valid, %.2f %% of them within 1 px\n", what.c_str(),
                    100 * all.valid_share, 100 * all.within_one);
        EXPECT_GE(all.within_one, 0.95) << what;
        // Nothing is valid without the full search range.
        EXPECT_TRUE(d.narrow(1, 0, 31).eq(-1).all().item<bool>()) << what;
      }
}

// The ground rows have fractional disparities; the parabola must do better than whole pixels
// (rounding the truth alone would leave a mean error of 0.25 px there).
TEST(StereoMatcher, SubPixelVertexFollowsTheSlantedGround) {
  const SyntheticPair pair = SyntheticPair::make(11);
  torch::Tensor ground = well_posed(pair, 32, 7);
  ground.narrow(0, 0, SyntheticPair::kHorizon + 2).fill_(false);
  ground.narrow(1, SyntheticPair::kBoxLeft - 20, SyntheticPair::kWidth - SyntheticPair::kBoxLeft + 20).fill_(false);
  const double rounding_error =
      (pair.truth - pair.truth.round()).abs().masked_select(ground).to(torch::kFloat64).mean().item<double>();
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths) {
      const StereoMatcher match({.max_disparity = 32});
      const Accuracy a = accuracy(match(pair.left.to(device), pair.right.to(device), path), pair.truth, ground);
      std::printf("[ figures  ] ground %s %s: %.1f %% valid, mean error %.3f px (whole pixels: %.3f px)\n",
                  device.str().c_str(), path_name(path), 100 * a.valid_share, a.mean_error, rounding_error);
      EXPECT_GE(a.valid_share, 0.9);
      EXPECT_LT(a.mean_error, 0.8 * rounding_error) << device << " " << path_name(path);
    }
}

// The strip left of the box is seen by the left camera only: whatever wins there is a wrong match,
// and the right view's winner there is the box, so the left-right check rejects it.
TEST(StereoMatcher, LeftRightCheckRejectsTheOccludedStrip) {
  const SyntheticPair pair = SyntheticPair::make(13);
  // The strip's rows above the ground (the 12 px at d = 8), less the rows the box window reaches.
  torch::Tensor strip = pair.occluded.clone();
  strip.narrow(0, SyntheticPair::kHorizon - 4, SyntheticPair::kHeight - SyntheticPair::kHorizon + 4).fill_(false);
  strip.narrow(0, 0, SyntheticPair::kBoxTop + 4).fill_(false);
  ASSERT_EQ(strip.sum().item<int>(), 12 * (SyntheticPair::kHorizon - 4 - SyntheticPair::kBoxTop - 4));
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths) {
      const StereoMatcher checked({.max_disparity = 32, .uniqueness = 0});
      const StereoMatcher unchecked({.max_disparity = 32, .uniqueness = 0, .lr_tolerance = -1});
      const torch::Tensor l = pair.left.to(device), r = pair.right.to(device);
      const Accuracy with = accuracy(checked(l, r, path), pair.truth, strip);
      const Accuracy without = accuracy(unchecked(l, r, path), pair.truth, strip);
      std::printf("[ figures  ] occluded strip %s %s: %.1f %% valid with the check, %.1f %% without\n",
                  device.str().c_str(), path_name(path), 100 * with.valid_share, 100 * without.valid_share);
      EXPECT_GT(without.valid_share, 0.99) << "without a check every pixel gets a disparity";
      EXPECT_LT(with.valid_share, 0.15) << device << " " << path_name(path);
    }
}

// Census costs and SAD costs of integer-valued images are exact integers on both paths, so the
// winners, the checks and the parabola agree to the last bit; float SAD costs only up to rounding.
TEST(StereoMatcher, CpuLoopsAgreeWithTheReference) {
  const SyntheticPair pair = SyntheticPair::make(17);
  const torch::Tensor left = pair.left.round().to(torch::kUInt8), right = pair.right.round().to(torch::kUInt8);
  const std::vector<StereoMatcherOptions> variants = {
      {},
      {.max_disparity = 32},
      {.max_disparity = 16, .cost_window = 3, .aggregation_window = 1},
      {.max_disparity = 2, .cost_window = 5, .aggregation_window = 5},
      {.max_disparity = 24, .cost_window = 5, .aggregation_window = 15, .uniqueness = 0, .lr_tolerance = -1},
      {.max_disparity = 32, .cost = StereoCost::sad, .cost_window = 5, .aggregation_window = 9},
      {.max_disparity = 32, .cost = StereoCost::sad, .cost_window = 1, .aggregation_window = 3, .uniqueness = 0.2,
       .lr_tolerance = 0},
  };
  for (const StereoMatcherOptions& options : variants) {
    const StereoMatcher match(options);
    SCOPED_TRACE("max_disparity " + std::to_string(options.max_disparity) + " cost_window " +
                 std::to_string(options.cost_window) + " aggregation_window " +
                 std::to_string(options.aggregation_window));
    // Odd sizes and a crop smaller than the windows at the top as well as the full pair.
    for (const auto& [l, r] : {std::pair{left, right}, std::pair{left.narrow(0, 3, 37).narrow(1, 5, 61),
                                                                   right.narrow(0, 3, 37).narrow(1, 5, 61)},
                               std::pair{left.narrow(0, 0, 2), right.narrow(0, 0, 2)}}) {
      const torch::Tensor fast = match(l, r);
      const torch::Tensor reference = match(l, r, OpPath::reference);
      EXPECT_TRUE(torch::equal(fast.ge(0), reference.ge(0))) << "valid masks differ, " << l.sizes();
      EXPECT_LE(test::max_abs_diff(fast, reference), 1e-4) << l.sizes();
    }
    EXPECT_GT(match(left, right).ge(0).sum().item<int>(), 0) << "a comparison of invalid pixels only";
  }
  // SAD of a float image: sums in another order can flip a near tie, rarely.
  const StereoMatcher sad({.max_disparity = 32, .cost = StereoCost::sad});
  const torch::Tensor fast = sad(pair.left / 255, pair.right / 255);
  const torch::Tensor reference = sad(pair.left / 255, pair.right / 255, OpPath::reference);
  const torch::Tensor same = fast.ge(0).eq(reference.ge(0)).logical_and((fast - reference).abs().le(1e-3));
  EXPECT_GE(same.to(torch::kFloat64).mean().item<double>(), 0.999);
}

TEST(StereoMatcher, DevicesAgree) {
  const SyntheticPair pair = SyntheticPair::make(19);
  const StereoMatcher match({.max_disparity = 32});
  const torch::Tensor cpu = match(pair.left, pair.right);
  for (const torch::Device& device : test::test_devices()) {
    const torch::Tensor d = match(pair.left.to(device), pair.right.to(device));
    EXPECT_TRUE(torch::equal(d.cpu().ge(0), cpu.ge(0))) << device;
    EXPECT_LE(test::max_abs_diff(d, cpu), 1e-4) << device;
  }
}

TEST(StereoMatcher, ImageNarrowerThanTheSearchRangeHasNoDisparity) {
  const SyntheticPair pair = SyntheticPair::make(23);
  const StereoMatcher match({.max_disparity = 32});
  for (OpPath path : kPaths)
    for (std::int64_t width : {1, 20, 31}) {
      const torch::Tensor d = match(pair.left.narrow(1, 0, width), pair.right.narrow(1, 0, width), path);
      EXPECT_EQ(d.sizes(), torch::IntArrayRef({SyntheticPair::kHeight, width}));
      EXPECT_TRUE(d.eq(-1).all().item<bool>()) << width << " " << path_name(path);
    }
}

TEST(StereoMatcher, AcceptsOneByHByWAndFloat) {
  const SyntheticPair pair = SyntheticPair::make(29);
  const StereoMatcher match({.max_disparity = 32});
  const torch::Tensor plain = match(pair.left.round().to(torch::kUInt8), pair.right.round().to(torch::kUInt8));
  const torch::Tensor chw = match(pair.left.round().unsqueeze(0), pair.right.round().unsqueeze(0).to(torch::kFloat64));
  EXPECT_TRUE(torch::equal(plain, chw));
}

TEST(StereoMatcher, BadOptionsAndInputsThrowNamingTheProblem) {
  using test::expect_invalid_argument;
  expect_invalid_argument([] { StereoMatcher({.max_disparity = 1}); }, "max_disparity");
  expect_invalid_argument([] { StereoMatcher({.cost_window = 4}); }, "cost_window");
  expect_invalid_argument([] { StereoMatcher({.cost_window = 9}); }, "cost_window");
  expect_invalid_argument([] { StereoMatcher({.cost_window = 1}); }, "cost_window");
  expect_invalid_argument([] { StereoMatcher({.cost = StereoCost::sad, .cost_window = 0}); }, "cost_window");
  expect_invalid_argument([] { StereoMatcher({.aggregation_window = 8}); }, "aggregation_window");
  expect_invalid_argument([] { StereoMatcher({.aggregation_window = -1}); }, "aggregation_window");
  expect_invalid_argument([] { StereoMatcher({.uniqueness = -0.1}); }, "uniqueness");
  expect_invalid_argument([] { StereoMatcher({.uniqueness = NAN}); }, "uniqueness");
  EXPECT_NO_THROW(StereoMatcher({.cost = StereoCost::sad, .cost_window = 1, .aggregation_window = 1}));

  const StereoMatcher match;
  const torch::Tensor image = torch::zeros({10, 80}, torch::kUInt8);
  expect_invalid_argument([&] { match(image, torch::zeros({10, 81}, torch::kUInt8)); }, "differ in size");
  expect_invalid_argument([&] { match(torch::zeros({3, 10, 80}), image); }, "left image must be HxW or 1xHxW");
  expect_invalid_argument([&] { match(image, torch::zeros({10, 80}, torch::kInt32)); }, "right image must be uint8");
  expect_invalid_argument([&] { match(torch::Tensor(), image); }, "left image is undefined");
  expect_invalid_argument([&] { match(torch::zeros({0, 80}), torch::zeros({0, 80})); }, "empty");
}

}  // namespace
}  // namespace vidssl
