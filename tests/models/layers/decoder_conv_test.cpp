#include "models/layers/decoder_conv.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/models/gradient_check.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

namespace F = torch::nn::functional;

torch::Tensor reference(const torch::Tensor& h, const torch::Tensor& w) {
  return F::conv2d(h, w, F::Conv2dFuncOptions().padding(w.size(2) / 2));
}

TEST(DecoderConv, ValueAndGradientsEqualConv2d) {
  torch::manual_seed(41);
  for (const auto& device : test::test_devices()) {
    for (int64_t c : {1, 3}) {
      auto opts = torch::dtype(torch::kDouble).device(device);
      auto h = torch::randn({2, 8, 13, 10}, opts).requires_grad_(true);
      auto w = torch::randn({c, 8, 5, 5}, opts).requires_grad_(true);
      auto g = torch::randn({2, c, 13, 10}, opts);
      auto ours = decoder_conv2d(h, w);
      auto theirs = reference(h, w);
      EXPECT_LT((ours - theirs).abs().max().item<double>(), 1e-10) << "C = " << c << " on " << device;
      auto our_grads = torch::autograd::grad({ours}, {h, w}, {g});
      auto their_grads = torch::autograd::grad({theirs}, {h, w}, {g});
      EXPECT_LT((our_grads[0] - their_grads[0]).abs().max().item<double>(), 1e-10) << "codes, C = " << c;
      EXPECT_LT((our_grads[1] - their_grads[1]).abs().max().item<double>(), 1e-9) << "weight, C = " << c;
    }
  }
}

// Each checked sum is linear in the perturbed argument, so a central difference has no truncation
// error and a large step only divides the rounding (≈ ε·Σ|terms|/step: 1.03e-8 at the default 1e-6
// step under LibTorch 2.x's conv, which failed a 1e-8 bound).
constexpr double kLinearStep = 1e-3;

TEST(DecoderConv, GradientsMatchFiniteDifferences) {
  torch::manual_seed(42);
  auto h = torch::randn({1, 4, 7, 6}, torch::kDouble);
  auto w = torch::randn({1, 4, 3, 3}, torch::kDouble);
  auto g = torch::randn({1, 1, 7, 6}, torch::kDouble);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (decoder_conv2d(v, w) * g).sum(); }, h, kLinearStep), 1e-9);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (decoder_conv2d(h, v) * g).sum(); }, w, kLinearStep), 1e-9);
}

TEST(DecoderConv, FloatAgreesWithConv2dToRounding) {
  torch::manual_seed(43);
  auto h = torch::relu(torch::randn({2, 32, 30, 40}));
  auto w = torch::randn({1, 32, 9, 9});
  EXPECT_LT((decoder_conv2d(h, w) - reference(h, w)).abs().max().item<float>(), 1e-3);
}

TEST(EncoderConv, ValueAndGradientsEqualConv2d) {
  torch::manual_seed(44);
  for (const auto& device : test::test_devices()) {
    for (int64_t c : {1, 3}) {
      auto opts = torch::dtype(torch::kDouble).device(device);
      auto x = torch::randn({2, c, 13, 10}, opts).requires_grad_(true);
      auto w = torch::randn({8, c, 5, 5}, opts).requires_grad_(true);
      auto g = torch::randn({2, 8, 13, 10}, opts);
      auto ours = encoder_conv2d(x, w);
      auto theirs = reference(x, w);
      EXPECT_LT((ours - theirs).abs().max().item<double>(), 1e-10) << "C = " << c << " on " << device;
      auto our_grads = torch::autograd::grad({ours}, {x, w}, {g});
      auto their_grads = torch::autograd::grad({theirs}, {x, w}, {g});
      EXPECT_LT((our_grads[0] - their_grads[0]).abs().max().item<double>(), 1e-10) << "image, C = " << c;
      EXPECT_LT((our_grads[1] - their_grads[1]).abs().max().item<double>(), 1e-9) << "weight, C = " << c;
    }
  }
}

TEST(EncoderConv, GradientsMatchFiniteDifferences) {
  torch::manual_seed(45);
  auto x = torch::randn({1, 1, 7, 6}, torch::kDouble);
  auto w = torch::randn({4, 1, 3, 3}, torch::kDouble);
  auto g = torch::randn({1, 4, 7, 6}, torch::kDouble);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (encoder_conv2d(v, w) * g).sum(); }, x, kLinearStep), 1e-9);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (encoder_conv2d(x, v) * g).sum(); }, w, kLinearStep), 1e-9);
}

TEST(DecoderConv, BadShapesAreRefused) {
  EXPECT_THROW(decoder_conv2d(torch::zeros({1, 4, 5, 5}), torch::zeros({1, 3, 3, 3})), std::invalid_argument);
  EXPECT_THROW(decoder_conv2d(torch::zeros({1, 4, 5, 5}), torch::zeros({1, 4, 4, 4})), std::invalid_argument);
  EXPECT_THROW(encoder_conv2d(torch::zeros({1, 3, 5, 5}), torch::zeros({4, 1, 3, 3})), std::invalid_argument);
  EXPECT_THROW(encoder_conv2d(torch::zeros({1, 1, 5, 5}), torch::zeros({4, 1, 2, 2})), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
