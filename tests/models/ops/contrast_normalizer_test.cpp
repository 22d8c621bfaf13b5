#include "models/ops/contrast_normalizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "tests/models/ops/image_op_testing.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

using test::Image;

constexpr OpPath kPaths[] = {OpPath::automatic, OpPath::reference};

const char* path_name(OpPath path) { return path == OpPath::automatic ? "automatic" : "reference"; }

// Σ w(c, dy, dx)·f(c, y + dy, x + dx) / Σ w over the window pixels inside the image, with
// w = exp(−(dy² + dx²) / 2σ²) the same for every channel (so the normalization over C×k×k cancels).
template <typename F>
double window_average(const Image& image, std::int64_t y, std::int64_t x, int k, double sigma, F&& f) {
  const int r = k / 2;
  double sum = 0, mass = 0;
  for (std::int64_t c = 0; c < image.c; ++c)
    for (int dy = -r; dy <= r; ++dy)
      for (int dx = -r; dx <= r; ++dx) {
        const std::int64_t yy = y + dy, xx = x + dx;
        if (yy < 0 || yy >= image.h || xx < 0 || xx >= image.w) continue;
        const double weight = std::exp(-(dy * dy + dx * dx) / (2 * sigma * sigma));
        sum += weight * f(c, yy, xx);
        mass += weight;
      }
  return sum / mass;
}

// DESIGN §5 straight from its definition, in double: v = x − w∗x, σ = sqrt(w∗v²), c = mean σ,
// y = v / max(c, σ), per image, every window sum explicit.
Image naive_normalize(const Image& x, int k, double sigma) {
  Image v = x, y = x;
  for (std::int64_t n = 0; n < x.n; ++n) {
    Image one{1, x.c, x.h, x.w, {}};
    one.data.assign(x.data.begin() + n * x.c * x.h * x.w, x.data.begin() + (n + 1) * x.c * x.h * x.w);
    for (std::int64_t row = 0; row < x.h; ++row)
      for (std::int64_t col = 0; col < x.w; ++col) {
        const double mean = window_average(one, row, col, k, sigma,
                                           [&](auto c, auto yy, auto xx) { return one.at(0, c, yy, xx); });
        for (std::int64_t c = 0; c < x.c; ++c) v.at(n, c, row, col) = x.at(n, c, row, col) - mean;
      }
    std::vector<double> local_sigma(x.h * x.w);
    double total = 0;
    for (std::int64_t row = 0; row < x.h; ++row)
      for (std::int64_t col = 0; col < x.w; ++col) {
        const double var = window_average(one, row, col, k, sigma, [&](auto c, auto yy, auto xx) {
          return v.at(n, c, yy, xx) * v.at(n, c, yy, xx);
        });
        local_sigma[row * x.w + col] = std::sqrt(var);
        total += std::sqrt(var);
      }
    const double c_mean = total / static_cast<double>(x.h * x.w);
    for (std::int64_t c = 0; c < x.c; ++c)
      for (std::int64_t row = 0; row < x.h; ++row)
        for (std::int64_t col = 0; col < x.w; ++col) {
          const double den = std::max(c_mean, local_sigma[row * x.w + col]);
          y.at(n, c, row, col) = den > 0 ? v.at(n, c, row, col) / den : 0.0;
        }
  }
  return y;
}

struct LocalStats {
  double mean_of_local_mean = 0, max_abs_local_mean = 0, mean_of_local_std = 0;
};

// Local weighted mean and std (around the pixel's own local mean) of a one-channel image, over
// the pixels at least `margin` from every border.
LocalStats interior_local_stats(const Image& y, std::int64_t margin, int k, double sigma) {
  LocalStats stats;
  std::int64_t count = 0;
  for (std::int64_t row = margin; row < y.h - margin; ++row)
    for (std::int64_t col = margin; col < y.w - margin; ++col) {
      const auto value = [&](auto c, auto yy, auto xx) { return y.at(0, c, yy, xx); };
      const double mean = window_average(y, row, col, k, sigma, value);
      const double var = window_average(y, row, col, k, sigma, [&](auto c, auto yy, auto xx) {
        return (value(c, yy, xx) - mean) * (value(c, yy, xx) - mean);
      });
      stats.mean_of_local_mean += mean;
      stats.max_abs_local_mean = std::max(stats.max_abs_local_mean, std::abs(mean));
      stats.mean_of_local_std += std::sqrt(var);
      ++count;
    }
  stats.mean_of_local_mean /= static_cast<double>(count);
  stats.mean_of_local_std /= static_cast<double>(count);
  return stats;
}

TEST(ContrastNormalizer, ConstantImageMapsToExactlyZero) {
  const ContrastNormalizer normalize;
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths)
      for (double value : {0.0, 1.0, -3.5, 0.3, 255.0, 1e6})
        for (std::int64_t channels : {1, 3}) {
          const torch::Tensor x = torch::full({2, channels, 17, 23}, value, torch::dtype(torch::kFloat32).device(device));
          const torch::Tensor y = normalize(x, path);
          EXPECT_TRUE(y.isfinite().all().item<bool>()) << device << " " << path_name(path) << " " << value;
          EXPECT_EQ(y.abs().max().item<float>(), 0.f) << device << " " << path_name(path) << " " << value;
        }
}

// Float against double over values in [0, 1) and [5, 15): y is O(1), and float rounding in the
// window sums leaves errors below 1e-6 (measured 5e-7); 1e-4 leaves room for other summation orders
// (cuDNN) without hiding a wrong weight, border mass or c.
TEST(ContrastNormalizer, MatchesTheFormulaByDirectSums) {
  const test::FullPrecisionConvolutions full_precision;
  const ContrastNormalizer normalize;
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths)
      for (std::int64_t channels : {1, 3})
        for (auto [h, w] : {std::pair<std::int64_t, std::int64_t>{19, 26}, {5, 7}}) {
          torch::Tensor x = test::random_image({2, channels, h, w}, 11 + channels);
          x[1] = x[1] * 10 + 5;  // c is per image: the second has another contrast and offset
          const torch::Tensor y = normalize(x.to(device), path);
          const Image expected = naive_normalize(test::to_image(x), 9, 2.0);
          EXPECT_LE(test::max_abs_diff(y, test::to_tensor(expected)), 1e-4)
              << device << " " << path_name(path) << " C=" << channels << " " << h << "x" << w;
        }
}

// A grating of period 5 px across and 9 px down: the window (σ = 2) passes exp(−2π²σ²|f|²) = 1.6 % of
// it and almost none of its second harmonic, so v is 98 % of the grating, σ is the same everywhere,
// c equals it, and y is the grating at local std 1 (measured: 1.00002). The local mean of y is the
// 1.6 % that leaks through the window (|mean| ≤ 0.015), averaging to 0 over the interior.
TEST(ContrastNormalizer, GratingInteriorHasUnitLocalStdAndZeroMean) {
  const ContrastNormalizer normalize;
  const torch::Tensor rows = torch::arange(48, torch::kFloat32).view({48, 1});
  const torch::Tensor cols = torch::arange(56, torch::kFloat32).view({1, 56});
  const torch::Tensor grating = 100 + 30 * torch::sin(2 * M_PI * (cols / 5.0 + rows / 9.0));
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths) {
      const torch::Tensor y = normalize(grating.view({1, 1, 48, 56}).to(device), path);
      const LocalStats stats = interior_local_stats(test::to_image(y), 8, 9, 2.0);
      EXPECT_NEAR(stats.mean_of_local_std, 1.0, 0.005) << device << " " << path_name(path);
      EXPECT_NEAR(stats.mean_of_local_mean, 0.0, 0.005) << device << " " << path_name(path);
      EXPECT_LT(stats.max_abs_local_mean, 0.02) << device << " " << path_name(path);
    }
}

// White noise: the window averages about 4πσ² ≈ 50 pixels, so each local σ is an estimate that
// scatters ≈ 1/sqrt(2·50) = 10 % around the true one, and max(c, σ) ≥ σ divides the low ones by c
// instead: the output's local std sits a few % below 1 (about 0.95 here). ±0.1 is that scatter; a
// wrong window, mass or divisor moves it far more. The local mean scatters ≈ 1/sqrt(50) = 0.14
// per pixel and averages out over the 48×48 interior.
TEST(ContrastNormalizer, WhiteNoiseInteriorHasUnitLocalStdAndZeroMean) {
  const ContrastNormalizer normalize;
  torch::manual_seed(5);
  const torch::Tensor noise = 100 + 20 * torch::randn({1, 1, 64, 64});
  for (const torch::Device& device : test::test_devices())
    for (OpPath path : kPaths) {
      const torch::Tensor y = normalize(noise.to(device), path);
      const LocalStats stats = interior_local_stats(test::to_image(y), 8, 9, 2.0);
      EXPECT_NEAR(stats.mean_of_local_std, 1.0, 0.1) << device << " " << path_name(path);
      EXPECT_NEAR(stats.mean_of_local_mean, 0.0, 0.05) << device << " " << path_name(path);
      EXPECT_LT(stats.max_abs_local_mean, 1.0) << device << " " << path_name(path);
    }
}

// The CPU loops against the torch path on the same CPU, and every other device's torch path
// against the CPU loops: the same float formula summed in another order.
TEST(ContrastNormalizer, PathsAndDevicesAgree) {
  const test::FullPrecisionConvolutions full_precision;
  const ContrastNormalizer normalize;
  for (const auto& sizes : std::vector<std::vector<std::int64_t>>{{2, 3, 37, 45}, {1, 1, 48, 64}, {3, 40, 33}}) {
    const torch::Tensor x = test::random_image(sizes, 21) * 255;
    const torch::Tensor fast = normalize(x);
    EXPECT_EQ(fast.sizes(), x.sizes());
    for (const torch::Device& device : test::test_devices()) {
      const torch::Tensor reference = normalize(x.to(device), OpPath::reference);
      EXPECT_EQ(reference.device(), device);
      EXPECT_LE(test::max_abs_diff(fast, reference), 1e-5) << device << " " << x.sizes();
    }
  }
}

TEST(ContrastNormalizer, OtherWindowsFollowTheFormula) {
  const ContrastNormalizer normalize({/*kernel_size=*/5, /*sigma=*/1.0});
  const torch::Tensor x = test::random_image({1, 2, 11, 13}, 8);
  const Image expected = naive_normalize(test::to_image(x), 5, 1.0);
  for (OpPath path : kPaths) EXPECT_LE(test::max_abs_diff(normalize(x, path), test::to_tensor(expected)), 1e-4);
}

TEST(ContrastNormalizer, BadInputThrowsWithAOneLineMessage) {
  const ContrastNormalizer normalize;
  for (const torch::Device& device : test::test_devices()) {
    const auto opts = torch::TensorOptions().device(device);
    test::expect_invalid_argument([&] { normalize(torch::zeros({8, 8}, opts)); }, "rank 2");
    test::expect_invalid_argument([&] { normalize(torch::zeros({1, 1, 1, 8, 8}, opts)); }, "rank 5");
    test::expect_invalid_argument([&] { normalize(torch::zeros({1, 8, 8}, opts.dtype(torch::kUInt8))); }, "float32");
    test::expect_invalid_argument([&] { normalize(torch::zeros({1, 8, 8}, opts.dtype(torch::kFloat64))); }, "float32");
    test::expect_invalid_argument([&] { normalize(torch::zeros({1, 0, 8}, opts)); }, "empty");
  }
  test::expect_invalid_argument([] { ContrastNormalizer({/*kernel_size=*/8, /*sigma=*/2.0}); }, "odd");
  test::expect_invalid_argument([] { ContrastNormalizer({/*kernel_size=*/9, /*sigma=*/0.0}); }, "sigma");
}

}  // namespace
}  // namespace vidssl
