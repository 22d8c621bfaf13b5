#include "models/layers/shrink.h"

#include <torch/torch.h>

namespace vidssl {

torch::Tensor shrink(const torch::Tensor& u, const torch::Tensor& theta) {
  // Written as two ReLUs so the gradient in θ is -sign(u) where |u| > θ and 0 elsewhere.
  return torch::relu(u - theta) - torch::relu(-u - theta);
}

torch::Tensor shrink_features(const torch::Tensor& u, const torch::Tensor& theta) {
  return shrink(u, theta.view({1, -1, 1, 1}));
}

}  // namespace vidssl
