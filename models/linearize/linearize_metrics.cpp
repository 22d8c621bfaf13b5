#include "models/linearize/linearize_metrics.h"

#include <torch/torch.h>

namespace vidssl {

torch::Tensor mean_psnr(const torch::Tensor& estimate, const torch::Tensor& target) {
  torch::NoGradGuard no_grad;
  const auto e = estimate.detach().to(torch::kFloat).flatten(1), t = target.detach().to(torch::kFloat).flatten(1);
  const auto mse = (e - t).pow(2).mean(1).clamp_min(1e-20);
  const auto peak = std::get<0>(t.max(1)) - std::get<0>(t.min(1));
  return (10 * torch::log10(peak.pow(2).clamp_min(1e-20) / mse)).mean();
}

}  // namespace vidssl
