#include "stages/scene_cut.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace vidssl {
namespace {

Frame decoded(torch::Tensor image) {
  Frame f;
  f.image = std::move(image);
  return f;
}

TEST(SceneCut, DifferenceIsTheMeanAbsoluteDifferenceOfTheDecodedPicturesOverTheRange) {
  // |10 − 60| and |200 − 100| over two pixels: (50 + 100) / 2 / 255.
  const auto a = decoded(torch::tensor({10, 200}, torch::kByte).view({1, 1, 2}));
  const auto b = decoded(torch::tensor({60, 100}, torch::kByte).view({1, 1, 2}));
  EXPECT_NEAR(decoded_difference(a, b), 75.0 / 255, 1e-7);
  EXPECT_TRUE(is_scene_cut(a, b, 0.2));
  EXPECT_FALSE(is_scene_cut(a, b, 0.5));
  EXPECT_FALSE(is_scene_cut(a, b, 0.0)) << "0: detection off";
}

TEST(SceneCut, PreprocessedFramesAreComparedByTheirOriginalAndOthersNotAtAll) {
  Frame a = decoded(torch::zeros({1, 2, 2}));
  Frame b = decoded(torch::ones({1, 2, 2}));
  EXPECT_EQ(decoded_difference(a, b), -1) << "float images without the decoded picture";
  a.original = torch::full({1, 2, 2}, 0, torch::kByte);
  b.original = torch::full({1, 2, 2}, 255, torch::kByte);
  EXPECT_NEAR(decoded_difference(a, b), 1.0, 1e-7);
  b.original = torch::full({1, 2, 3}, 255, torch::kByte);
  EXPECT_EQ(decoded_difference(a, b), -1) << "sizes differ";
}

}  // namespace
}  // namespace vidssl
