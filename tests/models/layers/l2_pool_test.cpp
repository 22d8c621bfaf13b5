#include "models/layers/l2_pool.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "tests/models/gradient_check.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

// P_j(h) = sqrt(Σ_{k∈P_j} h_k² + ε) by a direct loop over groups.
torch::Tensor pool_by_loop(const torch::Tensor& h, int g, int s, double eps) {
  auto hc = h.cpu().to(torch::kDouble);
  const auto n = h.size(0), f = h.size(1), height = h.size(2), width = h.size(3);
  auto out = torch::zeros({n, f / g, height / s, width / s}, torch::kDouble);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < f / g; ++j)
      for (int64_t y = 0; y < height / s; ++y)
        for (int64_t x = 0; x < width / s; ++x) {
          double sum = 0;
          for (int64_t k = 0; k < g; ++k)
            for (int64_t dy = 0; dy < s; ++dy)
              for (int64_t dx = 0; dx < s; ++dx) {
                const double v = hc[b][j * g + k][y * s + dy][x * s + dx].item<double>();
                sum += v * v;
              }
          out[b][j][y][x] = std::sqrt(sum + eps);
        }
  return out;
}

TEST(L2Pool, MatchesADirectLoopOverGroups) {
  torch::manual_seed(2);
  for (const auto& device : test::test_devices()) {
    L2Pool pool(L2PoolOptions().features(4).space(2).eps(1e-6));
    pool->to(device);
    auto h = torch::randn({2, 8, 6, 4}, torch::dtype(torch::kDouble).device(device));
    auto out = pool(h).cpu();
    EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 2, 3, 2}));
    EXPECT_LT((out - pool_by_loop(h, 4, 2, 1e-6)).abs().max().item<double>(), 1e-12) << device;
  }
}

TEST(L2Pool, OtherGroupShapes) {
  torch::manual_seed(3);
  L2Pool pool(L2PoolOptions().features(2).space(3).eps(0.01));
  auto h = torch::randn({1, 6, 9, 6}, torch::kDouble);
  EXPECT_LT((pool(h) - pool_by_loop(h, 2, 3, 0.01)).abs().max().item<double>(), 1e-12);
}

TEST(L2Pool, GradientMatchesFiniteDifferences) {
  torch::manual_seed(4);
  L2Pool pool{L2PoolOptions()};
  auto h = torch::randn({1, 8, 4, 4}, torch::kDouble);
  auto weights = torch::randn({1, 2, 2, 2}, torch::kDouble);
  EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (pool(v) * weights).sum(); }, h), 1e-7);
}

// The CPU loops (what a CPU run trains with) and the torch ops (what the GPU runs) agree in value
// and gradient, in float, at a width that is not a multiple of any vector width, and with a group of
// zeros (where ε keeps the gradient finite).
TEST(L2Pool, CpuLoopsMatchTheTorchOpsInValueAndGradient) {
  torch::manual_seed(5);
  for (const auto& [g, s] : {std::pair<int, int>{4, 2}, {2, 3}}) {
    L2Pool pool(L2PoolOptions().features(g).space(s));
    auto h0 = torch::randn({2, 4 * g, 5 * s, 7 * s});
    h0.slice(1, 0, g).slice(2, 0, s).slice(3, 0, s).zero_();
    const auto weights = torch::randn({2, 4, 5, 7});
    torch::Tensor out[2], grad[2];
    for (int path = 0; path < 2; ++path) {
      const auto h = h0.clone().requires_grad_(true);
      out[path] = pool->forward(h, path == 0 ? OpPath::automatic : OpPath::reference);
      (out[path] * weights).sum().backward();
      grad[path] = h.grad();
    }
    EXPECT_LT((out[0] - out[1]).abs().max().item<double>(), 1e-5) << g << "x" << s;
    EXPECT_LT((grad[0] - grad[1]).abs().max().item<double>(), 1e-5) << g << "x" << s;
    EXPECT_TRUE(torch::isfinite(grad[0]).all().item<bool>());
  }
}

TEST(L2Pool, ShapesThatDoNotDivideAreRefusedWithTheirSizes) {
  L2Pool pool{L2PoolOptions()};
  try {
    pool(torch::zeros({1, 6, 4, 4}));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("6 features"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pool(torch::zeros({1, 8, 5, 4})), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
