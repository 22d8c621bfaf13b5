#include "models/slow/fista.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/layers/conv_dictionary.h"
#include "models/layers/shrink.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

torch::Tensor unit_filters(torch::Tensor w) { return w / w.pow(2).sum({0, 2, 3}, true).sqrt(); }

TEST(Fista, LowersTheEnergyAtEveryStepOnAFixedDictionary) {
  torch::manual_seed(10);
  for (const auto& device : test::test_devices()) {
    auto opts = torch::dtype(torch::kFloat).device(device);
    auto w = unit_filters(torch::randn({1, 8, 7, 7}, opts));
    auto x = torch::randn({3, 1, 24, 24}, opts);
    FistaOptions options;
    options.alpha = 0.5;
    options.steps = 50;
    auto result = fista(x, w, torch::zeros({3, 8, 24, 24}, opts), options);
    ASSERT_EQ(result.energy.size(), 51u);
    for (size_t i = 1; i < result.energy.size(); ++i)
      EXPECT_LE(result.energy[i], result.energy[i - 1]) << "step " << i << " on " << device;
    EXPECT_LT(result.energy.back(), 0.5 * result.energy.front());
    EXPECT_GT(result.lipschitz, options.initial_lipschitz) << "backtracking grew L from L0";
  }
}

TEST(Fista, ReachesTheMinimumThatALongIstaRunReaches) {
  torch::manual_seed(11);
  auto w = unit_filters(torch::randn({1, 4, 5, 5}, torch::kDouble));
  auto x = torch::randn({1, 1, 16, 16}, torch::kDouble);
  const double alpha = 0.3;
  const double lipschitz = dictionary_lipschitz(w, 16, 200);
  auto h = torch::zeros({1, 4, 16, 16}, torch::kDouble);
  for (int i = 0; i < 5000; ++i) {
    auto gradient = dictionary_adjoint(dictionary_apply(h, w) - x, w);
    h = shrink(h - gradient / lipschitz, torch::scalar_tensor(alpha / lipschitz, torch::kDouble));
  }
  const double ista_energy = sparse_coding_energy(x, w, h, alpha).item<double>();
  FistaOptions options;
  options.alpha = alpha;
  options.steps = 300;
  auto result = fista(x, w, torch::zeros_like(h), options);
  EXPECT_NEAR(result.energy.back(), ista_energy, 1e-4 * ista_energy);
}

TEST(Fista, StartingFromAGoodGuessNeverEndsWorseThanTheGuess) {
  torch::manual_seed(12);
  auto w = unit_filters(torch::randn({1, 4, 5, 5}));
  auto x = torch::randn({2, 1, 16, 16});
  FistaOptions options;
  options.steps = 100;
  auto first = fista(x, w, torch::zeros({2, 4, 16, 16}), options);
  options.steps = 5;
  auto again = fista(x, w, first.codes, options);
  EXPECT_LE(again.energy.back(), again.energy.front());
  EXPECT_NEAR(again.energy.front(), first.energy.back(), 1e-3 * first.energy.back());
}

}  // namespace
}  // namespace vidssl
