#pragma once

#include <torch/types.h>

namespace vidssl {

// Soft threshold, the proximal operator of θ‖·‖₁: shrink_θ(u) = sign(u)·max(|u| − θ, 0).
// θ is a tensor broadcast against u: one threshold per feature is theta of shape [F] reshaped to
// [1, F, 1, 1] by the caller (see shrink_features). Differentiable in u and θ (subgradient 0 at
// the kinks).
torch::Tensor shrink(const torch::Tensor& u, const torch::Tensor& theta);

// shrink with one threshold per feature map of an N×F×H×W tensor; theta has shape [F].
torch::Tensor shrink_features(const torch::Tensor& u, const torch::Tensor& theta);

}  // namespace vidssl
