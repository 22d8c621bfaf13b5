#pragma once

#include <array>
#include <cstdint>

#include <torch/types.h>

#include "models/neartofar/near_to_far.h"
#include "models/training/learner.h"

namespace vidssl {

// The colour of each class (RGB): ground green, footline yellow, obstacle red, and the dense
// "super" classes darker; grey for anything else.
std::array<float, 3> traversability_colour(std::int64_t label);

// The left picture (RGB, float 3×H×W 0..255, models/ops/yuv_to_rgb.h) with each band's ground
// strip (the rows between its ground line and the next band's) coloured window by window, half
// over the picture, either by the predicted class (argmax) or by the stereo label (unlabeled left
// uncoloured), and each band's distance written at the left edge where its strip is tall enough.
// What a person checks first: do the colours sit on the road, the verges and the cars?
Panel traversability_panel(const torch::Tensor& rgb, const NearToFarResult& result, bool stereo_labels);

//   Top-down map: 10 px per metre across (−20 … 20 m), 5 px per metre ahead (0 … 100 m).
struct TopDownOptions {
  double half_width = 20.0;     // m either side
  double depth = 100.0;         // m ahead
  double px_per_m_across = 10;
  double px_per_m_ahead = 5;
};

// A top-down traversability map in metres: every window becomes the ground cell it looks at
// (its azimuth span × its band's distance span), filled on a green (ground) → red (obstacle)
// scale by its cost P(obstacle) + P(super_obstacle) + ½·P(footline); rings every 10 m.
Panel top_down_panel(const NearToFarResult& result, const TopDownOptions& options = {});

}  // namespace vidssl
