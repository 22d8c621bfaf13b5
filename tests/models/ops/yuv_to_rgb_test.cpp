#include "models/ops/yuv_to_rgb.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace vidssl {
namespace {

// The forward transform, as OpenCV's BGR2YUV writes it (Y = 0.299 R + 0.587 G + 0.114 B,
// U = 0.492 (B − Y) + 128, V = 0.877 (R − Y) + 128; colours whose U and V stay in 0..255): the
// display must give the colours back.
TEST(PictureForDisplay, YuvOfKnownColoursComesBackAsTheirRgb) {
  const std::vector<std::array<double, 3>> colours = {{200, 60, 50}, {40, 180, 60}, {30, 60, 200}, {128, 128, 128}, {220, 200, 40}};
  torch::Tensor yuv = torch::empty({3, 1, static_cast<std::int64_t>(colours.size())}, torch::kUInt8);
  for (std::size_t i = 0; i < colours.size(); ++i) {
    const auto [r, g, b] = colours[i];
    const double y = 0.299 * r + 0.587 * g + 0.114 * b;
    yuv[0][0][i] = static_cast<int>(std::lround(y));
    yuv[1][0][i] = static_cast<int>(std::lround(std::clamp(0.492 * (b - y) + 128, 0.0, 255.0)));
    yuv[2][0][i] = static_cast<int>(std::lround(std::clamp(0.877 * (r - y) + 128, 0.0, 255.0)));
  }
  const torch::Tensor rgb = picture_for_display(yuv);
  ASSERT_EQ(rgb.sizes(), (torch::IntArrayRef{3, 1, static_cast<std::int64_t>(colours.size())}));
  for (std::size_t i = 0; i < colours.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(rgb[c][0][i].item<double>(), colours[i][c], 3.0) << "colour " << i << " channel " << c;
}

TEST(PictureForDisplay, GreyStaysGreyAndOtherShapesAreRefused) {
  const torch::Tensor grey = torch::tensor({0, 7, 255}, torch::kUInt8).view({1, 1, 3});
  EXPECT_TRUE(torch::equal(picture_for_display(grey), grey.to(torch::kFloat)));
  EXPECT_THROW(picture_for_display(torch::zeros({2, 1, 3}, torch::kUInt8)), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
