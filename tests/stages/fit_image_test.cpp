#include "stages/fit_image.h"

#include <gtest/gtest.h>

#include <vector>

#include <torch/torch.h>

namespace vidssl {
namespace {

TEST(FitImage, PadPutsTheWholePictureBetweenBlackBars) {
  const torch::Tensor picture = torch::full({3, 4, 8}, 200, torch::kUInt8);
  const torch::Tensor frame = fit_image(picture, Fit::pad, {8, 8});
  ASSERT_EQ(frame.sizes(), (std::vector<std::int64_t>{3, 8, 8}));
  // 2 black rows above and below: luma 0, chroma 128.
  for (const int row : {0, 1, 6, 7}) {
    EXPECT_TRUE(frame[0][row].eq(0).all().item<bool>()) << row;
    EXPECT_TRUE(frame.narrow(0, 1, 2).select(1, row).eq(128).all().item<bool>()) << row;
  }
  EXPECT_TRUE(frame.narrow(1, 2, 4).eq(200).all().item<bool>());
}

TEST(FitImage, CropTakesTheCentreAndIsANewTensor) {
  const torch::Tensor picture = torch::arange(6, torch::kInt64).to(torch::kUInt8).view({1, 1, 6}).expand({1, 2, 6}).contiguous();
  const torch::Tensor frame = fit_image(picture, Fit::crop, {2, 2});  // the middle 2×2, no scaling
  EXPECT_TRUE(torch::equal(frame, torch::tensor({2, 3, 2, 3}, torch::kUInt8).view({1, 2, 2})));
  EXPECT_NE(frame.data_ptr(), picture.data_ptr());
  const torch::Tensor same = fit_image(picture, Fit::crop, {6, 2});
  EXPECT_TRUE(torch::equal(same, picture));
  EXPECT_NE(same.data_ptr(), picture.data_ptr());
}

}  // namespace
}  // namespace vidssl
