#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <vector>

#include "models/layers/phase_pool.h"

namespace vidssl {

// Model B's options: defaults are DESIGN §7's (the paper's shallow architecture 1).
//
//   model:                   # configs/clips-linearize.yaml
//     kind: linearize
//     filters: 64
//     kernel: 9
//     pool_features: 4       # features per phase-pooling block
//     pool_space: 4          # block is 4×4 pixels; it must hold the motion between t−1 and t+1
//     pool_feature_stride: 4 # 2: overlapping blocks along the features
//     pool_beta: 10          # soft-max sharpness
//     coarse_filters: 0      # a second pooling level: its own filters over coarse_space blocks (0: off)
//     coarse_space: 8
//     curvature: 1.0         # λ (swept on sprites: 0.1 barely straightens, 1 and 3 alike)
//     delta_steps: 5         # k gradient steps on the latent δ per sample (0: no latent)
//     delta_lr: 5.0          # α_δ, on the per-pixel error
struct LinearizeOptions {
  TORCH_ARG(std::int64_t, channels) = 1;
  TORCH_ARG(std::int64_t, filters) = 64;
  TORCH_ARG(std::int64_t, kernel) = 9;
  TORCH_ARG(PhaseBlockOptions, block) = {};
  TORCH_ARG(double, pool_beta) = 10.0;
  // A second, coarser pooling level, an option beyond the paper: `coarse_filters` more feature
  // maps from the same encoder, pooled over coarse_space×coarse_space blocks (features and
  // feature stride as the fine level's), unpooled beside the fine maps into one decoder. Why:
  // a 2×2 block keeps the detail but cannot hold a motion of several pixels, which then
  // cross-fades; a coarse block holds it in its phase. Measured on real clips, the phases move a
  // little more and the code loses about as much (docs/results.md, Model B): off by default.
  TORCH_ARG(std::int64_t, coarse_filters) = 0;
  TORCH_ARG(std::int64_t, coarse_space) = 8;
  TORCH_ARG(double, curvature) = 1.0;
  TORCH_ARG(std::int64_t, delta_dims) = 3;
  TORCH_ARG(std::int64_t, delta_steps) = 5;
  TORCH_ARG(double, delta_lr) = 5.0;
};

// One frame's pooled code: the fine level, then the coarse one where the model has it.
struct LinearizeCode {
  std::vector<PhasePooled> levels;
};

// Throws std::invalid_argument naming the option as its key under the model's config entry
// ("delta_steps: expected an integer >= 0, got -1"); the model's constructor calls it, and so does
// the config reader, which adds the entry's prefix.
void check_options(const LinearizeOptions& options);

// The terms of one evaluation on a batch of triplets (x^{t−1}, x^t, x^{t+1}). Pixel terms are
// divided by the pixel positions N·H·W, as Model A's, so λ keeps its meaning at any frame size.
//   L = ½‖G(PhaseUnpool(m̂, p̂_δ)) − x^{t+1}‖² + λ (1 − cos(p^t − p^{t−1}, p^{t+1} − p^t))
// (the paper's −λ cos, shifted by λ so the reported term is a curvature in [0, 2λ]).
struct LinearizeLoss {
  torch::Tensor total;
  torch::Tensor prediction;  // ½‖x̂^{t+1} − x^{t+1}‖² per pixel
  torch::Tensor curvature;   // mean over samples of 1 − cos, before λ
  torch::Tensor predicted;   // x̂^{t+1}: N×C×H×W
  torch::Tensor delta;       // δ_k: N×delta_dims
};

// Model B: from frames t−1 and t, predict t+1 (Goroshin, Mathieu & LeCun, "Learning to linearize
// under uncertainty", NIPS 2015). The encoder's codes are phase-pooled into what (m) and where (p);
// the prediction averages m and extrapolates p, linearly, and a latent δ absorbs what cannot be
// predicted: it scales the phase velocity, p̂_δ = 2p^t − p^{t−1} + (W₁δ) ⊙ (p^t − p^{t−1}).
// W₁ maps δ ∈ R³ to one scale per phase channel (K blocks × 3 coordinates), the same at every
// block position: our reading of the paper's fully connected W₁ for a convolutional model, which
// keeps the latent low-dimensional and the model independent of the frame size.
//
//   Linearize model(LinearizeOptions().filters(64));
//   auto loss = model->loss(triplets);   // N×3×C×H×W, contrast-normalized; δ inferred inside
//   loss.total.backward(); optimizer.step();
class LinearizeImpl : public torch::nn::Module {
 public:
  explicit LinearizeImpl(LinearizeOptions options = {});
  void reset();

  torch::Tensor encode(const torch::Tensor& x);  // N×C×H×W -> N×(F+F_coarse)×H×W, ReLU
  LinearizeCode pool(const torch::Tensor& z);
  torch::Tensor unpool(const LinearizeCode& code);  // -> N×(F+F_coarse)×H×W
  torch::Tensor decode(const torch::Tensor& z);    // N×(F+F_coarse)×H×W -> N×C×H×W
  torch::Tensor reconstruct(const LinearizeCode& code) { return decode(unpool(code)); }
  // p̂_δ from p^{t−1}, p^t and δ (N×delta_dims; undefined: δ = 0), with the magnitudes averaged:
  // the code the prediction decodes.
  LinearizeCode extrapolate(const LinearizeCode& previous, const LinearizeCode& current, const torch::Tensor& delta = {});
  // x̂^{t+1} from the pooled codes of t−1 and t and δ (undefined: δ = 0, the deterministic prediction).
  torch::Tensor predict(const LinearizeCode& previous, const LinearizeCode& current, const torch::Tensor& delta = {});
  // k gradient steps on δ from 0 against the prediction error of each sample, weights and codes
  // frozen (the seeds' Algorithm 1); returns δ_k, detached. k = 0 returns zeros.
  torch::Tensor infer_delta(const LinearizeCode& previous, const LinearizeCode& current, const torch::Tensor& next);
  // The feature-space interpolation x̃^t from x^{t−1} and x^{t+1}: m and p averaged.
  torch::Tensor interpolate(const LinearizeCode& previous, const LinearizeCode& next);
  // Decoded frames along the straight path in (m, p) through t−1 (τ = 0) and t+1 (τ = 2), at each
  // τ of `times` (m clamped at 0 beyond the ends): τ = 1 is interpolate(), τ = 3 extrapolates.
  torch::Tensor decode_path(const LinearizeCode& previous, const LinearizeCode& next, const std::vector<double>& times);
  // The side a frame's height and width must be a multiple of: every level's block.
  std::int64_t size_multiple() const;
  // The loss on triplets N×3×C×H×W: δ inferred per sample, then every term at δ_k; or at the
  // given δ (N×delta_dims) when it is defined.
  LinearizeLoss loss(const torch::Tensor& triplets, const torch::Tensor& delta = {});

  LinearizeOptions options;
  torch::nn::Conv2d encoder{nullptr};   // C -> F, k×k, ReLU after
  torch::nn::Conv2d decoder{nullptr};   // G: F -> C, k×k, no bias (its weight is used through decoder_conv2d)
  torch::nn::Linear delta_map{nullptr}; // W₁: δ -> one scale per phase channel, fine level's first
  PhasePool pooling{nullptr};
  PhaseUnpool unpooling{nullptr};
  PhasePool coarse_pooling{nullptr};    // with coarse_filters > 0
  PhaseUnpool coarse_unpooling{nullptr};

 private:
  torch::Tensor prediction_error(const torch::Tensor& predicted, const torch::Tensor& next);  // per sample
};
TORCH_MODULE(Linearize);

// Mean over samples of 1 − cos(p^t − p^{t−1}, p^{t+1} − p^t), each phase flattened per sample:
// 0 for a straight trajectory, 1 for a right angle, 2 for a reversal.
torch::Tensor phase_curvature(const torch::Tensor& p_previous, const torch::Tensor& p_current, const torch::Tensor& p_next);
// The same over every level's phases, flattened together per sample.
torch::Tensor phase_curvature(const LinearizeCode& previous, const LinearizeCode& current, const LinearizeCode& next);

}  // namespace vidssl
