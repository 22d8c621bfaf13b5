#include "stages/stereo_sgbm.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "models/ops/stereo_matcher.h"
#include "stages/stereo_sequence_source.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr const char* kNoKitti = "KITTI stereo excerpt not found (../shared/data/kitti-rural-stereo or $VIDSSL_KITTI_DIR)";

struct Agreement {
  std::int64_t pixels = 0, ours = 0, sgbm = 0, both = 0, within_one = 0;
  void add(const torch::Tensor& a, const torch::Tensor& b) {
    const torch::Tensor both_valid = a.ge(0).logical_and(b.ge(0));
    pixels += a.numel();
    ours += a.ge(0).sum().item<std::int64_t>();
    sgbm += b.ge(0).sum().item<std::int64_t>();
    both += both_valid.sum().item<std::int64_t>();
    within_one += (a - b).abs().le(1).logical_and(both_valid).sum().item<std::int64_t>();
  }
  double agreeing() const { return both ? static_cast<double>(within_one) / both : 0; }
  void print(const char* what) const {
    std::printf("[ figures  ] %s: ours valid %.1f %%, SGBM valid %.1f %%, both %.1f %%, of those within 1 px %.1f %%\n",
                what, 100.0 * ours / pixels, 100.0 * sgbm / pixels, 100.0 * both / pixels, 100 * agreeing());
  }
};

TEST(StereoSgbm, ReturnsDisparityInPixelsWithMinusOneWhereInvalid) {
  // A random texture shifted by 6 px: SGBM finds 6 wherever it has the full range.
  torch::manual_seed(3);
  const torch::Tensor texture = torch::randint(0, 256, {40, 110}, torch::kUInt8);
  const torch::Tensor left = texture.narrow(1, 0, 100).contiguous(), right = texture.narrow(1, 6, 100).contiguous();
  const torch::Tensor d = StereoSgbm({.max_disparity = 16})(left.unsqueeze(0), right);
  ASSERT_EQ(d.sizes(), torch::IntArrayRef({40, 100}));
  EXPECT_EQ(d.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(d.narrow(1, 0, 15).eq(-1).all().item<bool>());
  const torch::Tensor inner = d.narrow(0, 5, 30).narrow(1, 20, 75);
  EXPECT_GE(inner.sub(6).abs().le(0.25).to(torch::kFloat64).mean().item<double>(), 0.95) << inner;
}

TEST(StereoSgbm, BadOptionsThrowNamingTheOption) {
  const auto expect_throw = [](StereoSgbmOptions options, const std::string& option) {
    try {
      StereoSgbm sgbm(options);
      ADD_FAILURE() << "no std::invalid_argument for " << option;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(option), std::string::npos) << e.what();
    }
  };
  expect_throw({.max_disparity = 40}, "max_disparity");
  expect_throw({.max_disparity = 0}, "max_disparity");
  expect_throw({.block_size = 4}, "block_size");
  expect_throw({.p1 = 100, .p2 = 50}, "p2");
  expect_throw({.uniqueness = 1.5}, "uniqueness");
  expect_throw({.lr_tolerance = 0}, "lr_tolerance");
  const StereoSgbm sgbm;
  const torch::Tensor image = torch::zeros({10, 80}, torch::kUInt8);
  EXPECT_THROW(sgbm(image, torch::zeros({10, 80}, torch::kFloat32)), std::invalid_argument);
  EXPECT_THROW(sgbm(image, torch::zeros({11, 80}, torch::kUInt8)), std::invalid_argument);
}

// Two different matchers that agree where both commit are evidence both are right there: our local
// census matcher against OpenCV's semi-global one on the real rural road.
TEST(StereoSgbmAgreement, KittiHalfSizeEveryTenthPair) {
  const std::string kitti = test::kitti_dir();
  if (kitti.empty()) GTEST_SKIP() << kNoKitti;
  // The size the near-to-far pipeline matches at.
  StereoSequenceSource source({.path = kitti, .width = 620, .height = 188});
  const StereoMatcher ours({.max_disparity = 64});
  const StereoSgbm sgbm({.max_disparity = 64});
  Agreement total;
  Frame frame;
  while (source.read(frame)) {
    if (frame.index % 10 != 0) continue;
    const torch::Tensor a = ours(frame.image, frame.right), b = sgbm(frame.image, frame.right);
    Agreement pair;
    pair.add(a, b);
    pair.print(("half size, pair " + std::to_string(frame.index)).c_str());
    total.add(a, b);
    EXPECT_GE(pair.agreeing(), 0.80) << "pair " << frame.index;
  }
  total.print("half size, 6 pairs");
  EXPECT_GE(total.agreeing(), 0.80);
  EXPECT_GE(static_cast<double>(total.both) / total.pixels, 0.3) << "too few pixels compared to mean anything";
}

TEST(StereoSgbmAgreement, KittiFullSize) {
  const std::string kitti = test::kitti_dir();
  if (kitti.empty()) GTEST_SKIP() << kNoKitti;
  const StereoMatcher ours({.max_disparity = 128});
  const StereoSgbm sgbm({.max_disparity = 128});
  Agreement total;
  for (const char* name : {"000000.png", "000025.png"}) {
    const cv::Mat left = cv::imread(kitti + "/left/" + name, cv::IMREAD_GRAYSCALE);
    const cv::Mat right = cv::imread(kitti + "/right/" + name, cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(left.empty() || right.empty()) << name;
    const torch::Tensor l = torch::from_blob(left.data, {left.rows, left.cols}, torch::kUInt8);
    const torch::Tensor r = torch::from_blob(right.data, {right.rows, right.cols}, torch::kUInt8);
    total.add(ours(l, r), sgbm(l, r));
  }
  total.print("full size, pairs 0 and 25");
  EXPECT_GE(total.agreeing(), 0.80);
}

}  // namespace
}  // namespace vidssl
