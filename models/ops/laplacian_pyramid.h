#pragma once

#include <torch/types.h>

#include <vector>

#include "models/ops/gaussian_pyramid.h"
#include "models/ops/image_op.h"

namespace vidssl {

struct LaplacianPyramidOptions {
  int levels = 3;  // L_0 … L_{levels−1}; the last is the top Gaussian level
};

// A Laplacian pyramid (DESIGN §5): band-pass levels L_i = G_i − up(G_{i+1}) and the low-pass top
// L_{top} = G_{top}, so a model can work per band and the image be rebuilt from the bands.
// reconstruct() rebuilds it exactly (to float rounding, odd sizes too): it adds back the same
// up(G_{i+1}) the bands subtracted (see pyramid_up_add).
//
//   LaplacianPyramid laplacian({.levels = 3});
//   std::vector<torch::Tensor> bands = laplacian(frame);
//   torch::Tensor same = laplacian.reconstruct(bands);   // == frame within 1e-5
//
// Device handling and size limits as GaussianPyramid's.
class LaplacianPyramid {
 public:
  explicit LaplacianPyramid(LaplacianPyramidOptions options = {});

  std::vector<torch::Tensor> operator()(const torch::Tensor& x, OpPath path = OpPath::automatic) const;

  // G_0 from any number of levels (one level is returned as is), each ceil-half of the one before.
  torch::Tensor reconstruct(const std::vector<torch::Tensor>& levels, OpPath path = OpPath::automatic) const;

  const LaplacianPyramidOptions& options() const { return options_; }

 private:
  LaplacianPyramidOptions options_;
  GaussianPyramid gaussian_;
};

}  // namespace vidssl
