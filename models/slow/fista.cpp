#include "models/slow/fista.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "models/layers/conv_dictionary.h"
#include "models/layers/l2_pool.h"
#include "models/layers/shrink.h"

namespace vidssl {
namespace {

// ½‖x − D h‖² per sample.
torch::Tensor reconstruction_part(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& h) {
  return 0.5 * (x - dictionary_apply(h, w)).pow(2).flatten(1).sum(1);
}

torch::Tensor l1_per_sample(const torch::Tensor& h) { return h.abs().flatten(1).sum(1); }

// Broadcasts one value per sample over N×F×H×W.
torch::Tensor per_sample(const torch::Tensor& v) { return v.view({-1, 1, 1, 1}); }

// The units FISTA's energies and decisions are per: each sample alone, or, with slowness, the
// pairs (i, i + N) it couples.
struct Grouping {
  bool pairs = false;
  torch::Tensor sum(const torch::Tensor& per_sample_values) const {
    return pairs ? per_sample_values.view({2, -1}).sum(0) : per_sample_values;
  }
  torch::Tensor spread(const torch::Tensor& per_group_values) const { return pairs ? per_group_values.repeat({2}) : per_group_values; }
};

Grouping grouping_of(const torch::Tensor& x, const FistaOptions& options) {
  if (options.slowness > 0 && x.size(0) % 2 != 0)
    throw std::invalid_argument("fista: slowness pairs frames i and i + N, expected an even batch, got " + std::to_string(x.size(0)));
  return Grouping{options.slowness > 0};
}

// β Σ_j ψ(P_j(h_a) − P_j(h_b)) per pair and, where asked, its gradient in h (2N×F×H×W):
// ∂P_j/∂h_k = h_k / P_j for the units k of group j.
struct SlownessTerm {
  torch::Tensor energy, gradient;
};

SlownessTerm pair_slowness(const torch::Tensor& h, const FistaOptions& options, bool with_gradient) {
  L2Pool pool(L2PoolOptions().features(options.pool_features).space(options.pool_space));
  const auto pooled = pool(h);
  const auto n = h.size(0) / 2;
  const auto change = pooled.slice(0, 0, n) - pooled.slice(0, n, 2 * n);
  const double eta = options.slowness_smoothing;
  const auto root = (change * change + eta * eta).sqrt();
  SlownessTerm out;
  out.energy = options.slowness * (root - eta).flatten(1).sum(1);
  if (with_gradient) {
    const auto slope = options.slowness * change / root;  // ψ'(d), per pooled unit of a pair
    const auto per_unit = torch::cat({slope, -slope}) / pooled;
    const auto g = options.pool_features, s = options.pool_space;
    out.gradient = per_unit.repeat_interleave(g, 1).repeat_interleave(s, 2).repeat_interleave(s, 3) * h;
  }
  return out;
}

// The smooth part of the energy, per group.
torch::Tensor smooth_part(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& h, const FistaOptions& options,
                          const Grouping& grouping) {
  auto f = grouping.sum(reconstruction_part(x, w, h));
  if (grouping.pairs) f = f + pair_slowness(h, options, false).energy;
  return f;
}

}  // namespace

torch::Tensor sparse_coding_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h, double alpha) {
  torch::NoGradGuard no_grad;
  return reconstruction_part(x, decoder_weight, h) + alpha * l1_per_sample(h);
}

torch::Tensor fista_energy(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h,
                           const FistaOptions& options) {
  torch::NoGradGuard no_grad;
  const auto grouping = grouping_of(x, options);
  return smooth_part(x, decoder_weight, h, options, grouping) + options.alpha * grouping.sum(l1_per_sample(h));
}

FistaResult fista(const torch::Tensor& x, const torch::Tensor& decoder_weight, const torch::Tensor& h0, const FistaOptions& options,
                  const torch::Tensor& start) {
  torch::NoGradGuard no_grad;
  const auto& w = decoder_weight;
  const auto grouping = grouping_of(x, options);
  auto h = h0.detach().clone();
  auto energy = fista_energy(x, w, h, options);
  std::vector<torch::Tensor> trace{energy.sum()};
  auto y = h.clone();
  double t = 1;
  // One L per group (a sample, or a pair), so that one group's failed bound slows no other.
  auto lipschitz = (start.defined() ? start.detach().to(x.dtype()).reshape({1}) : torch::full({1}, options.initial_lipschitz, x.options()))
                       .expand({energy.size(0)})
                       .clone();
  for (int step = 0; step < options.steps; ++step) {
    const auto residual = dictionary_apply(y, w) - x;
    auto f_y = grouping.sum(0.5 * residual.pow(2).flatten(1).sum(1));
    auto gradient = dictionary_adjoint(residual, w);
    if (grouping.pairs) {
      const auto slow = pair_slowness(y, options, true);
      f_y = f_y + slow.energy;
      gradient = gradient + slow.gradient;
    }
    const auto step_l = per_sample(grouping.spread(lipschitz));
    auto z = shrink(y - gradient / step_l, options.alpha / step_l);
    const auto d = z - y;
    const auto bound = f_y + grouping.sum((gradient * d).flatten(1).sum(1)) + 0.5 * lipschitz * grouping.sum(d.pow(2).flatten(1).sum(1));
    const auto f_z = smooth_part(x, w, z, options, grouping);
    // f(z) ≤ f(y) + ⟨∇f(y), z − y⟩ + L/2‖z − y‖²: where it fails, no step, and L grows.
    const auto holds = f_z <= bound + 1e-6 * bound.abs();
    const auto holds_per_sample = per_sample(grouping.spread(holds));
    lipschitz = torch::where(holds, lipschitz, lipschitz * options.backtrack);
    z = torch::where(holds_per_sample, z, h);
    const auto energy_z = torch::where(holds, f_z + options.alpha * grouping.sum(l1_per_sample(z)), energy);
    const auto better = per_sample(grouping.spread(energy_z <= energy));
    const auto h_next = torch::where(better, z, h);
    energy = torch::minimum(energy_z, energy);
    const double t_next = (1 + std::sqrt(1 + 4 * t * t)) / 2;
    // A group that took no step has z = h = h_next: y = h, its momentum restarted.
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
