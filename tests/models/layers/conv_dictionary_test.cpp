#include "models/layers/conv_dictionary.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_data.h"

namespace vidssl {
namespace {

TEST(ConvDictionary, AdjointSatisfiesTheInnerProductIdentity) {
  torch::manual_seed(5);
  for (const auto& device : test::test_devices()) {
    auto opts = torch::dtype(torch::kDouble).device(device);
    auto w = torch::randn({2, 6, 5, 5}, opts);
    auto h = torch::randn({3, 6, 11, 9}, opts);
    auto r = torch::randn({3, 2, 11, 9}, opts);
    const double lhs = (dictionary_apply(h, w) * r).sum().item<double>();
    const double rhs = (h * dictionary_adjoint(r, w)).sum().item<double>();
    EXPECT_NEAR(lhs, rhs, 1e-9 * std::abs(lhs)) << device;
  }
}

// The explicit matrix of DᵀD on a small domain, and its largest eigenvalue by a dense solver.
TEST(ConvDictionary, LipschitzEqualsTheLargestEigenvalueOfTheExplicitGram) {
  torch::manual_seed(6);
  auto w = torch::randn({1, 2, 3, 3}, torch::kDouble);
  const int64_t size = 6, dim = 2 * size * size;
  auto basis = torch::eye(dim, torch::kDouble).view({dim, 2, size, size});
  auto columns = dictionary_adjoint(dictionary_apply(basis, w), w).view({dim, dim});
  const double largest = std::get<0>(torch::linalg_eigh(columns)).max().item<double>();
  // This dictionary's top two eigenvalues are 0.15 % apart, so power iteration needs thousands of
  // iterations here; it approaches λ_max from below.
  EXPECT_NEAR(dictionary_lipschitz(w, size, 5000), largest, 1e-6 * largest);
  EXPECT_LE(dictionary_lipschitz(w, size, 50), largest * (1 + 1e-9));
}

TEST(ConvDictionary, GramKernelEqualsTheCompositionAwayFromTheBorders) {
  torch::manual_seed(7);
  const int64_t k = 5;
  auto w = torch::randn({1, 3, k, k}, torch::kDouble);
  auto h = torch::randn({2, 3, 24, 20}, torch::kDouble);
  auto composed = dictionary_adjoint(dictionary_apply(h, w), w);
  auto gram = torch::nn::functional::conv2d(h, dictionary_gram_kernel(w),
                                            torch::nn::functional::Conv2dFuncOptions().padding(k - 1));
  const int64_t margin = k - 1;  // what the composition truncates at the borders
  auto inner = [&](const torch::Tensor& t) {
    return t.slice(2, margin, t.size(2) - margin).slice(3, margin, t.size(3) - margin);
  };
  EXPECT_LT((inner(composed) - inner(gram)).abs().max().item<double>(), 1e-10);
  EXPECT_GT((composed - gram).abs().max().item<double>(), 1e-3) << "the border difference is real";
}

}  // namespace
}  // namespace vidssl
