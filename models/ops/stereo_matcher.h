#pragma once

#include <torch/types.h>

#include "models/ops/image_op.h"

namespace vidssl {

enum class StereoCost { census, sad };

struct StereoMatcherOptions {
  int max_disparity = 64;        // searched: 0 … max_disparity − 1 (pixels)
  StereoCost cost = StereoCost::census;
  int cost_window = 7;           // census / SAD window side, odd (census: at most 7, 48 bits in one word)
  int aggregation_window = 9;    // box aggregation of the matching cost, odd
  double uniqueness = 0.05;      // reject when the second-best cost (≥ 2 px away) is within this share of the best (0: off)
  int lr_tolerance = 1;          // left-right check, pixels (negative: no check)
};

// Throws std::invalid_argument naming the option ("max_disparity must be at least 2, got 1").
void check_options(const StereoMatcherOptions& options);

// Dense disparity from a rectified stereo pair (DESIGN §8.1), the near-to-far model's source of
// labels: the stereo labels are only as good as the disparities, so a disparity is given only where
// it is trustworthy and −1 elsewhere, rather than a guess everywhere.
//
// The steps, the same on both paths:
//  1. A matching cost per pixel and candidate disparity d: the Hamming distance between the census
//     codes of left (v, u) and right (v, u − d) (bit k: neighbour k of the cost_window² window, in
//     raster order, is darker than the centre; coordinates outside the image clamped to the edge), or
//     for SAD the sum of |left − right| over the cost_window² window (zeros outside the image). A right
//     column u − d < 0 reads column 0, so that the cost is defined everywhere.
//  2. Box aggregation over aggregation_window² pixels (the pixels inside the image).
//  3. Winner-take-all: the smallest aggregated cost, ties to the smaller disparity.
//  4. Checks: the left column must see the full range (u ≥ max_disparity − 1); the winner must be
//     unique (second-best at ≥ 2 px from it costs more than (1 + uniqueness) × the best); and the
//     right view's own winner at (v, u − d), from the same costs over the candidates that stay in the
//     image, must be within lr_tolerance of d (which fails at occlusions).
//  5. Sub-pixel: the vertex of the parabola through the costs at d − 1, d, d + 1 (none at the ends of
//     the range).
//
//   StereoMatcher match({.max_disparity = 64});
//   torch::Tensor d = match(left, right);   // H×W float32, −1 where invalid
//   // depth where d > 0: camera.depth(d)
//
// CPU tensors go through hand-written loops (census as packed 64-bit codes, running box sums, rows
// over both cores); `OpPath::reference` forces the torch-ops path, which is what runs on the GPU.
// Census costs (and SAD costs of integer-valued images such as uint8 frames) are exact integers on
// both paths, so the two give the same winners and the same checks; SAD costs of other float images
// agree up to float rounding. Calls from several threads are safe.
class StereoMatcher {
 public:
  explicit StereoMatcher(StereoMatcherOptions options = {});

  // left, right: H×W or 1×H×W, uint8 or float, rectified, same device. Returns H×W float32 disparity
  // on that device, sub-pixel, −1 where invalid (no full search range, left-right check failed, not unique).
  torch::Tensor operator()(const torch::Tensor& left, const torch::Tensor& right,
                           OpPath path = OpPath::automatic) const;

  const StereoMatcherOptions& options() const { return options_; }

 private:
  torch::Tensor run_reference(const torch::Tensor& left, const torch::Tensor& right) const;
  torch::Tensor run_cpu(const torch::Tensor& left, const torch::Tensor& right) const;

  StereoMatcherOptions options_;
};

}  // namespace vidssl
