#include "models/training/scene_cut.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace vidssl {
namespace {

TEST(SceneCut, DifferenceIsTheMeanAbsoluteDifferenceOfTheDecodedPicturesOverTheRange) {
  // |10 − 60| and |200 − 100| over two pixels: (50 + 100) / 2 / 255.
  const auto a = torch::tensor({10, 200}, torch::kByte).view({1, 1, 2});
  const auto b = torch::tensor({60, 100}, torch::kByte).view({1, 1, 2});
  EXPECT_NEAR(decoded_difference(a, b), 75.0 / 255, 1e-7);
  EXPECT_TRUE(is_scene_cut(a, b, 0.2));
  EXPECT_FALSE(is_scene_cut(a, b, 0.5));
  EXPECT_FALSE(is_scene_cut(a, b, 0.0)) << "0: detection off";
}

TEST(SceneCut, OnlyDecodedPicturesOfOneSizeAreCompared) {
  EXPECT_EQ(decoded_difference(torch::zeros({1, 2, 2}), torch::ones({1, 2, 2})), -1) << "float images";
  EXPECT_NEAR(decoded_difference(torch::full({1, 2, 2}, 0, torch::kByte), torch::full({1, 2, 2}, 255, torch::kByte)), 1.0, 1e-7);
  EXPECT_EQ(decoded_difference(torch::full({1, 2, 2}, 0, torch::kByte), torch::full({1, 2, 3}, 255, torch::kByte)), -1)
      << "sizes differ";
  EXPECT_EQ(decoded_difference(torch::Tensor(), torch::full({1, 2, 3}, 255, torch::kByte)), -1) << "no picture";
}

}  // namespace
}  // namespace vidssl
