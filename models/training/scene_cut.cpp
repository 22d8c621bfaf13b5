#include "models/training/scene_cut.h"

#include <torch/torch.h>

namespace vidssl {

double decoded_difference(const torch::Tensor& previous, const torch::Tensor& next) {
  if (!previous.defined() || !next.defined() || previous.scalar_type() != torch::kByte || next.scalar_type() != torch::kByte ||
      previous.sizes() != next.sizes())
    return -1;
  return (previous.to(torch::kFloat) - next.to(torch::kFloat)).abs().mean().item<double>() / 255.0;
}

bool is_scene_cut(const torch::Tensor& previous, const torch::Tensor& next, double threshold) {
  return threshold > 0 && decoded_difference(previous, next) > threshold;
}

}  // namespace vidssl
