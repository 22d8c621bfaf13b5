#include "models/layers/lista_encoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/layers/conv_dictionary.h"
#include "models/layers/shrink.h"
#include "tests/models/gradient_check.h"

namespace vidssl {
namespace {

// Plain ISTA from h = 0, written with D and Dᵀ: h ← shrink_{α/L}(h − Dᵀ(D h − x)/L).
torch::Tensor ista(const torch::Tensor& x, const torch::Tensor& w, double alpha, double lipschitz, int iterations) {
  auto h = torch::zeros({x.size(0), w.size(1), x.size(2), x.size(3)}, x.options());
  for (int i = 0; i < iterations; ++i) {
    auto gradient = dictionary_adjoint(dictionary_apply(h, w) - x, w);
    h = shrink(h - gradient / lipschitz, torch::scalar_tensor(alpha / lipschitz, x.options()));
  }
  return h;
}

TEST(ListaEncoder, InitialisedFromADecoderItEqualsIstaAwayFromTheBorders) {
  torch::manual_seed(8);
  const int64_t k = 5, steps = 3;
  ListaEncoder encoder(ListaEncoderOptions(1, 4).kernel(k).steps(steps));
  encoder->to(torch::kDouble);
  auto w = torch::randn({1, 4, k, k}, torch::kDouble);
  w /= w.pow(2).sum({0, 2, 3}, true).sqrt();
  const double alpha = 0.2;
  encoder->init_from_decoder(w, alpha);
  auto x = torch::randn({2, 1, 64, 64}, torch::kDouble);
  torch::NoGradGuard no_grad;
  auto lista = encoder(x);
  // h₀ plus `steps` refinements is steps + 1 ISTA iterations from zero.
  auto reference = ista(x, w, alpha, dictionary_lipschitz(w), steps + 1);
  // Each iteration lets the border difference travel k−1 pixels further in.
  const int64_t margin = (steps + 1) * (k - 1);
  auto inner = [&](const torch::Tensor& t) { return t.slice(2, margin, 64 - margin).slice(3, margin, 64 - margin); };
  EXPECT_GT(inner(reference).abs().sum().item<double>(), 1.0) << "the codes are not trivially zero";
  EXPECT_LT((inner(lista) - inner(reference)).abs().max().item<double>(), 1e-5);
}

TEST(ListaEncoder, FactoredAndInitialisedFromADecoderItEqualsIstaEverywhere) {
  torch::manual_seed(10);
  const int64_t k = 5, steps = 3;
  ListaEncoder encoder(ListaEncoderOptions(1, 4).kernel(k).steps(steps).lateral(ListaLateral::factored));
  encoder->to(torch::kDouble);
  auto w = torch::randn({1, 4, k, k}, torch::kDouble);
  w /= w.pow(2).sum({0, 2, 3}, true).sqrt();
  const double alpha = 0.2;
  encoder->init_from_decoder(w, alpha);
  auto x = torch::randn({2, 1, 24, 24}, torch::kDouble);
  torch::NoGradGuard no_grad;
  auto reference = ista(x, w, alpha, dictionary_lipschitz(w), steps + 1);
  EXPECT_GT(reference.abs().sum().item<double>(), 1.0) << "the codes are not trivially zero";
  // S ∗ h = h − W_e ∗ (A ∗ h) passes through the image domain, as ISTA does: the borders agree too.
  EXPECT_LT((encoder(x) - reference).abs().max().item<double>(), 1e-10);
}

TEST(ListaEncoder, FactoredGradientsReachEveryParameter) {
  torch::manual_seed(11);
  ListaEncoder encoder(ListaEncoderOptions(1, 4).kernel(3).steps(2).initial_threshold(0.05).lateral(ListaLateral::factored));
  encoder->to(torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    encoder->reconstruct.normal_(0, 0.3);
  }
  auto x = torch::randn({1, 1, 8, 8}, torch::kDouble);
  auto weights = torch::randn({1, 4, 8, 8}, torch::kDouble);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (encoder(v) * weights).sum(); }, x), 1e-6);
  auto loss = [&] { return (encoder(x) * weights).sum(); };
  EXPECT_LT(test::max_parameter_gradient_error(loss, encoder->threshold), 1e-6);
  EXPECT_LT(test::max_parameter_gradient_error(loss, encoder->reconstruct), 1e-6);
  EXPECT_LT(test::max_parameter_gradient_error(loss, encoder->filter->weight), 1e-6);
}

TEST(ListaEncoder, GradientsReachEveryParameter) {
  torch::manual_seed(9);
  ListaEncoder encoder(ListaEncoderOptions(1, 4).kernel(3).steps(2).initial_threshold(0.05));
  encoder->to(torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    encoder->lateral->weight.normal_(0, 0.05);
  }
  auto x = torch::randn({1, 1, 8, 8}, torch::kDouble);
  auto weights = torch::randn({1, 4, 8, 8}, torch::kDouble);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (encoder(v) * weights).sum(); }, x), 1e-6);
  auto loss = [&] { return (encoder(x) * weights).sum(); };
  EXPECT_LT(test::max_parameter_gradient_error(loss, encoder->threshold), 1e-6);
  EXPECT_LT(test::max_parameter_gradient_error(loss, encoder->lateral->weight), 1e-6);
  EXPECT_LT(test::max_parameter_gradient_error(loss, encoder->filter->weight), 1e-6);
}

}  // namespace
}  // namespace vidssl
