#pragma once

#include <algorithm>
#include <cmath>
#include <functional>

#include <torch/torch.h>

namespace vidssl::test {

// Largest |autograd − central difference| over every element of `input` (double precision),
// for a scalar function f. Used to check each formula's gradient independently of autograd.
inline double max_gradient_error(const std::function<torch::Tensor(const torch::Tensor&)>& f, torch::Tensor input,
                                 double step = 1e-6) {
  input = input.detach().clone().to(torch::kDouble).requires_grad_(true);
  auto value = f(input);
  auto analytic = torch::autograd::grad({value}, {input})[0].detach();
  auto flat = input.detach().clone().flatten();
  double worst = 0;
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    const double original = flat[i].item<double>();
    flat[i] = original + step;
    const double up = f(flat.view(input.sizes())).item<double>();
    flat[i] = original - step;
    const double down = f(flat.view(input.sizes())).item<double>();
    flat[i] = original;
    const double numeric = (up - down) / (2 * step);
    worst = std::max(worst, std::abs(numeric - analytic.flatten()[i].item<double>()));
  }
  return worst;
}

// The same check for a parameter of a module (double precision): f() evaluates the scalar loss
// with the parameter's current value; the parameter is perturbed in place, one element at a time.
inline double max_parameter_gradient_error(const std::function<torch::Tensor()>& f, torch::Tensor parameter,
                                           double step = 1e-6, std::int64_t max_elements = 200) {
  auto analytic = torch::autograd::grad({f()}, {parameter})[0].detach().flatten();
  torch::NoGradGuard no_grad;
  auto flat = parameter.view(-1);
  double worst = 0;
  const std::int64_t stride = std::max<std::int64_t>(1, flat.numel() / max_elements);
  for (std::int64_t i = 0; i < flat.numel(); i += stride) {
    const double original = flat[i].item<double>();
    flat[i] = original + step;
    const double up = f().item<double>();
    flat[i] = original - step;
    const double down = f().item<double>();
    flat[i] = original;
    worst = std::max(worst, std::abs((up - down) / (2 * step) - analytic[i].item<double>()));
  }
  return worst;
}

}  // namespace vidssl::test
