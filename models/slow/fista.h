#pragma once

#include <vector>

#include <torch/types.h>

namespace vidssl {

// Sparse inference for PSD training: minimizes, per sample,
//   E(h) = ½‖x − D h‖² + α‖h‖₁        (D: the convolutional dictionary of decoder_weight)
// from a starting code h₀ (the encoder's guess), with FISTA and backtracking on the step size.
//
// With options.slowness = β > 0 the batch is 2N frames, pairs (i, i + N) as SlowSparse lays them
// out, and the two codes of a pair are found together, minimizing the energy of Goroshin et al.
// (ICCV 2015) for the pair:
//   E(h_a, h_b) = Σ_{τ∈{a,b}} ½‖x_τ − D h_τ‖² + α‖h_τ‖₁ + β Σ_j ψ(P_j(h_a) − P_j(h_b)),
// P the L2 pooling (models/layers/l2_pool.h), ψ(d) = √(d² + η²) − η the paper's |d| smoothed by η,
// because FISTA's step needs the term in the smooth part: |d| has no gradient at 0, where the
// slowness wants most pooled units, and its quadratic bound would fail there at every L.
// Decisions (step taken, L grown) are then made per pair.
//
// Monotone FISTA (Beck & Teboulle 2009, "MFISTA"): each sample keeps the better of the new
// proximal point and its previous iterate, so the energy never rises from one step to the next.
// Plain FISTA is not monotone, and PSD relies on h* being no worse than the encoder's guess.
//
// Every decision is made on the device, per sample: a step whose quadratic bound fails is not
// taken (the sample keeps its code and restarts its momentum) and its L grows by `backtrack` for
// the next step. Growing L inside a step until the bound held, as before, read the test's result
// to the host up to a hundred times a step, and each read waits for a GPU. A sample so loses a
// step each time its L grows: PSD training passes the L the last batch ended with as `start`.
struct FistaOptions {
  double alpha = 0.5;
  int steps = 50;
  double initial_lipschitz = 0.1;  // L₀, where no `start` is given
  double backtrack = 1.5;          // L ← 1.5 L where the quadratic bound fails
  double slowness = 0;             // β: 0 codes each frame alone
  double slowness_smoothing = 1e-2;  // η, far below a living pooled unit (0.1–1 on contrast-normalized frames)
  std::int64_t pool_features = 4;  // P's groups: feature maps × space×space pixels
  std::int64_t pool_space = 2;
};

struct FistaResult {
  torch::Tensor codes;      // h*, N×F×H×W, detached
  torch::Tensor energy;     // Σ over the batch of E, before the first step and after each: steps + 1 values, on the device
                            // (with slowness, Σ over the pairs of the pair's energy)
  torch::Tensor lipschitz;  // the largest L of the batch at the end (0-d, on the device)
};

// start: a 0-d L on the device to begin from (the last batch's result.lipschitz), or undefined for
// options.initial_lipschitz.
FistaResult fista(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h0,
                  const FistaOptions& options, const torch::Tensor& start = {});

// E(h) per sample (N values), the energy fista() minimizes without slowness.
torch::Tensor sparse_coding_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight,
                                   const torch::Tensor& h, double alpha);

// The energy fista() minimizes under `options`: per sample without slowness (N values), per pair
// with it (N/2 values, pair i the frames i and i + N/2).
torch::Tensor fista_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h,
                           const FistaOptions& options);

}  // namespace vidssl
