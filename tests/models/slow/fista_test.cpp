#include "models/slow/fista.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/layers/conv_dictionary.h"
#include "models/layers/shrink.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

torch::Tensor unit_filters(torch::Tensor w) { return w / w.pow(2).sum({0, 2, 3}, true).sqrt(); }

std::vector<double> energies(const FistaResult& result) {
  const auto e = result.energy.to(torch::kCPU, torch::kDouble).contiguous();
  return {e.data_ptr<double>(), e.data_ptr<double>() + e.numel()};
}

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
    const auto energy = energies(result);
    ASSERT_EQ(energy.size(), 51u);
    for (size_t i = 1; i < energy.size(); ++i) EXPECT_LE(energy[i], energy[i - 1]) << "step " << i << " on " << device;
    EXPECT_LT(energy.back(), 0.5 * energy.front());
    const double lipschitz = result.lipschitz.item<double>();
    EXPECT_GT(lipschitz, options.initial_lipschitz) << "backtracking grew L from L0";
    EXPECT_LE(lipschitz, options.backtrack * dictionary_lipschitz(w.cpu(), 24, 200) * (1 + 1e-4))
        << "L grew past the first value that bounds the curvature everywhere";
  }
}

// Started from the L a first call ended with, a second call needs no step to grow L: it lowers
// the energy from its first step on, and ends as low as a call that started from L₀.
TEST(Fista, StartingFromTheLastLSkipsTheBacktracking) {
  torch::manual_seed(13);
  auto w = unit_filters(torch::randn({1, 8, 7, 7}));
  auto x = torch::randn({2, 1, 24, 24});
  FistaOptions options;
  options.steps = 30;
  const auto first = fista(x, w, torch::zeros({2, 8, 24, 24}), options);
  const auto cold = energies(fista(x * 0.9, w, torch::zeros({2, 8, 24, 24}), options));
  const auto warm_result = fista(x * 0.9, w, torch::zeros({2, 8, 24, 24}), options, first.lipschitz);
  const auto warm = energies(warm_result);
  EXPECT_EQ(cold[1], cold[0]) << "from L0 = 0.1 the first step's bound fails: no step, L grows";
  EXPECT_LT(warm[1], warm[0]) << "from the last L the first step is taken";
  EXPECT_LT(warm.back(), cold.back() * (1 + 1e-3));
  EXPECT_DOUBLE_EQ(warm_result.lipschitz.item<double>(), first.lipschitz.item<double>()) << "the bound held at the start";
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
  EXPECT_NEAR(energies(result).back(), ista_energy, 1e-4 * ista_energy);
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
  const auto before = energies(first), after = energies(again);
  EXPECT_LE(after.back(), after.front());
  EXPECT_NEAR(after.front(), before.back(), 1e-3 * before.back());
}

}  // namespace
}  // namespace vidssl
