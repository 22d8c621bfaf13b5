#include "models/training/mosaic.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace vidssl {

torch::Tensor tile_mosaic(const torch::Tensor& maps, bool normalize_each) {
  if (maps.dim() != 3) throw std::invalid_argument("tile_mosaic: expected N×H×W maps");
  auto tiles = maps.detach().to(torch::kCPU, torch::kFloat);
  const auto n = tiles.size(0), h = tiles.size(1), w = tiles.size(2);
  if (normalize_each) tiles = tiles / tiles.abs().amax({1, 2}, true).clamp_min(1e-12);
  const auto columns = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const auto rows = (n + columns - 1) / columns;
  auto canvas = torch::zeros({rows * (h + 1) + 1, columns * (w + 1) + 1});
  for (std::int64_t i = 0; i < n; ++i) {
    const auto r = i / columns, c = i % columns;
    canvas.slice(0, 1 + r * (h + 1), 1 + r * (h + 1) + h).slice(1, 1 + c * (w + 1), 1 + c * (w + 1) + w).copy_(tiles[i]);
  }
  return canvas;
}

}  // namespace vidssl
