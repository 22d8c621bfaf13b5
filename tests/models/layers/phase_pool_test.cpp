#include "models/layers/phase_pool.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "tests/models/gradient_check.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

double coordinate(std::int64_t i, std::int64_t n) { return n == 1 ? 0.0 : -1.0 + 2.0 * i / (n - 1); }

// m and p by a direct loop over blocks: softmax with the max subtracted, then the weighted sums.
PhasePooled pool_by_loop(const torch::Tensor& z_in, std::int64_t g, std::int64_t s, std::int64_t stride, double beta) {
  const auto z = z_in.cpu().to(torch::kDouble);
  const auto n = z.size(0), f = z.size(1), height = z.size(2), width = z.size(3);
  const auto k = (f - g) / stride + 1, hb = height / s, wb = width / s;
  PhasePooled out{torch::zeros({n, k, hb, wb}, torch::kDouble), torch::zeros({n, k, 3, hb, wb}, torch::kDouble)};
  auto a = z.accessor<double, 4>();
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t j = 0; j < k; ++j)
      for (std::int64_t by = 0; by < hb; ++by)
        for (std::int64_t bx = 0; bx < wb; ++bx) {
          double top = -INFINITY;
          for (std::int64_t i = 0; i < g; ++i)
            for (std::int64_t y = 0; y < s; ++y)
              for (std::int64_t x = 0; x < s; ++x) top = std::max(top, a[b][j * stride + i][by * s + y][bx * s + x]);
          double total = 0, m = 0, pf = 0, px = 0, py = 0;
          for (std::int64_t i = 0; i < g; ++i)
            for (std::int64_t y = 0; y < s; ++y)
              for (std::int64_t x = 0; x < s; ++x) {
                const double v = a[b][j * stride + i][by * s + y][bx * s + x];
                const double w = std::exp(beta * (v - top));
                total += w;
                m += w * v;
                pf += w * coordinate(i, g);
                px += w * coordinate(x, s);
                py += w * coordinate(y, s);
              }
          out.magnitude[b][j][by][bx] = m / total;
          out.phase[b][j][0][by][bx] = pf / total;
          out.phase[b][j][1][by][bx] = px / total;
          out.phase[b][j][2][by][bx] = py / total;
        }
  return out;
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.cpu().to(torch::kDouble) - b.cpu().to(torch::kDouble)).abs().max().item<double>();
}

TEST(PhasePool, MatchesADirectLoopOverBlocks) {
  torch::manual_seed(1);
  for (const auto& device : test::test_devices()) {
    for (const std::int64_t stride : {4, 2}) {
      PhasePool pool(PhasePoolOptions().block(PhaseBlockOptions().features(4).space(4).feature_stride(stride)).beta(3.0));
      const auto z = torch::randn({2, 8, 8, 12}, torch::dtype(torch::kDouble).device(device));
      const auto out = pool(z);
      const auto expected = pool_by_loop(z, 4, 4, stride, 3.0);
      ASSERT_EQ(out.magnitude.sizes(), expected.magnitude.sizes()) << "stride " << stride;
      ASSERT_EQ(out.phase.sizes(), expected.phase.sizes());
      EXPECT_LT(max_difference(out.magnitude, expected.magnitude), 1e-12) << device << " stride " << stride;
      EXPECT_LT(max_difference(out.phase, expected.phase), 1e-12) << device << " stride " << stride;
    }
  }
}

TEST(PhasePool, LargeBetaGivesTheHardMaxAndArgmax) {
  torch::manual_seed(2);
  PhasePool pool(PhasePoolOptions().block(PhaseBlockOptions().features(2).space(3).feature_stride(2)).beta(1e4));
  const auto z = torch::randn({1, 4, 6, 6}, torch::kDouble);
  const auto out = pool(z);
  // Block (j=1, by=0, bx=1): features 2..3, rows 0..2, columns 3..5.
  const auto block = z[0].slice(0, 2, 4).slice(1, 0, 3).slice(2, 3, 6);
  const auto at = block.argmax().item<std::int64_t>();
  const std::int64_t i = at / 9, y = (at / 3) % 3, x = at % 3;
  EXPECT_NEAR(out.magnitude[0][1][0][1].item<double>(), block.max().item<double>(), 1e-9);
  EXPECT_NEAR(out.phase[0][1][0][0][1].item<double>(), coordinate(i, 2), 1e-9);
  EXPECT_NEAR(out.phase[0][1][1][0][1].item<double>(), coordinate(x, 3), 1e-9);
  EXPECT_NEAR(out.phase[0][1][2][0][1].item<double>(), coordinate(y, 3), 1e-9);
}

TEST(PhasePool, SmallBetaGivesTheMeanAndTheBlockCentre) {
  torch::manual_seed(3);
  PhasePool pool(PhasePoolOptions().beta(1e-9));
  const auto z = torch::randn({1, 8, 8, 8}, torch::kDouble);
  const auto out = pool(z);
  const auto mean = z.reshape({1, 2, 4, 2, 4, 2, 4}).mean({2, 4, 6});
  EXPECT_LT(max_difference(out.magnitude, mean), 1e-8);
  EXPECT_LT(out.phase.abs().max().item<double>(), 1e-8);
}

TEST(PhaseUnpool, UndoesPhasePoolingOfAOneHotBlockExactlyWhenItsPeakIsOnAGridPoint) {
  const PhaseBlockOptions block;  // 4 features × 4×4
  PhasePool pool(PhasePoolOptions().block(block).beta(50.0));
  PhaseUnpool unpool(block);
  for (const auto& device : test::test_devices()) {
    auto z = torch::zeros({1, 8, 4, 8}, torch::dtype(torch::kDouble).device(device));
    z[0][2][1][3] = 3.0;  // block (0, 0, 0)
    z[0][5][3][6] = 2.0;  // block (1, 0, 1)
    const auto pooled = pool(z);
    // At β = 50 the softmax leaves e^-100 on the other positions: the phase is a grid point.
    const auto back = unpool(pooled.magnitude, pooled.phase, 8);
    EXPECT_LT(max_difference(back, z), 1e-9) << device;
  }
  // A phase between grid points spreads the magnitude over the neighbouring points instead.
  auto m = torch::full({1, 1, 1, 1}, 1.0, torch::kDouble);
  auto p = torch::zeros({1, 1, 3, 1, 1}, torch::kDouble);  // the block centre: between all grid points
  const auto spread = unpool(m, p, 4);
  EXPECT_EQ((spread > 0).sum().item<std::int64_t>(), 8) << "2 features × 2 rows × 2 columns around the centre";
  EXPECT_NEAR(spread.sum().item<double>(), 1.0, 1e-12) << "tent weights sum to one";
  EXPECT_NEAR(spread[0][1][1][2].item<double>(), 0.125, 1e-12);
}

TEST(PhaseUnpool, MatchesTheTentFormulaAtRandomPhases) {
  torch::manual_seed(4);
  const auto block = PhaseBlockOptions().features(4).space(4).feature_stride(2);
  PhaseUnpool unpool(block);
  const auto m = torch::randn({1, 3, 2, 1}, torch::kDouble);
  const auto p = torch::rand({1, 3, 3, 2, 1}, torch::kDouble) * 2 - 1;
  const auto z = unpool(m, p, 8);
  auto expected = torch::zeros({1, 8, 8, 4}, torch::kDouble);
  const double df = 2.0 / 3, ds = 2.0 / 3;
  for (int k = 0; k < 3; ++k)
    for (int by = 0; by < 2; ++by)
      for (int i = 0; i < 4; ++i)
        for (int y = 0; y < 4; ++y)
          for (int x = 0; x < 4; ++x) {
            const double w = std::max(0.0, 1 - std::abs(coordinate(i, 4) - p[0][k][0][by][0].item<double>()) / df) *
                             std::max(0.0, 1 - std::abs(coordinate(x, 4) - p[0][k][1][by][0].item<double>()) / ds) *
                             std::max(0.0, 1 - std::abs(coordinate(y, 4) - p[0][k][2][by][0].item<double>()) / ds);
            expected[0][2 * k + i][by * 4 + y][x] += m[0][k][by][0].item<double>() * w;
          }
  EXPECT_LT(max_difference(z, expected), 1e-12);
}

TEST(PhasePool, GradientsMatchFiniteDifferences) {
  torch::manual_seed(5);
  for (const std::int64_t stride : {4, 2}) {
    const auto block = PhaseBlockOptions().features(4).space(2).feature_stride(stride);
    PhasePool pool(PhasePoolOptions().block(block).beta(2.0));
    PhaseUnpool unpool(block);
    const auto z = torch::randn({1, 8, 4, 4}, torch::kDouble);
    const auto k = block.feature_blocks(8);
    const auto wm = torch::randn({1, k, 2, 2}, torch::kDouble), wp = torch::randn({1, k, 3, 2, 2}, torch::kDouble);
    EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) {
      const auto out = pool(v);
      return (out.magnitude * wm).sum() + (out.phase * wp).sum();
    }, z), 1e-7) << "pool, stride " << stride;
    // Unpooling: in m, and in p away from the kinks of the tents (grid points and ±Δ from p).
    const auto m = torch::randn({1, k, 2, 2}, torch::kDouble);
    const auto p = (torch::rand({1, k, 3, 2, 2}, torch::kDouble) * 1.6 - 0.8);
    const auto wz = torch::randn({1, 8, 4, 4}, torch::kDouble);
    EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (unpool(v, p, 8) * wz).sum(); }, m), 1e-7);
    EXPECT_LT(test::max_gradient_error([&](const torch::Tensor& v) { return (unpool(m, v, 8) * wz).sum(); }, p), 1e-6)
        << "unpool in p, stride " << stride;
  }
}

// The CPU loops and the torch ops (what the GPU runs) give the same maps and the same gradients in
// m and p, with overlapping blocks and with blocks spaced out (maps between them stay 0) too. (Exactly on a tent's kink, a grid point or one step from
// it, the slope is one-sided, and the two paths' grids round differently: there either side may be
// taken.)
TEST(PhaseUnpool, CpuLoopsMatchTheTorchOpsInValueAndGradient) {
  torch::manual_seed(6);
  for (const std::int64_t stride : {4, 2, 6}) {
    const auto block = PhaseBlockOptions().features(4).space(4).feature_stride(stride);
    PhaseUnpool unpool(block);
    const auto k = block.feature_blocks(16);
    const auto m0 = torch::randn({2, k, 3, 5});
    const auto p0 = torch::rand({2, k, 3, 3, 5}) * 2.4 - 1.2;
    const auto wz = torch::randn({2, 16, 12, 20});
    torch::Tensor values[2], grad_m[2], grad_p[2];
    for (int path = 0; path < 2; ++path) {
      const auto m = m0.clone().requires_grad_(true), p = p0.clone().requires_grad_(true);
      values[path] = unpool->forward(m, p, 16, path == 0 ? OpPath::automatic : OpPath::reference);
      (values[path] * wz).sum().backward();
      grad_m[path] = m.grad();
      grad_p[path] = p.grad();
    }
    EXPECT_LT(max_difference(values[0], values[1]), 1e-5) << "stride " << stride;
    EXPECT_LT(max_difference(grad_m[0], grad_m[1]), 1e-4) << "stride " << stride;
    EXPECT_LT(max_difference(grad_p[0], grad_p[1]), 1e-4) << "stride " << stride;
  }
}

TEST(PhasePool, CpuLoopsMatchTheTorchOpsInValueAndGradient) {
  torch::manual_seed(7);
  for (const std::int64_t stride : {4, 2, 6}) {
    const auto block = PhaseBlockOptions().features(4).space(4).feature_stride(stride);
    PhasePool pool(PhasePoolOptions().block(block).beta(10));
    const auto z0 = torch::randn({2, 16, 12, 20});
    const auto k = block.feature_blocks(16);
    const auto wm = torch::randn({2, k, 3, 5}), wp = torch::randn({2, k, 3, 3, 5});
    torch::Tensor m[2], p[2], grad[2];
    for (int path = 0; path < 2; ++path) {
      const auto z = z0.clone().requires_grad_(true);
      const auto out = pool->forward(z, path == 0 ? OpPath::automatic : OpPath::reference);
      ((out.magnitude * wm).sum() + (out.phase * wp).sum()).backward();
      m[path] = out.magnitude, p[path] = out.phase, grad[path] = z.grad();
    }
    EXPECT_LT(max_difference(m[0], m[1]), 1e-5) << "stride " << stride;
    EXPECT_LT(max_difference(p[0], p[1]), 1e-5) << "stride " << stride;
    EXPECT_LT(max_difference(grad[0], grad[1]), 1e-4) << "stride " << stride;
  }
}

TEST(PhasePool, RefusesBlocksThatDoNotDivideTheCodeMapAndANonPositiveBeta) {
  PhasePool pool{PhasePoolOptions()};
  EXPECT_THROW(pool(torch::zeros({1, 6, 8, 8})), std::invalid_argument);
  try {
    pool(torch::zeros({1, 8, 6, 8}));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("pool_space"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PhasePool(PhasePoolOptions().beta(0)), std::invalid_argument);
  EXPECT_THROW(PhasePool(PhasePoolOptions().beta(-1)), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
