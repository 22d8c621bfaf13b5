#include "models/slow/fista.h"

#include <torch/torch.h>

#include <cmath>

#include "models/layers/conv_dictionary.h"
#include "models/layers/shrink.h"

namespace vidssl {
namespace {

// ½‖x − D h‖² per sample.
torch::Tensor smooth_part(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& h) {
  return 0.5 * (x - dictionary_apply(h, w)).pow(2).flatten(1).sum(1);
}

torch::Tensor l1_per_sample(const torch::Tensor& h) { return h.abs().flatten(1).sum(1); }

// Broadcasts one value per sample over N×F×H×W.
torch::Tensor per_sample(const torch::Tensor& v) { return v.view({-1, 1, 1, 1}); }

}  // namespace

torch::Tensor sparse_coding_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight,
                                   const torch::Tensor& h, double alpha) {
  torch::NoGradGuard no_grad;
  return smooth_part(x, decoder_weight, h) + alpha * l1_per_sample(h);
}

FistaResult fista(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h0,
                  const FistaOptions& options) {
  torch::NoGradGuard no_grad;
  const auto& w = decoder_weight;
  FistaResult result;
  auto h = h0.detach().clone();
  auto energy = sparse_coding_energy(x, w, h, options.alpha);
  result.energy.push_back(energy.sum().item<double>());
  auto y = h.clone();
  double t = 1;
  double lipschitz = options.initial_lipschitz;
  for (int step = 0; step < options.steps; ++step) {
    const auto residual = dictionary_apply(y, w) - x;
    const auto f_y = 0.5 * residual.pow(2).flatten(1).sum(1);
    const auto gradient = dictionary_adjoint(residual, w);
    torch::Tensor z;
    // Backtracking: grow L until f(z) ≤ f(y) + ⟨∇f(y), z − y⟩ + L/2‖z − y‖² holds for the batch.
    for (int tries = 0; tries < 100; ++tries) {
      z = shrink(y - gradient / lipschitz, torch::scalar_tensor(options.alpha / lipschitz, x.options()));
      const auto d = z - y;
      const auto bound = f_y + (gradient * d).flatten(1).sum(1) + 0.5 * lipschitz * d.pow(2).flatten(1).sum(1);
      if ((smooth_part(x, w, z) <= bound + 1e-6 * bound.abs()).all().item<bool>()) break;
      lipschitz *= options.backtrack;
    }
    const auto energy_z = smooth_part(x, w, z) + options.alpha * l1_per_sample(z);
    const auto better = per_sample(energy_z <= energy);
    const auto h_next = torch::where(better, z, h);
    energy = torch::minimum(energy_z, energy);
    const double t_next = (1 + std::sqrt(1 + 4 * t * t)) / 2;
    y = h_next + (t / t_next) * (z - h_next) + ((t - 1) / t_next) * (h_next - h);
    h = h_next;
    t = t_next;
    result.energy.push_back(energy.sum().item<double>());
  }
  result.codes = h;
  result.lipschitz = lipschitz;
  return result;
}

}  // namespace vidssl
