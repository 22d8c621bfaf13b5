#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "models/ops/image_op.h"

namespace vidssl {

// L2 pooling over non-overlapping groups of `features` feature maps × `space`×`space` pixels:
//   P_j(h) = sqrt(Σ_{k∈P_j} h_k² + ε)
// (Goroshin et al. 2015). The pooled code is invariant to which unit of a group fires, which is
// what lets a slowness penalty on P keep the features themselves sparse and free to move.
//
//   L2Pool pool(L2PoolOptions().features(4).space(2));
//   auto p = pool(h);   // N×F×H×W -> N×(F/4)×(H/2)×(W/2)
struct L2PoolOptions {
  TORCH_ARG(std::int64_t, features) = 4;
  TORCH_ARG(std::int64_t, space) = 2;
  // Keeps the gradient h/P finite where a whole group is zero.
  TORCH_ARG(double, eps) = 1e-6;
};

class L2PoolImpl : public torch::nn::Module {
 public:
  explicit L2PoolImpl(L2PoolOptions options = {});
  void reset() {}
  // h: N×F×H×W with F divisible by features and H, W divisible by space. CPU tensors take the loops
  // of l2_pool_cpu.h (OpPath::automatic), others and OpPath::reference the torch ops.
  torch::Tensor forward(const torch::Tensor& h, OpPath path = OpPath::automatic);

  L2PoolOptions options;
};
TORCH_MODULE(L2Pool);

}  // namespace vidssl
