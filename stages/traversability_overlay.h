#pragma once

#include <opencv2/core.hpp>

#include "models/neartofar/near_to_far.h"

namespace vidssl {

// Colours of the five classes (BGR): ground green, footline yellow, obstacle red, and the dense
// "super" classes darker.
cv::Scalar traversability_colour(std::int64_t label);

// The left image with each band's ground strip (the rows between its ground line and the next
// band's) coloured window by window, either by the predicted class (argmax) or by the stereo
// label (unlabeled left uncoloured), and the band distances written at the left edge.
// What a person checks first: do the colours sit on the road, the verges and the cars?
cv::Mat draw_traversability(const cv::Mat& left_bgr, const NearToFarResult& result, bool stereo_labels);

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
cv::Mat draw_top_down(const NearToFarResult& result, const TopDownOptions& options = {});

}  // namespace vidssl
