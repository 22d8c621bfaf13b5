#pragma once

#include <torch/types.h>

#include "stages/source_geometry.h"

namespace vidssl {

// `image` (C×H×W uint8, upright) at the delivered size, as `fit` says: the sources that decode to
// tensors (Y4M) fit their pictures with it. Scaling is bilinear. The result is a new tensor, never
// a view of `image` (a reader may reuse the buffer `image` points into).
//
//   fit_image(image_1x480x854, Fit::crop, {160, 120})   // 1×120×160: the centre 640×480, scaled by 1/4
torch::Tensor fit_image(const torch::Tensor& image, Fit fit, OutputSize frame);

// A black C×H×W uint8 frame: luma 0 and, for YUV, neutral chroma (128).
torch::Tensor black_frame(int channels, int height, int width);

}  // namespace vidssl
