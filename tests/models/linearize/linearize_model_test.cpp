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

// The small model with a coarse level: 4 more filters pooled over 4×4 blocks.
LinearizeOptions two_level_options() { return small_options().coarse_filters(4).coarse_space(4); }

TEST(Linearize, LossGradientsInEveryWeightMatchFiniteDifferencesAtAFixedDelta) {
  for (const auto& options : {small_options(), two_level_options()}) {
    torch::manual_seed(1);
    Linearize model(LinearizeOptions(options).curvature(0.3));
    model->to(torch::kDouble);
    const auto triplets = moving_triplets(2, 4, 8);
    const auto delta = torch::randn({2, 3}, torch::kDouble);
    auto total = [&] { return model->loss(triplets, delta).total; };
    const auto levels = options.coarse_filters() > 0 ? "two levels" : "one level";
    EXPECT_LT(parameter_gradient_error(model->encoder->weight, total), 1e-6) << levels;
    EXPECT_LT(parameter_gradient_error(model->encoder->bias, total), 1e-6) << levels;
    EXPECT_LT(parameter_gradient_error(model->decoder->weight, total), 1e-6) << levels;
    EXPECT_LT(parameter_gradient_error(model->delta_map->weight, total), 1e-6) << levels;
    // And in the frames themselves (through encoder, pooling, unpooling and decoder).
    EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return model->loss(v, delta).total; }, triplets), 1e-6) << levels;
  }
}

// With a coarse level, every term written out by hand: the encoder's maps split at F, each part
// pooled over its own blocks, W₁δ split per level (fine first), the curvature over both levels'
// phases together, and the decoder over both unpooled parts side by side.
TEST(Linearize, TwoLevelLossTermsMatchTheirFormulas) {
  torch::manual_seed(4);
  Linearize model(two_level_options().curvature(0.5));
  model->to(torch::kDouble);
  const auto triplets = moving_triplets(2, 4, 8);
  const auto delta = torch::randn({2, 3}, torch::kDouble);
  const auto out = model->loss(triplets, delta);
  PhasePool fine_pool(PhasePoolOptions().block(small_options().block()).beta(2.0));
  PhasePool coarse_pool(PhasePoolOptions().block(PhaseBlockOptions().features(4).space(4).feature_stride(4)).beta(2.0));
  PhaseUnpool fine_unpool(small_options().block()), coarse_unpool(PhaseBlockOptions().features(4).space(4).feature_stride(4));
  std::vector<PhasePooled> fine, coarse;
  for (int t = 0; t < 3; ++t) {
    const auto z = torch::relu(torch::conv2d(triplets.select(1, t), model->encoder->weight, model->encoder->bias, 1, 1));
    fine.push_back(fine_pool(z.slice(1, 0, 8)));
    coarse.push_back(coarse_pool(z.slice(1, 8, 12)));
  }
  // Fine: K = 2 blocks of 4 features; coarse: 1. W₁δ: 3·2 fine scales, then 3 coarse ones.
  const auto scales = torch::matmul(delta, model->delta_map->weight.t());
  const auto fine_phase = 2 * fine[1].phase - fine[0].phase + scales.slice(1, 0, 6).view({2, 2, 3, 1, 1}) * (fine[1].phase - fine[0].phase);
  const auto coarse_phase =
      2 * coarse[1].phase - coarse[0].phase + scales.slice(1, 6, 9).view({2, 1, 3, 1, 1}) * (coarse[1].phase - coarse[0].phase);
  const auto maps = torch::cat({fine_unpool(0.5 * (fine[0].magnitude + fine[1].magnitude), fine_phase, 8),
                                coarse_unpool(0.5 * (coarse[0].magnitude + coarse[1].magnitude), coarse_phase, 4)},
                               1);
  const auto predicted = torch::conv2d(maps, model->decoder->weight, {}, 1, 1);
  const double prediction = 0.5 * (predicted - triplets.select(1, 2)).pow(2).sum().item<double>() / (2 * 4 * 8);
  double curvature = 0;
  for (int i = 0; i < 2; ++i) {
    auto step = [&](int t) {
      return torch::cat({(fine[t + 1].phase[i] - fine[t].phase[i]).flatten(), (coarse[t + 1].phase[i] - coarse[t].phase[i]).flatten()});
    };
    const auto a = step(0), b = step(1);
    curvature += 1 - (a * b).sum().item<double>() / (a.norm().item<double>() * b.norm().item<double>());
  }
  curvature /= 2;
  EXPECT_NEAR(out.prediction.item<double>(), prediction, 1e-12);
  EXPECT_NEAR(out.curvature.item<double>(), curvature, 1e-12);
  EXPECT_NEAR(out.total.item<double>(), prediction + 0.5 * curvature, 1e-12);
  EXPECT_EQ(model->size_multiple(), 4);
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
  const auto& p0 = z0.levels[0];
  const auto& p1 = z1.levels[0];
  const auto predicted = model->decode(model->unpool({{{0.5 * (p0.magnitude + p1.magnitude), 2 * p1.phase - p0.phase}}}));
  const double prediction = 0.5 * (predicted - triplets.select(1, 2)).pow(2).sum().item<double>() / (3 * 4 * 6);
  double curvature = 0;
  for (int i = 0; i < 3; ++i) {
    const auto a = (p1.phase[i] - p0.phase[i]).flatten(), b = (z2.levels[0].phase[i] - p1.phase[i]).flatten();
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
    const auto& pa = a.levels[0];
    const auto& pb = b.levels[0];
    const auto deterministic = model->decode(model->unpool({{{0.5 * (pa.magnitude + pb.magnitude), 2 * pb.phase - pa.phase}}}));
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
  EXPECT_TRUE(torch::allclose(path.select(1, 0), model->decode(model->unpool(a)), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(path.select(1, 2), model->decode(model->unpool(c)), 1e-5, 1e-6));
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
  EXPECT_NE(message(LinearizeOptions().coarse_filters(6)).find("coarse_filters"), std::string::npos);
  EXPECT_NE(message(LinearizeOptions().coarse_filters(-4)).find("coarse_filters"), std::string::npos);
  EXPECT_NE(message(LinearizeOptions().coarse_filters(8).coarse_space(0)).find("coarse_space"), std::string::npos);
}

}  // namespace
}  // namespace vidssl
