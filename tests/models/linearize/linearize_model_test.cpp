#include "models/linearize/linearize_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <functional>

#include "tests/models/gradient_check.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

LinearizeOptions small_options() {
  return LinearizeOptions().filters(8).kernel(3).block(PhaseBlockOptions().features(4).space(2).feature_stride(4)).pool_beta(2.0);
}

// Smooth random triplets N×3×1×H×W whose content moves one pixel right per frame.
torch::Tensor moving_triplets(std::int64_t n, std::int64_t h, std::int64_t w, torch::Dtype dtype = torch::kDouble) {
  const auto wide = torch::avg_pool2d(torch::randn({n, 1, h + 4, w + 8}, dtype), 3, 1, 1);
  std::vector<torch::Tensor> frames;
  for (int t = 0; t < 3; ++t) frames.push_back(wide.slice(2, 2, 2 + h).slice(3, 4 - t, 4 - t + w));
  return torch::stack(frames, 1).contiguous();
}

// Largest gradient error of `total` over one parameter of the model, the parameter swapped for
// the finite-difference probe (the modules' forward reads their weight member).
double parameter_gradient_error(torch::Tensor& parameter, const std::function<torch::Tensor()>& total) {
  const auto saved = parameter;
  const double error = test::max_gradient_error([&](const torch::Tensor& v) {
    parameter = v;
    return total();
  }, saved.detach());
  parameter = saved;
  return error;
}

TEST(Linearize, LossGradientsInEveryWeightMatchFiniteDifferencesAtAFixedDelta) {
  torch::manual_seed(1);
  Linearize model(small_options().curvature(0.3));
  model->to(torch::kDouble);
  const auto triplets = moving_triplets(2, 4, 6);
  const auto delta = torch::randn({2, 3}, torch::kDouble);
  auto total = [&] { return model->loss(triplets, delta).total; };
  EXPECT_LT(parameter_gradient_error(model->encoder->weight, total), 1e-6);
  EXPECT_LT(parameter_gradient_error(model->encoder->bias, total), 1e-6);
  EXPECT_LT(parameter_gradient_error(model->decoder->weight, total), 1e-6);
  EXPECT_LT(parameter_gradient_error(model->delta_map->weight, total), 1e-6);
  // And in the frames themselves (through encoder, pooling, unpooling and decoder).
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return model->loss(v, delta).total; }, triplets), 1e-6);
}

TEST(Linearize, LossTermsMatchTheirFormulas) {
  torch::manual_seed(2);
  Linearize model(small_options().curvature(0.25).delta_steps(0));
  model->to(torch::kDouble);
  const auto triplets = moving_triplets(3, 4, 6);
  const auto out = model->loss(triplets);
  const auto z0 = model->pool(model->encode(triplets.select(1, 0)));
  const auto z1 = model->pool(model->encode(triplets.select(1, 1)));
  const auto z2 = model->pool(model->encode(triplets.select(1, 2)));
  const auto predicted = model->decode(model->unpool(0.5 * (z0.magnitude + z1.magnitude), 2 * z1.phase - z0.phase));
  const double prediction = 0.5 * (predicted - triplets.select(1, 2)).pow(2).sum().item<double>() / (3 * 4 * 6);
  double curvature = 0;
  for (int i = 0; i < 3; ++i) {
    const auto a = (z1.phase[i] - z0.phase[i]).flatten(), b = (z2.phase[i] - z1.phase[i]).flatten();
    curvature += 1 - (a * b).sum().item<double>() / (a.norm().item<double>() * b.norm().item<double>());
  }
  curvature /= 3;
  EXPECT_NEAR(out.prediction.item<double>(), prediction, 1e-12);
  EXPECT_NEAR(out.curvature.item<double>(), curvature, 1e-12);
  EXPECT_NEAR(out.total.item<double>(), prediction + 0.25 * curvature, 1e-12);
  EXPECT_EQ(out.delta.abs().sum().item<double>(), 0.0) << "k = 0: no latent";
}

TEST(Linearize, WithDeltaZeroThePredictionIsTheDeterministicExtrapolationExactly) {
  torch::manual_seed(3);
  for (const auto& device : test::test_devices()) {
    Linearize model(small_options());
    model->to(device);
    const auto triplets = moving_triplets(2, 8, 8, torch::kFloat).to(device);
    const auto a = model->pool(model->encode(triplets.select(1, 0)));
    const auto b = model->pool(model->encode(triplets.select(1, 1)));
    const auto with_zero = model->predict(a, b, torch::zeros({2, 3}, triplets.options()));
    const auto deterministic = model->decode(model->unpool(0.5 * (a.magnitude + b.magnitude), 2 * b.phase - a.phase));
    EXPECT_TRUE(torch::equal(with_zero, deterministic)) << device;
    EXPECT_TRUE(torch::equal(model->predict(a, b), deterministic)) << device;
  }
}

// A model whose phase is the position of a bright dot: 4 identical features z_f = relu(x), one
// 4×4 block, a decoder that sums the features (1×1 kernels), and δ's first coordinate scaling the
// phase velocity. A dot at columns 0, 1, 3 (a skipped frame) is extrapolated to column 2; δ can
// move the prediction to 3, and each gradient step must bring it closer.
Linearize dot_tracker(std::int64_t k, double lr) {
  Linearize model(LinearizeOptions().filters(4).kernel(1).block(PhaseBlockOptions().features(4).space(4).feature_stride(4))
                      .pool_beta(30).delta_steps(k).delta_lr(lr));
  torch::NoGradGuard no_grad;
  model->encoder->weight.fill_(1);
  model->encoder->bias.zero_();
  model->decoder->weight.fill_(1);
  model->delta_map->weight.zero_();
  model->delta_map->weight.select(1, 0).fill_(1);
  return model;
}

torch::Tensor dot_triplet(const std::vector<int>& columns, int row) {
  auto t = torch::zeros({1, 3, 1, 4, 4});
  for (int i = 0; i < 3; ++i) t[0][i][0][row][columns[static_cast<std::size_t>(i)]] = 1;
  return t;
}

TEST(Linearize, DeltaStepsLowerThePredictionErrorOnAFixedBatch) {
  const auto triplets = torch::cat({dot_triplet({0, 1, 3}, 1), dot_triplet({3, 2, 0}, 2)});  // two samples, both skip
  torch::NoGradGuard no_grad;  // δ inference runs its own graph, as in evaluation
  const double at_zero = dot_tracker(0, 4.8)->loss(triplets).prediction.item<double>();
  double before = at_zero;
  for (std::int64_t k = 1; k <= 5; ++k) {
    const auto out = dot_tracker(k, 4.8)->loss(triplets);
    const double error = out.prediction.item<double>();
    EXPECT_LT(error, before) << "step " << k << " of δ did not lower the error";
    before = error;
  }
  std::printf("prediction error per pixel: delta = 0 %.5f, after 5 steps %.5f\n", at_zero, before);
  EXPECT_LT(before, 0.5 * at_zero);
}

TEST(Linearize, InterpolationAveragesMagnitudeAndPhaseAndThePathPassesThroughIt) {
  torch::manual_seed(5);
  Linearize model(small_options());
  const auto triplets = moving_triplets(1, 8, 8, torch::kFloat);
  torch::NoGradGuard no_grad;
  const auto a = model->pool(model->encode(triplets.select(1, 0)));
  const auto c = model->pool(model->encode(triplets.select(1, 2)));
  const auto middle = model->interpolate(a, c);
  const auto path = model->decode_path(a, c, {0.0, 1.0, 2.0});
  EXPECT_TRUE(torch::allclose(path.select(1, 1), middle, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(path.select(1, 0), model->decode(model->unpool(a.magnitude, a.phase)), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(path.select(1, 2), model->decode(model->unpool(c.magnitude, c.phase)), 1e-5, 1e-6));
}

TEST(Linearize, RefusesBadOptionsNamingTheKey) {
  auto message = [](const LinearizeOptions& o) {
    try {
      Linearize model(o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(LinearizeOptions().filters(10)).find("pool_features"), std::string::npos);
  EXPECT_NE(message(LinearizeOptions().pool_beta(0)).find("pool_beta"), std::string::npos);
  EXPECT_NE(message(LinearizeOptions().delta_steps(-1)).find("delta_steps"), std::string::npos);
  EXPECT_NE(message(LinearizeOptions().kernel(4)).find("kernel"), std::string::npos);
}

}  // namespace
}  // namespace vidssl
