#pragma once

#include <vector>

#include <torch/types.h>

namespace vidssl {

// Sparse inference for PSD training: minimizes, per sample,
//   E(h) = ½‖x − D h‖² + α‖h‖₁        (D: the convolutional dictionary of decoder_weight)
// from a starting code h₀ (the encoder's guess), with FISTA and backtracking on the step size.
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
};

struct FistaResult {
  torch::Tensor codes;      // h*, N×F×H×W, detached
  torch::Tensor energy;     // Σ over the batch of E, before the first step and after each: steps + 1 values, on the device
  torch::Tensor lipschitz;  // the largest L of the batch at the end (0-d, on the device)
};

// start: a 0-d L on the device to begin from (the last batch's result.lipschitz), or undefined for
// options.initial_lipschitz.
FistaResult fista(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h0,
                  const FistaOptions& options, const torch::Tensor& start = {});

// E(h) per sample (N values), the energy fista() minimizes.
torch::Tensor sparse_coding_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight,
                                   const torch::Tensor& h, double alpha);

}  // namespace vidssl
