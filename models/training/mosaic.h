#pragma once

#include <torch/types.h>

namespace vidssl {

// Tiles N maps (N×H×W) into one picture on a near-square grid with a 1-pixel border, so filters
// or feature maps can be looked at at once. With normalize_each, every tile is scaled to
// [−1, 1] by its own largest magnitude (filters differ in contrast; their shapes matter).
torch::Tensor tile_mosaic(const torch::Tensor& maps, bool normalize_each);

}  // namespace vidssl
