#include "models/neartofar/traversability_picture.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace vidssl {
namespace {

WindowPrediction window(double azimuth, std::int64_t label, std::array<double, 4> box, std::int64_t predicted) {
  WindowPrediction w;
  w.azimuth = azimuth;
  w.label = label;
  w.box = box;
  w.probabilities.fill(0.05f);
  w.probabilities[predicted] = 0.8f;
  return w;
}

std::array<float, 3> pixel(const Panel& p, std::int64_t x, std::int64_t y) {
  return {p.image[0][y][x].item<float>(), p.image[1][y][x].item<float>(), p.image[2][y][x].item<float>()};
}

// One band, its strip rows 40..59 (from its ground line at 60 up to the next band's at 40), three
// windows 10 px apart: ground, unlabeled, obstacle by stereo; all predicted footline.
NearToFarResult strip_scene() {
  NearToFarResult r;
  BandPrediction near;
  near.distance = 8;
  near.windows = {window(-0.1, 0, {30, 60, 10, 35}, 1), window(0.0, kUnlabeled, {30, 60, 20, 45}, 1),
                  window(0.1, 2, {30, 60, 30, 55}, 1)};
  BandPrediction far;
  far.distance = 16;
  far.windows = {window(0.0, kUnlabeled, {10, 40, 20, 45}, 0)};
  r.bands = {near, far};
  return r;
}

TEST(TraversabilityPanel, EachWindowPaintsItsColumnsOfItsStripHalfOverThePicture) {
  const torch::Tensor grey = torch::full({3, 80, 80}, 100.0f);
  const Panel labels = traversability_panel(grey, strip_scene(), true);
  EXPECT_EQ(labels.title, "stereo labels");
  // Window 0: centre 22.5, step 10 -> columns lround(17.5) = 18 … lround(27.5) − 1 = 27, rows 40 … 59.
  const auto ground = traversability_colour(0), obstacle = traversability_colour(2);
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(pixel(labels, 18, 40)[c], 0.5f * 100 + 0.5f * ground[c]);
    EXPECT_FLOAT_EQ(pixel(labels, 27, 59)[c], 0.5f * 100 + 0.5f * ground[c]);
    EXPECT_FLOAT_EQ(pixel(labels, 40, 50)[c], 0.5f * 100 + 0.5f * obstacle[c]);  // window 2: columns 38 … 47
    EXPECT_FLOAT_EQ(pixel(labels, 32, 50)[c], 100) << "the unlabeled window is left as it is";
    EXPECT_FLOAT_EQ(pixel(labels, 18, 39)[c], 100) << "above the strip";
    EXPECT_FLOAT_EQ(pixel(labels, 18, 60)[c], 100) << "below the ground line";
    EXPECT_FLOAT_EQ(pixel(labels, 17, 50)[c], 100) << "left of the first window";
  }
  ASSERT_EQ(labels.texts.size(), 2u) << "both strips are at least 10 rows tall";
  EXPECT_EQ(labels.texts[0].text, "8 m");
  EXPECT_FLOAT_EQ(labels.texts[0].y, 58);

  const Panel predicted = traversability_panel(grey, strip_scene(), false);
  const auto footline = traversability_colour(1);
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(pixel(predicted, 32, 50)[c], 0.5f * 100 + 0.5f * footline[c]) << "argmax, labeled or not";
  EXPECT_EQ(predicted.title, "predicted");
}

bool background(const std::array<float, 3>& p) { return p[0] == 40 && p[1] == 40 && p[2] == 40; }

// A band at 60 m seen by windows evenly spaced in the image (as the bands' are), so their azimuth
// steps are wider in the middle than at the sides: the map's cells still tile the ground they look
// at with no background between them, and each has its window's cost colour (ground green,
// obstacle red).
TEST(TopDownPanel, WindowsTileTheirDistanceSpanWithTheirCostColours) {
  NearToFarResult r;
  const double fx = 700;
  for (const double distance : {60.0, 72.0}) {
    BandPrediction band;
    band.distance = distance;
    for (int j = -120; j <= 120; ++j) band.windows.push_back(window(std::atan(4.0 * j / fx), kUnlabeled, {}, j < 0 ? 0 : 2));
    r.bands.push_back(band);
  }
  TopDownOptions o;
  const Panel map = top_down_panel(r, o);
  ASSERT_EQ(map.image.sizes(), (torch::IntArrayRef{3, 500, 400}));
  // 63 m ahead, inside the band at 60 m (54.8 … 65.7 m) and away from its 60 m ring, the windows'
  // ±0.6 rad cover the map's ±20 m: every pixel of that row is a cell.
  const std::int64_t row = std::lround(500 - 63 * o.px_per_m_ahead);
  for (std::int64_t x = 0; x < 400; ++x) EXPECT_FALSE(background(pixel(map, x, row))) << "background at column " << x;
  const auto left = pixel(map, 150, row), right = pixel(map, 250, row);
  EXPECT_GT(left[1], left[0]) << "green";
  EXPECT_GT(right[0], right[1]) << "red";
  EXPECT_TRUE(background(pixel(map, 5, 5))) << "no window looks there";
  EXPECT_EQ(map.texts.size(), 5u) << "ring labels at 20, 40, 60, 80 and 100 m";
}

}  // namespace
}  // namespace vidssl
