#pragma once

#include <torch/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "models/ops/image_op.h"

namespace vidssl {

struct GaussianPyramidOptions {
  int levels = 3;  // G_0 (the input) … G_{levels−1}
};

// A Gaussian pyramid (DESIGN §5), so models can see a frame at several scales: G_0 is the input,
// G_{i+1} = pyramid_down(G_i) (5-tap binomial, reflect borders, even samples kept), ceil(H/2) ×
// ceil(W/2) at each step.
//
//   GaussianPyramid pyramid({.levels = 3});
//   std::vector<torch::Tensor> g = pyramid(frame);  // 480×640 → 480×640, 240×320, 120×160
//
// CPU tensors go through hand-written loops, others through torch ops (`OpPath::reference` forces
// these). An image too small for the levels (every level but the top must be at least 3×3) throws
// std::invalid_argument.
class GaussianPyramid {
 public:
  explicit GaussianPyramid(GaussianPyramidOptions options = {});

  std::vector<torch::Tensor> operator()(const torch::Tensor& x, OpPath path = OpPath::automatic) const;

  // Height and width of every level for an H×W input; throws std::invalid_argument naming `op`
  // when the input is too small for the levels.
  std::vector<std::pair<std::int64_t, std::int64_t>> level_sizes(std::int64_t height, std::int64_t width,
                                                                 const char* op = "GaussianPyramid") const;

  const GaussianPyramidOptions& options() const { return options_; }

 private:
  GaussianPyramidOptions options_;
};

}  // namespace vidssl
