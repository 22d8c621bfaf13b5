#include "stages/scene_cut.h"

#include <torch/torch.h>

namespace vidssl {

double decoded_difference(const Frame& previous, const Frame& frame) {
  const auto& a = previous.original.defined() ? previous.original : previous.image;
  const auto& b = frame.original.defined() ? frame.original : frame.image;
  if (a.scalar_type() != torch::kByte || b.scalar_type() != torch::kByte || a.sizes() != b.sizes()) return -1;
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).abs().mean().item<double>() / 255.0;
}

bool is_scene_cut(const Frame& previous, const Frame& frame, double threshold) {
  return threshold > 0 && decoded_difference(previous, frame) > threshold;
}

}  // namespace vidssl
