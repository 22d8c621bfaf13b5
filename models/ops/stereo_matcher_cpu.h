#pragma once

#include <cstdint>

namespace vidssl {

// StereoMatcherOptions as the CPU loops read them (this file includes no torch header; see
// models/ops/cpu_loops.h). The options are checked before they get here.
struct StereoMatchParams {
  int max_disparity = 64;
  bool census = true;           // false: SAD
  int cost_window = 7;
  int aggregation_window = 9;
  float uniqueness = 0.05f;     // 0: no uniqueness check
  int lr_tolerance = 1;         // negative: no left-right check
};

// StereoMatcher's steps (see stereo_matcher.h) on one contiguous H×W float pair: disparity H×W,
// −1 where invalid. Rows are split over at::parallel_for; each thread streams its rows through
// running box sums and keeps its buffers between calls.
void stereo_match_cpu(const float* left, const float* right, std::int64_t height, std::int64_t width,
                      const StereoMatchParams& params, float* disparity);

}  // namespace vidssl
