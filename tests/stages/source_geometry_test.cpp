#include "stages/source_geometry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace vidssl {
namespace {

// Hand-worked fits of a 1920×1080 picture (16:9) into 160×120 (4:3).
TEST(SourceGeometry, CropPadStretchOfA16By9PictureIn4By3) {
  // crop: the centre 1440×1080 (1080·4/3), 240 columns cut off on each side.
  const FitPlan crop = plan_fit(1920, 1080, {160, 120}, Fit::crop);
  EXPECT_EQ(crop.from, (PixelRect{240, 0, 1440, 1080}));
  EXPECT_EQ(crop.to, (PixelRect{0, 0, 160, 120}));
  // pad: 160×90 (160·9/16), 15 black rows above and below.
  const FitPlan pad = plan_fit(1920, 1080, {160, 120}, Fit::pad);
  EXPECT_EQ(pad.from, (PixelRect{0, 0, 1920, 1080}));
  EXPECT_EQ(pad.to, (PixelRect{0, 15, 160, 90}));
  const FitPlan stretch = plan_fit(1920, 1080, {160, 120}, Fit::stretch);
  EXPECT_EQ(stretch.from, (PixelRect{0, 0, 1920, 1080}));
  EXPECT_EQ(stretch.to, (PixelRect{0, 0, 160, 120}));
  // Portrait (9:16) into the same frame: crop keeps the middle rows, pad puts bars left and right.
  EXPECT_EQ(plan_fit(1080, 1920, {160, 120}, Fit::crop).from, (PixelRect{0, 555, 1080, 810}));
  EXPECT_EQ(plan_fit(1080, 1920, {160, 120}, Fit::pad).to, (PixelRect{46, 0, 68, 120}));  // 120·9/16 = 67.5
}

// Whatever the sizes, crop and pad keep the picture's aspect ratio: crop cuts whole pixels, so its
// cut has the frame's aspect ratio within one picture pixel; pad's picture has its own within one
// delivered pixel. Both stay inside the picture and the frame, centred.
TEST(SourceGeometry, CropAndPadKeepTheAspectRatioWithinOnePixel) {
  const int sides[] = {1, 2, 3, 7, 48, 64, 90, 120, 160, 376, 480, 854, 1080, 1241, 1920};
  for (const Fit fit : {Fit::crop, Fit::pad}) {
    for (const int w : sides)
      for (const int h : sides)
        for (const OutputSize frame : {OutputSize{160, 120}, OutputSize{64, 64}, OutputSize{90, 160}, OutputSize{1, 5}}) {
          SCOPED_TRACE(std::string(fit_name(fit)) + " " + std::to_string(w) + "x" + std::to_string(h) + " into " +
                       std::to_string(frame.width) + "x" + std::to_string(frame.height));
          const FitPlan plan = plan_fit(w, h, frame, fit);
          // The width that the height and the aspect ratio to keep give, against the one used
          // (and the same for the height): one of the two is exact, the other rounded.
          const auto off_by = [](const PixelRect& r, double aspect) {
            return std::min(std::abs(r.width - r.height * aspect), std::abs(r.height - r.width / aspect));
          };
          if (fit == Fit::crop) {
            EXPECT_LE(off_by(plan.from, static_cast<double>(frame.width) / frame.height), 1.0);
            EXPECT_EQ(plan.to, (PixelRect{0, 0, frame.width, frame.height}));
          } else {
            EXPECT_LE(off_by(plan.to, static_cast<double>(w) / h), 1.0);
            EXPECT_EQ(plan.from, (PixelRect{0, 0, w, h}));
          }
          EXPECT_GE(plan.from.x, 0);
          EXPECT_GE(plan.from.y, 0);
          EXPECT_LE(plan.from.x + plan.from.width, w);
          EXPECT_LE(plan.from.y + plan.from.height, h);
          EXPECT_LE(std::abs((w - plan.from.width) - 2 * plan.from.x), 1);
          EXPECT_LE(std::abs((h - plan.from.height) - 2 * plan.from.y), 1);
          EXPECT_GE(plan.to.width, 1);
          EXPECT_GE(plan.to.height, 1);
          EXPECT_LE(plan.to.x + plan.to.width, frame.width);
          EXPECT_LE(plan.to.y + plan.to.height, frame.height);
          EXPECT_LE(std::abs((frame.width - plan.to.width) - 2 * plan.to.x), 1);
          EXPECT_LE(std::abs((frame.height - plan.to.height) - 2 * plan.to.y), 1);
        }
  }
}

TEST(SourceGeometry, OneSideZeroKeepsTheAspectRatio) {
  EXPECT_EQ(output_size({.path = "clip.mp4", .width = 160}, 854, 480), (OutputSize{160, 90}));
  EXPECT_EQ(output_size({.path = "clip.mp4", .height = 160}, 480, 854), (OutputSize{90, 160}));
  EXPECT_EQ(output_size({.path = "clip.mp4"}, 854, 480), (OutputSize{854, 480}));
  EXPECT_EQ(output_size({.path = "clip.mp4", .width = 64, .height = 64}, 854, 480), (OutputSize{64, 64}));
}

}  // namespace
}  // namespace vidssl
