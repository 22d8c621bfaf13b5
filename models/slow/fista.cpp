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

torch::Tensor sparse_coding_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h, double alpha) {
  torch::NoGradGuard no_grad;
  return smooth_part(x, decoder_weight, h) + alpha * l1_per_sample(h);
}

FistaResult fista(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h0, const FistaOptions& options,
                  const torch::Tensor& start) {
  torch::NoGradGuard no_grad;
  const auto& w = decoder_weight;
  auto h = h0.detach().clone();
  auto energy = sparse_coding_energy(x, w, h, options.alpha);
  std::vector<torch::Tensor> trace{energy.sum()};
  auto y = h.clone();
  double t = 1;
  // One L per sample (N×1×1×1), so that one sample's failed bound slows no other.
  auto lipschitz = (start.defined() ? start.detach().to(x.dtype()).reshape({1}) : torch::full({1}, options.initial_lipschitz, x.options()))
                       .expand({x.size(0)})
                       .reshape({-1, 1, 1, 1})
                       .clone();
  for (int step = 0; step < options.steps; ++step) {
    const auto residual = dictionary_apply(y, w) - x;
    const auto f_y = 0.5 * residual.pow(2).flatten(1).sum(1);
    const auto gradient = dictionary_adjoint(residual, w);
    auto z = shrink(y - gradient / lipschitz, options.alpha / lipschitz);
    const auto d = z - y;
    const auto bound = f_y + (gradient * d).flatten(1).sum(1) + 0.5 * lipschitz.flatten() * d.pow(2).flatten(1).sum(1);
    const auto f_z = smooth_part(x, w, z);
    // f(z) ≤ f(y) + ⟨∇f(y), z − y⟩ + L/2‖z − y‖²: where it fails, no step, and L grows.
    const auto holds = f_z <= bound + 1e-6 * bound.abs();
    lipschitz = torch::where(per_sample(holds), lipschitz, lipschitz * options.backtrack);
    z = torch::where(per_sample(holds), z, h);
    const auto energy_z = torch::where(holds, f_z + options.alpha * l1_per_sample(z), energy);
    const auto better = per_sample(energy_z <= energy);
    const auto h_next = torch::where(better, z, h);
    energy = torch::minimum(energy_z, energy);
    const double t_next = (1 + std::sqrt(1 + 4 * t * t)) / 2;
    // A sample that took no step has z = h = h_next: y = h, its momentum restarted.
    y = h_next + (t / t_next) * (z - h_next) + ((t - 1) / t_next) * (h_next - h);
    h = h_next;
    t = t_next;
    trace.push_back(energy.sum());
  }
  FistaResult result;
  result.codes = h;
  result.energy = torch::stack(trace);
  result.lipschitz = lipschitz.max();
  return result;
}

}  // namespace vidssl
