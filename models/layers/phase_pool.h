#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "models/ops/image_op.h"

namespace vidssl {

// The shape of a phase-pooling neighbourhood N_k: `features` consecutive feature maps (a new block
// every `feature_stride` maps: equal to `features` for non-overlapping blocks, 2 for the overlapping
// variant) × `space`×`space` pixels, non-overlapping in space (DESIGN §7).
struct PhaseBlockOptions {
  TORCH_ARG(std::int64_t, features) = 4;
  TORCH_ARG(std::int64_t, space) = 4;
  TORCH_ARG(std::int64_t, feature_stride) = 4;

 public:  // TORCH_ARG leaves the struct private
  // Blocks along the feature axis for F feature maps; throws std::invalid_argument naming the
  // option when F, H or W do not divide into blocks.
  std::int64_t feature_blocks(std::int64_t f) const;
  // Whether F feature maps divide into blocks of `features` every `feature_stride`.
  bool tiles(std::int64_t f) const { return f >= features() && (f - features()) % feature_stride() == 0; }
  void check(std::int64_t f, std::int64_t height, std::int64_t width) const;
  // The block's grid coordinates mapped to [−1, 1]: index i of n at −1 + 2i/(n−1) (0 when n = 1).
  static torch::Tensor grid(std::int64_t n, const torch::TensorOptions& options);
  // The grid step Δ in those coordinates: 2/(n−1) (1 when n = 1).
  static double step(std::int64_t n);
};

struct PhasePoolOptions {
  TORCH_ARG(PhaseBlockOptions, block) = {};
  // Sharpness of the soft max: β → ∞ gives the hard max and argmax, β → 0 the mean and the centre.
  TORCH_ARG(double, beta) = 10.0;
};

// What phase pooling returns for N×F×H×W codes, with K feature blocks and Hb×Wb = (H/s)×(W/s):
struct PhasePooled {
  torch::Tensor magnitude;  // m: N×K×Hb×Wb, Σ z·softmax(βz) over each block (the "what")
  torch::Tensor phase;      // p: N×K×3×Hb×Wb, soft argmax [f, x, y] in [−1, 1] (the "where")
};

// Phase pooling (Goroshin, Mathieu & LeCun, "Learning to linearize under uncertainty", NIPS 2015):
// each neighbourhood N_k is split into a magnitude, the soft max of its codes, and a phase, the
// softmax-weighted mean of its grid coordinates. Why: a feature that moves inside its block keeps
// its magnitude and moves its phase continuously, so motion becomes (nearly) linear in p, which is
// what lets the model predict by extrapolating p and interpolate by averaging it.
//
//   PhasePool pool(PhasePoolOptions().beta(10));   // model: { pool_features: 4, pool_space: 4, beta_pool: 10 }
//   auto [m, p] = pool(z);                         // z: N×64×H×W -> m: N×16×H/4×W/4, p: N×16×3×H/4×W/4
class PhasePoolImpl : public torch::nn::Module {
 public:
  explicit PhasePoolImpl(PhasePoolOptions options = {});
  void reset() {}
  // CPU tensors go through hand-written loops (phase_pool_cpu.h), with their own gradient;
  // OpPath::reference forces the torch ops, which are also what the GPU runs.
  PhasePooled forward(const torch::Tensor& z, OpPath path = OpPath::automatic);

  PhasePoolOptions options;
};
TORCH_MODULE(PhasePool);

// The inverse placement: puts m̂_k back at p̂_k in its block with separable tent weights over the
// block's grid, ẑ(q) = m̂_k Π_d max(0, 1 − |q_d − p̂_{k,d}|/Δ_d); overlapping feature blocks add.
// Differentiable in m̂ and p̂ and exact when p̂ lies on a grid point.
//
//   PhaseUnpool unpool(PhaseBlockOptions());
//   auto z_hat = unpool(m, p, /*features=*/64);     // -> N×64×H×W
class PhaseUnpoolImpl : public torch::nn::Module {
 public:
  explicit PhaseUnpoolImpl(PhaseBlockOptions options = {});
  void reset() {}
  // CPU tensors go through hand-written loops (phase_pool_cpu.h), with their own gradient;
  // OpPath::reference forces the torch ops, which are also what the GPU runs.
  torch::Tensor forward(const torch::Tensor& magnitude, const torch::Tensor& phase, std::int64_t features,
                        OpPath path = OpPath::automatic);

  PhaseBlockOptions options;
};
TORCH_MODULE(PhaseUnpool);

}  // namespace vidssl
