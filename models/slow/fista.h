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
struct FistaOptions {
  double alpha = 0.5;
  int steps = 50;
  double initial_lipschitz = 0.1;  // L₀
  double backtrack = 1.5;          // L ← 1.5 L until the quadratic bound holds
};

struct FistaResult {
  torch::Tensor codes;          // h*, N×F×H×W, detached
  std::vector<double> energy;   // Σ over the batch of E, before the first step and after each step
  double lipschitz = 0;         // the step size's L at the end
};

FistaResult fista(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h0,
                  const FistaOptions& options);

// E(h) per sample (N values), the energy fista() minimizes.
torch::Tensor sparse_coding_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight,
                                   const torch::Tensor& h, double alpha);

}  // namespace vidssl
