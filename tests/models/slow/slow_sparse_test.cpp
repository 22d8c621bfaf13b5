#include "models/slow/slow_sparse.h"
#include "models/slow/fista.h"
#include "models/slow/slow_sparse_learner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "tests/models/gradient_check.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

// With the activity floor's share at 1, every feature less active than the average is below it.
SlowSparseOptions tiny(SlowEncoder encoder) {
  return SlowSparseOptions().channels(1).filters(4).kernel(3).encoder(encoder).lista_steps(2).alpha(0.3).beta(1.5).activity_floor(0.7).activity_floor_share(1.0);
}

// The loss by its definition, written out with plain tensor ops and loops over groups, from the
// model's encoder and decoder outputs: ½‖x − x̂‖² + α‖h‖₁ over N·H·W, plus the slowness term: with
// l1, β Σ_j |P_j(h_t) − P_j(h_{t+1})| over N·H·W; normalized, β times the mean over pairs and
// pooled maps of Σ_{y,x} |P_t − P_{t+1}| / (Σ_{y,x} (P_t + P_{t+1}) + 10⁻³); plus the activity floor
// μ · mean_f max(0, s − a_f / ā), a_f the mean |h_f| over all 2N frames and positions.
double loss_by_definition(SlowSparse& model, const torch::Tensor& pairs) {
  const auto n = pairs.size(0), h = pairs.size(3), w = pairs.size(4);
  const auto filters = model->options.filters(), maps = filters / 4;
  double energy = 0, l1_change = 0, ratios = 0;
  std::vector<double> activity(static_cast<std::size_t>(filters), 0.0);
  for (int64_t i = 0; i < n; ++i) {
    std::vector<torch::Tensor> codes;
    for (int t = 0; t < 2; ++t) {
      auto x = pairs[i][t].unsqueeze(0);
      auto code = model->encode(x);
      energy += 0.5 * (x - model->decode(code)).pow(2).sum().item<double>();
      energy += model->options.alpha() * code.abs().sum().item<double>();
      for (int64_t f = 0; f < filters; ++f)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) activity[static_cast<std::size_t>(f)] += std::abs(code[0][f][y][x].item<double>()) / static_cast<double>(2 * n * h * w);
      codes.push_back(code[0]);
    }
    for (int64_t j = 0; j < maps; ++j) {
      double change = 0, size = 0;
      for (int64_t y = 0; y < h / 2; ++y)
        for (int64_t x = 0; x < w / 2; ++x) {
          double p[2];
          for (int t = 0; t < 2; ++t) {
            auto block = codes[t].slice(0, 4 * j, 4 * j + 4).slice(1, 2 * y, 2 * y + 2).slice(2, 2 * x, 2 * x + 2);
            p[t] = std::sqrt(block.pow(2).sum().item<double>() + 1e-6);
          }
          change += std::abs(p[0] - p[1]);
          size += p[0] + p[1];
        }
      l1_change += change;
      ratios += change / (size + 1e-3);
    }
  }
  const double positions = static_cast<double>(n * h * w);
  const double slowness = model->options.slowness() == SlownessTerm::l1 ? l1_change / positions : ratios / static_cast<double>(n * maps);
  double mean_activity = 0, below = 0;
  for (const double a : activity) mean_activity += a / static_cast<double>(filters);
  for (const double a : activity) below += std::max(0.0, model->options.activity_floor_share() - a / mean_activity) / static_cast<double>(filters);
  return energy / positions + model->options.beta() * slowness + model->options.activity_floor() * below;
}

// Every encoder with each slowness term.
class SlowSparseEncoders : public ::testing::TestWithParam<std::tuple<SlowEncoder, SlownessTerm>> {
 protected:
  SlowSparseOptions options() const { return tiny(std::get<0>(GetParam())).slowness(std::get<1>(GetParam())); }
};

TEST_P(SlowSparseEncoders, LossEqualsItsDefinition) {
  torch::manual_seed(13);
  SlowSparse model(options());
  model->to(torch::kDouble);
  auto pairs = torch::randn({2, 2, 1, 6, 8}, torch::kDouble);
  torch::NoGradGuard no_grad;
  auto loss = model->loss(pairs);
  EXPECT_NEAR(loss.total.item<double>(), loss_by_definition(model, pairs), 1e-9);
  EXPECT_GT(loss.floor.item<double>(), 0) << "a feature is below the floor, so the test covers it";
}

TEST_P(SlowSparseEncoders, GradientsOfTheFullLossMatchFiniteDifferences) {
  torch::manual_seed(14);
  SlowSparse model(options());
  model->to(torch::kDouble);
  auto pairs = torch::randn({2, 2, 1, 6, 6}, torch::kDouble);
  auto total = [&] { return model->loss(pairs).total; };
  for (auto& named : model->named_parameters()) {
    EXPECT_LT(test::max_parameter_gradient_error(total, named.value()), 1e-5) << named.key();
  }
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& x) { return model->loss(x).total; }, pairs), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(AllEncoders, SlowSparseEncoders,
                         ::testing::Combine(::testing::Values(SlowEncoder::relu, SlowEncoder::psd, SlowEncoder::lista),
                                            ::testing::Values(SlownessTerm::l1, SlownessTerm::normalized)),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_" + to_string(std::get<1>(info.param));
                         });

// Why the normalized term exists: scaling every code by c (the ReLU encoder's filter and bias times
// c) scales the l1 term by c, so shrinking features lowers it, while the normalized term stays put.
TEST(SlowSparse, ShrinkingTheCodesLowersTheL1SlownessButNotTheNormalizedOne) {
  torch::manual_seed(17);
  auto pairs = torch::randn({3, 2, 1, 8, 8}, torch::kDouble);
  for (const auto term : {SlownessTerm::l1, SlownessTerm::normalized}) {
    SCOPED_TRACE(to_string(term));
    SlowSparse model(tiny(SlowEncoder::relu).slowness(term));
    model->to(torch::kDouble);
    torch::NoGradGuard no_grad;
    const double before = model->loss(pairs).slowness.item<double>();
    model->encoder_filter->weight.mul_(0.25);
    model->encoder_filter->bias.mul_(0.25);
    const double after = model->loss(pairs).slowness.item<double>();
    ASSERT_GT(before, 0);
    if (term == SlownessTerm::l1) {
      EXPECT_NEAR(after / before, 0.25, 0.01);
    } else {
      EXPECT_NEAR(after / before, 1.0, 0.01);
    }
  }
}

TEST(SlowSparse, DecoderFiltersHaveUnitNormAfterEveryUpdate) {
  torch::manual_seed(15);
  for (const auto& device : test::test_devices()) {
    SlowSparse model(SlowSparseOptions().filters(8).kernel(5));
    model->to(device);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.05));
    auto pairs = torch::randn({2, 2, 1, 16, 16}, torch::TensorOptions().device(device));
    for (int step = 0; step < 5; ++step) {
      optimizer.zero_grad();
      model->loss(pairs).total.backward();
      optimizer.step();
      auto before = model->decoder->weight.pow(2).sum({0, 2, 3}).sqrt();
      EXPECT_GT((before - 1).abs().max().item<float>(), 1e-4) << "the step moved the norms";
      model->normalize_decoder();
      auto norms = model->decoder->weight.pow(2).sum({0, 2, 3}).sqrt();
      EXPECT_LT((norms - 1).abs().max().item<float>(), 1e-5) << "step " << step << " on " << device;
    }
  }
}

// A batch with a NaN in it: the learner makes no update (decided on the device, without reading
// the loss) and the step reads as skipped; the next batch trains as before.
TEST(SlowSparse, ANonFiniteBatchMakesNoUpdateAndReadsAsSkipped) {
  torch::manual_seed(16);
  for (const auto& device : test::test_devices()) {
    SlowSparseLearner learner(SlowSparseOptions().filters(8).kernel(5), OptimizerOptions{}, ClipLearnerOptions{}, device);
    auto pairs = torch::randn({2, 2, 1, 16, 16}, torch::TensorOptions().device(device));
    learner.train(pairs);
    const auto weights = learner.model()->decoder->weight.detach().clone();
    auto broken = pairs.clone();
    broken[1][0][0][3][3] = std::nan("");
    learner.train(broken);
    EXPECT_TRUE(torch::equal(weights, learner.model()->decoder->weight.detach())) << device;
    learner.train(pairs);
    const auto steps = learner.read_steps();
    ASSERT_EQ(steps.size(), 3u);
    EXPECT_FALSE(steps[0].skipped);
    EXPECT_TRUE(steps[1].skipped);
    EXPECT_FALSE(steps[2].skipped);
    EXPECT_EQ(steps[2].step, 2);
    EXPECT_EQ(learner.steps(), 2);
    EXPECT_FALSE(torch::equal(weights, learner.model()->decoder->weight.detach())) << "the next batch trained";
    EXPECT_EQ(learner.weights_problem(), "");
  }
}

TEST(SlowSparse, BetaZeroHasNoSlownessTerm) {
  SlowSparse model(SlowSparseOptions().filters(8).kernel(5).beta(0));
  auto loss = model->loss(torch::randn({1, 2, 1, 8, 8}));
  EXPECT_EQ(loss.slowness.item<float>(), 0.0f);
  EXPECT_NEAR(loss.total.item<float>(), (loss.reconstruction + loss.sparsity).item<float>(), 1e-6);
}

TEST(SlowSparse, PsdTrainingSendsReconstructionToTheDecoderAndPredictionToTheEncoder) {
  torch::manual_seed(16);
  SlowSparse model(SlowSparseOptions().filters(8).kernel(5).training(SlowTraining::psd).fista_steps(20).beta(0));
  auto pairs = torch::randn({1, 2, 1, 12, 12});
  auto loss = model->loss(pairs);
  // The decoder's gradient is that of the reconstruction alone, the encoder's that of the prediction.
  auto decoder_grad = torch::autograd::grad({loss.total}, {model->decoder->weight}, {}, true)[0];
  auto decoder_grad_recon = torch::autograd::grad({loss.reconstruction}, {model->decoder->weight}, {}, true)[0];
  EXPECT_LT((decoder_grad - decoder_grad_recon).abs().max().item<float>(), 1e-6);
  auto encoder_grad = torch::autograd::grad({loss.total}, {model->encoder_filter->weight}, {}, true)[0];
  auto encoder_grad_pred = torch::autograd::grad({loss.prediction}, {model->encoder_filter->weight}, {}, true)[0];
  EXPECT_LT((encoder_grad - encoder_grad_pred).abs().max().item<float>(), 1e-6);
  EXPECT_GT(encoder_grad.abs().sum().item<float>(), 0);
  // h* has lower sparse-coding energy than the encoder's guess it started from.
  auto x = loss.frames;
  auto guess = model->encode(x).detach();
  auto energy = [&](const torch::Tensor& h) {
    return (0.5 * (x - model->decode(h)).pow(2).sum() + 0.5 * h.abs().sum()).item<float>();
  };
  EXPECT_LT(energy(loss.codes), energy(guess));
}

// The paper's energy: the slowness is in FISTA's inference of the pair's codes, so h* changes less
// between the frames of a pair than when each frame is coded alone; the encoder learns only to
// predict it (no slowness gradient of its own), and the slowness of h* is reported.
TEST(SlowSparse, PsdTrainingWithSlownessInTheInferenceFindsSlowCodesAndTrainsTheEncoderToPredictThem) {
  const auto options = SlowSparseOptions().filters(8).kernel(5).training(SlowTraining::psd).fista_steps(40).beta(1).slowness(SlownessTerm::l1);
  torch::manual_seed(17);
  const auto first = torch::randn({2, 1, 1, 12, 12});
  const auto pairs = torch::cat({first, torch::roll(first, 1, 4) + 0.2 * torch::randn({2, 1, 1, 12, 12})}, 1);
  torch::manual_seed(18);
  SlowSparse alone(options);
  torch::manual_seed(18);
  SlowSparse together(SlowSparseOptions(options).psd_slowness(PsdSlowness::inference));
  const auto change = [](SlowSparse& model, const torch::Tensor& codes) {
    const auto p = model->pool(codes).detach();
    return (p.slice(0, 0, 2) - p.slice(0, 2, 4)).abs().sum().item<double>();
  };
  const auto loss_alone = alone->loss(pairs), loss = together->loss(pairs);
  EXPECT_LT(change(together, loss.codes), 0.5 * change(alone, loss_alone.codes));
  const double positions = 2 * 12 * 12;
  EXPECT_NEAR(loss.slowness.item<double>(), 1.0 * change(together, loss.codes) / positions, 1e-6);
  EXPECT_NEAR(loss.total.item<double>(), (loss.reconstruction + loss.prediction + loss.floor).item<double>(), 1e-6);
  const auto encoder_grad = torch::autograd::grad({loss.total}, {together->encoder_filter->weight}, {}, true)[0];
  const auto encoder_grad_pred = torch::autograd::grad({loss.prediction}, {together->encoder_filter->weight}, {}, true)[0];
  EXPECT_LT((encoder_grad - encoder_grad_pred).abs().max().item<float>(), 1e-6);
}

// infer(): FISTA from the encoder's guess, each frame alone, whatever the training.
TEST(SlowSparse, InferGivesFistasCodesOfEachFrameFromTheEncodersGuess) {
  const auto options = SlowSparseOptions().filters(8).kernel(5).fista_steps(30).alpha(0.4);
  torch::manual_seed(19);
  const auto x = torch::randn({3, 1, 12, 12});
  torch::manual_seed(20);
  SlowSparse model(options);
  const auto codes = model->infer(x);
  FistaOptions fista_options;
  fista_options.alpha = 0.4;
  fista_options.steps = 30;
  const auto expected = fista(x, model->decoder->weight.detach(), model->encode(x).detach(), fista_options);
  EXPECT_TRUE(torch::allclose(codes, expected.codes, 1e-5, 1e-6));
  EXPECT_FALSE(codes.requires_grad());
  const auto energy = sparse_coding_energy(x, model->decoder->weight.detach(), codes, 0.4);
  const auto guess_energy = sparse_coding_energy(x, model->decoder->weight.detach(), model->encode(x).detach(), 0.4);
  for (int i = 0; i < 3; ++i) EXPECT_LT(energy[i].item<double>(), guess_energy[i].item<double>()) << "frame " << i;
}

TEST(SlowSparse, SlownessInTheInferenceNeedsPsdTrainingAndThePapersTerm) {
  const auto inference = SlowSparseOptions().filters(8).kernel(5).psd_slowness(PsdSlowness::inference);
  const auto message = [](const SlowSparseOptions& o) {
    try {
      check_options(o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(SlowSparseOptions(inference)), "psd_slowness: expected encoder where training is direct (there is no inference), got inference");
  EXPECT_EQ(message(SlowSparseOptions(inference).training(SlowTraining::psd).slowness(SlownessTerm::normalized)),
            "psd_slowness: expected encoder with slowness: normalized (the inference's energy takes the paper's l1 term), got inference");
  EXPECT_EQ(message(SlowSparseOptions(inference).training(SlowTraining::psd).inference_smoothing(0)), "inference_smoothing: expected a number > 0, got 0.000000");
  EXPECT_EQ(message(SlowSparseOptions(inference).training(SlowTraining::psd)), "");
}

// The metrics a step reports, against a direct loop over the values.
TEST(SlowSparse, ActiveFractionAndResidualEnergyMatchADirectCount) {
  torch::manual_seed(8);
  const auto codes = torch::randn({2, 3, 5, 7}) * 2e-3;  // straddles the 1e-3 threshold on both signs
  const auto flat = codes.flatten();
  std::int64_t active = 0;
  for (std::int64_t i = 0; i < flat.numel(); ++i) active += std::abs(flat[i].item<float>()) > 1e-3f ? 1 : 0;
  EXPECT_GT(active, 0);
  EXPECT_LT(active, flat.numel());
  EXPECT_FLOAT_EQ(active_fraction(codes).item<float>(), static_cast<float>(active) / static_cast<float>(flat.numel()));
  const auto x = torch::randn({2, 1, 4, 4}, torch::kDouble), reconstruction = torch::randn({2, 1, 4, 4}, torch::kDouble);
  double residual = 0, energy = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double v = x.flatten()[i].item<double>(), r = reconstruction.flatten()[i].item<double>();
    residual += (v - r) * (v - r), energy += v * v;
  }
  EXPECT_NEAR(residual_energy(x, reconstruction).item<double>(), residual / energy, 1e-12);
}

// Each frame's maps less their mean over their standard deviation, counted element by element.
torch::Tensor standardized_by_loops(const torch::Tensor& maps) {
  auto out = torch::empty_like(maps);
  for (int64_t i = 0; i < maps.size(0); ++i) {
    const auto values = maps[i].flatten();
    const double count = static_cast<double>(values.numel());
    double mean = 0, square = 0;
    for (int64_t k = 0; k < values.numel(); ++k) mean += values[k].item<double>() / count;
    for (int64_t k = 0; k < values.numel(); ++k) square += std::pow(values[k].item<double>() - mean, 2) / count;
    out[i] = (maps[i] - mean) / std::max(std::sqrt(square), 1e-3);
  }
  return out;
}

// The two layers' parameters copied into two one-layer models: the first layer's, and one built
// from second_layer_options.
struct SeparateLayers {
  SlowSparse first, second;
};
SeparateLayers separate(SlowSparse& stacked) {
  SlowSparseOptions first_options = stacked->options;
  first_options.second_layer_filters(0);
  SeparateLayers out{SlowSparse(first_options), SlowSparse(second_layer_options(stacked->options))};
  out.first->to(torch::kDouble);
  out.second->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  const std::string upper = "second_layer.";
  for (auto& named : stacked->named_parameters()) {
    const bool second = named.key().rfind(upper, 0) == 0;
    auto& target = second ? out.second : out.first;
    target->named_parameters()[second ? named.key().substr(upper.size()) : named.key()].copy_(named.value());
  }
  return out;
}

TEST(SlowSparse, StandardizedMapsHaveEachFramesMeanZeroAndDeviationOne) {
  torch::manual_seed(21);
  const auto maps = torch::rand({3, 2, 4, 5}, torch::kDouble) * 0.1 + 0.02;
  const auto out = standardize_maps(maps);
  EXPECT_TRUE(torch::allclose(out, standardized_by_loops(maps), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(standardize_maps(maps.slice(0, 1, 2)), out.slice(0, 1, 2), 1e-12, 1e-12)) << "a frame's own statistics";
  EXPECT_TRUE(torch::equal(standardize_maps(torch::zeros({1, 2, 3, 3})), torch::zeros({1, 2, 3, 3}))) << "a flat frame stays finite";
}

TEST(SlowSparse, TheSecondLayersLossIsAOneLayerModelsOnTheFirstLayersStandardizedPooledMaps) {
  torch::manual_seed(22);
  SlowSparse stacked(tiny(SlowEncoder::relu).second_layer_filters(4).second_layer_kernel(3));
  stacked->to(torch::kDouble);
  EXPECT_EQ(stacked->size_multiple(), 4);
  auto layers = separate(stacked);
  auto pairs = torch::randn({2, 2, 1, 8, 12}, torch::kDouble);
  torch::NoGradGuard no_grad;
  const auto loss = stacked->loss(pairs);
  // The second layer's input: each frame's pooled maps from the first layer, standardized, as pairs.
  auto maps = torch::empty({2, 2, 1, 4, 6}, torch::kDouble);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t t = 0; t < 2; ++t) maps[i][t] = standardized_by_loops(layers.first->pool(layers.first->encode(pairs[i][t].unsqueeze(0))))[0];
  const double first = loss_by_definition(layers.first, pairs), second = loss_by_definition(layers.second, maps);
  ASSERT_NE(loss.second_layer, nullptr);
  EXPECT_NEAR(loss.second_layer->total.item<double>(), second, 1e-9);
  EXPECT_NEAR(loss.total.item<double>(), first + second, 1e-9);
  EXPECT_GT(loss.second_layer->reconstruction.item<double>(), 0);
  // The features are the second layer's pooled codes: 1 map at a quarter of the frame's side.
  EXPECT_EQ(loss.features.sizes(), (std::vector<int64_t>{4, 1, 2, 3}));
  const auto top = stacked->top_features(layers.first->pool(layers.first->encode(pairs[1][0].unsqueeze(0))));
  EXPECT_TRUE(torch::allclose(top[0], loss.features[1], 1e-12, 1e-12)) << "pair 1's frame t, as the eval computes it";
}

// The second layer learns from the first's maps as they are: its loss moves its own parameters
// (checked against finite differences) and none of the first layer's, whose gradient is the
// one-layer model's.
TEST(SlowSparse, TheSecondLayerSendsNoGradientIntoTheFirst) {
  torch::manual_seed(23);
  SlowSparse stacked(tiny(SlowEncoder::relu).second_layer_filters(4).second_layer_kernel(3));
  stacked->to(torch::kDouble);
  auto layers = separate(stacked);
  auto pairs = torch::randn({2, 2, 1, 8, 8}, torch::kDouble);
  stacked->loss(pairs).total.backward();
  layers.first->loss(pairs).total.backward();
  auto one_layer = layers.first->named_parameters();
  for (auto& named : stacked->named_parameters()) {
    if (named.key().rfind("second_layer.", 0) == 0) {
      EXPECT_LT(test::max_parameter_gradient_error([&] { return stacked->loss(pairs).total; }, named.value()), 1e-5) << named.key();
    } else {
      EXPECT_TRUE(torch::allclose(named.value().grad(), one_layer[named.key()].grad(), 1e-12, 1e-12)) << named.key();
    }
  }
}

// Greedy training: a step that trains one layer sends its gradient there alone, the same gradient
// as a step that trains both, and its total is that layer's; the other layer is still reported.
TEST(SlowSparse, AStepThatTrainsOneLayerSendsGradientToThatLayerAlone) {
  torch::manual_seed(24);
  const auto pairs = torch::randn({2, 2, 1, 8, 8}, torch::kDouble);
  struct Step {
    std::map<std::string, torch::Tensor> gradients;  // by parameter name
    double total, whole, first, second;              // the loss's totals; the first layer's and the second's terms
  };
  const auto step = [&](TrainedLayers trained) {
    torch::manual_seed(25);
    SlowSparse stacked(tiny(SlowEncoder::relu).second_layer_filters(4).second_layer_kernel(3));
    stacked->to(torch::kDouble);
    const auto loss = stacked->loss(pairs, trained);
    loss.total.backward();
    Step out{{},
             loss.total.item<double>(),
             loss.whole.item<double>(),
             (loss.reconstruction + loss.sparsity + loss.slowness + loss.floor).item<double>(),
             loss.second_layer->total.item<double>()};
    for (auto& named : stacked->named_parameters()) out.gradients[named.key()] = named.value().grad();
    return out;
  };
  const Step all = step(TrainedLayers::all), first = step(TrainedLayers::first), second = step(TrainedLayers::second);
  for (const auto& [key, gradient] : all.gradients) {
    const bool upper = key.rfind("second_layer.", 0) == 0;
    const auto& trained = (upper ? second : first).gradients.at(key);
    const auto& untrained = (upper ? first : second).gradients.at(key);
    ASSERT_TRUE(trained.defined()) << key;
    EXPECT_TRUE(torch::allclose(trained, gradient, 1e-12, 1e-12)) << key;
    EXPECT_FALSE(untrained.defined()) << key << ": a layer not trained is evaluated without a graph";
  }
  EXPECT_NEAR(all.total, all.first + all.second, 1e-12);
  EXPECT_NEAR(first.total, all.first, 1e-12);
  EXPECT_NEAR(second.total, all.second, 1e-12);
  EXPECT_NEAR(second.first, all.first, 1e-12) << "a layer not trained is still reported";
  for (const Step* s : {&all, &first, &second}) EXPECT_NEAR(s->whole, all.total, 1e-12) << "the loss figure is every layer's";
  EXPECT_THROW(SlowSparse(tiny(SlowEncoder::relu))->loss(pairs.to(torch::kFloat), TrainedLayers::second), std::invalid_argument);
}

// second_layer_after N: steps 0 to N − 1 train the first layer, then the second; without it, or
// with one layer, every step trains all.
TEST(SlowSparse, GreedyTrainingTrainsTheFirstLayerForItsStepsThenTheSecond) {
  SlowSparse greedy(tiny(SlowEncoder::relu).second_layer_filters(4).second_layer_kernel(3).second_layer_after(3));
  EXPECT_EQ(greedy->trained_layers(0), TrainedLayers::first);
  EXPECT_EQ(greedy->trained_layers(2), TrainedLayers::first);
  EXPECT_EQ(greedy->trained_layers(3), TrainedLayers::second);
  EXPECT_EQ(greedy->trained_layers(1000), TrainedLayers::second);
  EXPECT_EQ(SlowSparse(tiny(SlowEncoder::relu).second_layer_filters(4))->trained_layers(0), TrainedLayers::all);
  EXPECT_EQ(SlowSparse(tiny(SlowEncoder::relu))->trained_layers(5), TrainedLayers::all);
  EXPECT_EQ(greedy->frozen_parameters(TrainedLayers::all).size(), 0u);
  const auto upper = greedy->second_layer->parameters().size(), all = greedy->parameters().size();
  EXPECT_EQ(greedy->frozen_parameters(TrainedLayers::first).size(), upper);
  EXPECT_EQ(greedy->frozen_parameters(TrainedLayers::second).size(), all - upper);
  try {
    check_options(SlowSparseOptions().filters(8).second_layer_after(10));
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "second_layer_after: expected 0, or a number of steps >= 1 with second_layer_filters > 0, got 10");
  }
  EXPECT_THROW(check_options(SlowSparseOptions().filters(8).second_layer_filters(8).second_layer_after(-1)), std::invalid_argument);
  EXPECT_THROW(check_options(SlowSparseOptions().filters(8).second_layer_filters(8).second_layer_beta_scale(-1)), std::invalid_argument);
}

// The learner, greedy: while the first layer trains the second does not move, and after the switch
// the first does not, though Adam's momentum from its own steps would move it.
TEST(SlowSparse, AGreedyLearnerLeavesTheLayerItDoesNotTrainAsItWas) {
  torch::manual_seed(26);
  for (const auto& device : test::test_devices()) {
    SlowSparseLearner learner(SlowSparseOptions().filters(8).kernel(5).second_layer_filters(8).second_layer_kernel(3).second_layer_after(3),
                              OptimizerOptions{}, ClipLearnerOptions{}, device);
    const auto values = [&](bool upper) {
      std::vector<torch::Tensor> out;
      for (auto& named : learner.model()->named_parameters())
        if ((named.key().rfind("second_layer.", 0) == 0) == upper) out.push_back(named.value().detach().clone());
      return out;
    };
    const auto same = [](const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!torch::equal(a[i], b[i])) return false;
      return true;
    };
    auto pairs = torch::randn({2, 2, 1, 16, 16}, torch::TensorOptions().device(device));
    const auto first_start = values(false), second_start = values(true);
    for (int step = 0; step < 3; ++step) learner.train(pairs);
    const auto first_trained = values(false);
    EXPECT_FALSE(same(first_start, first_trained)) << device;
    EXPECT_TRUE(same(second_start, values(true))) << device;
    for (int step = 0; step < 3; ++step) learner.train(pairs);
    EXPECT_TRUE(same(first_trained, values(false))) << device;
    EXPECT_FALSE(same(second_start, values(true))) << device;
    EXPECT_EQ(learner.read_steps().size(), 6u);
  }
}

// The second layer's options: the first layer's pooled maps as channels, its own filters and
// kernel, β scaled by second_layer_beta_scale, and no layer or schedule of its own.
TEST(SlowSparse, TheSecondLayersOptionsTakeItsSizeAndItsScaledBeta) {
  const auto upper = second_layer_options(
      SlowSparseOptions().filters(16).beta(2).alpha(0.3).second_layer_filters(8).second_layer_kernel(3).second_layer_after(5).second_layer_beta_scale(16));
  EXPECT_EQ(upper.channels(), 4);
  EXPECT_EQ(upper.filters(), 8);
  EXPECT_EQ(upper.kernel(), 3);
  EXPECT_DOUBLE_EQ(upper.beta(), 32.0);
  EXPECT_DOUBLE_EQ(upper.alpha(), 0.3);
  EXPECT_EQ(upper.second_layer_filters(), 0);
  EXPECT_EQ(upper.second_layer_after(), 0);
  EXPECT_DOUBLE_EQ(upper.second_layer_beta_scale(), 1.0);
  EXPECT_DOUBLE_EQ(second_layer_options(SlowSparseOptions().beta(2).second_layer_filters(8)).beta(), 2.0);
}

TEST(SlowSparse, ASecondLayerNeedsAMultipleOfThePoolingGroupAndAnOddKernel) {
  EXPECT_THROW(SlowSparse(SlowSparseOptions().filters(8).second_layer_filters(6)), std::invalid_argument);
  EXPECT_THROW(SlowSparse(SlowSparseOptions().filters(8).second_layer_filters(-4)), std::invalid_argument);
  EXPECT_THROW(SlowSparse(SlowSparseOptions().filters(8).second_layer_filters(8).second_layer_kernel(4)), std::invalid_argument);
  try {
    check_options(SlowSparseOptions().filters(8).second_layer_filters(6));
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "second_layer_filters: expected 0 or a multiple of pool_features (4) up to 4096, got 6");
  }
  EXPECT_EQ(SlowSparse(SlowSparseOptions().filters(8))->second_layer, nullptr);
}

TEST(SlowSparse, BadShapesAreRefusedWithTheKeyNamed) {
  EXPECT_THROW(SlowSparse(SlowSparseOptions().filters(6)), std::invalid_argument);
  EXPECT_THROW(SlowSparse(SlowSparseOptions().kernel(8)), std::invalid_argument);
  SlowSparse model(SlowSparseOptions().filters(4).kernel(3));
  EXPECT_THROW(model->loss(torch::zeros({1, 3, 1, 8, 8})), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
