#pragma once

#include <torch/types.h>

namespace vidssl {

struct StereoSgbmOptions {
  int max_disparity = 64;       // searched: 0 … max_disparity − 1; OpenCV needs a multiple of 16
  int block_size = 5;           // matching block side, odd
  int p1 = 0;                   // smoothness penalty for a 1 px disparity change; 0: OpenCV's 8·block²
  int p2 = 0;                   // for larger changes; 0: OpenCV's 32·block²
  double uniqueness = 0.05;     // best must beat the second best (≥ 2 px away) by this share (OpenCV: 5–15 %)
  int lr_tolerance = 1;         // left-right check (disp12MaxDiff), pixels, ≥ 1; negative: no check
  int pre_filter_cap = 63;      // clip of the x-derivative prefilter (OpenCV's sample)
};

// OpenCV's semi-global block matching (Hirschmüller 2008) behind StereoMatcher's interface: the CPU
// alternative for near-to-far stereo (DESIGN §8.1) and the reference our matcher is compared with.
// It sits in stages/ because models/ never includes OpenCV.
//
//   StereoSgbm sgbm({.max_disparity = 64});
//   torch::Tensor d = sgbm(frame.image, frame.right);   // H×W float32, −1 where invalid
//
// left, right: H×W or 1×H×W uint8 CPU tensors, rectified. The result has OpenCV's 1/16 px steps;
// columns without the full search range and pixels OpenCV rejects (uniqueness, left-right check) are −1.
// Bad options throw std::invalid_argument naming the option. Each call builds its own matcher, so
// calls from several threads are safe.
class StereoSgbm {
 public:
  explicit StereoSgbm(StereoSgbmOptions options = {});

  torch::Tensor operator()(const torch::Tensor& left, const torch::Tensor& right) const;

  const StereoSgbmOptions& options() const { return options_; }

 private:
  StereoSgbmOptions options_;
};

}  // namespace vidssl
