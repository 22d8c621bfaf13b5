#include "models/layers/conv_dictionary.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/layers/decoder_conv.h"

namespace vidssl {
namespace {

std::int64_t half_kernel(const torch::Tensor& weight) {
  if (weight.dim() != 4 || weight.size(2) != weight.size(3) || weight.size(2) % 2 == 0)
    throw std::invalid_argument("dictionary weight must be C×F×k×k with k odd");
  return weight.size(2) / 2;
}

}  // namespace

torch::Tensor dictionary_apply(const torch::Tensor& h, const torch::Tensor& weight) {
  half_kernel(weight);
  return decoder_conv2d(h, weight);
}

// The adjoint of a "same" correlation is the correlation with the flipped, transposed kernel;
// written as a conv2d because conv_transpose2d is several times slower for this shape.
torch::Tensor dictionary_adjoint(const torch::Tensor& r, const torch::Tensor& weight) {
  return torch::nn::functional::conv2d(r, weight.transpose(0, 1).flip({2, 3}),
                                       torch::nn::functional::Conv2dFuncOptions().padding(half_kernel(weight)));
}

double dictionary_lipschitz(const torch::Tensor& weight, std::int64_t size, int iterations) {
  torch::NoGradGuard no_grad;
  // A fixed, low-discrepancy start (no global RNG): the same dictionary always gets the same L,
  // and it is not orthogonal to any particular Fourier mode the way a constant image would be.
  auto start = (torch::arange(weight.size(1) * size * size, weight.options()) * 0.7548776662466927).frac() - 0.5;
  auto v = start.view({1, weight.size(1), size, size}) / start.norm();
  double eigenvalue = 0;
  for (int i = 0; i < iterations; ++i) {
    auto w = dictionary_adjoint(dictionary_apply(v, weight), weight);
    eigenvalue = w.norm().item<double>();
    if (eigenvalue == 0) return 0;
    v = w / eigenvalue;
  }
  return eigenvalue;
}

torch::Tensor dictionary_gram_kernel(const torch::Tensor& weight) {
  torch::NoGradGuard no_grad;
  const std::int64_t f = weight.size(1);
  const std::int64_t k = weight.size(2);
  const std::int64_t p = k / 2;
  // A delta in each feature map at the centre of a map large enough that neither D nor Dᵀ
  // truncates anything: the response is the kernel itself, read back flipped.
  const std::int64_t n = 4 * k - 3;
  const std::int64_t m = n / 2;
  auto deltas = torch::zeros({f, f, n, n}, weight.options());
  for (std::int64_t g = 0; g < f; ++g) deltas[g][g][m][m] = 1;
  auto response = dictionary_adjoint(dictionary_apply(deltas, weight), weight);  // [g][f] response
  auto window = response.slice(2, m - 2 * p, m + 2 * p + 1).slice(3, m - 2 * p, m + 2 * p + 1);
  return window.transpose(0, 1).flip({2, 3}).contiguous();  // [f][g]
}

}  // namespace vidssl
