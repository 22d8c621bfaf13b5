#include "models/layers/l2_pool.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace vidssl {

L2PoolImpl::L2PoolImpl(L2PoolOptions options_) : options(options_) {
  if (options.features() < 1 || options.space() < 1)
    throw std::invalid_argument("L2Pool: features and space must be at least 1");
}

torch::Tensor L2PoolImpl::forward(const torch::Tensor& h) {
  const auto g = options.features();
  const auto s = options.space();
  if (h.dim() != 4) throw std::invalid_argument("L2Pool: expected N×F×H×W codes, got rank " + std::to_string(h.dim()));
  const auto n = h.size(0), f = h.size(1), height = h.size(2), width = h.size(3);
  if (f % g != 0 || height % s != 0 || width % s != 0)
    throw std::invalid_argument("L2Pool: " + std::to_string(f) + " features × " + std::to_string(height) + "×" +
                                std::to_string(width) + " are not divisible into groups of " + std::to_string(g) +
                                " features × " + std::to_string(s) + "×" + std::to_string(s));
  auto energy = (h * h).reshape({n, f / g, g, height / s, s, width / s, s}).sum({2, 4, 6});
  return torch::sqrt(energy + options.eps());
}

}  // namespace vidssl
