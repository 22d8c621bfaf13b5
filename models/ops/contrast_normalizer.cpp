#include "models/ops/contrast_normalizer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include <torch/torch.h>

#include "models/ops/contrast_normalizer_cpu.h"

namespace vidssl {

// The window mass inside the image at (y, x) is the product of the 1-D masses of the row and the
// column (the window is an outer product, the image a rectangle), so two short vectors stand for
// the whole mass image; the fast path divides by them after each 1-D pass.
struct ContrastNormalizer::BorderMass {
  std::vector<float> inv_rows;
  std::vector<float> inv_cols;
};

// Frames of one stream share a size, but the near-to-far bands come in a few sizes per frame. The
// torch path keeps its taps and mass image on each device too: uploading them per call from pageable
// memory would make every call wait for the GPU stream.
struct ContrastNormalizer::MassCache {
  static constexpr std::size_t kMaxSizes = 64;
  std::mutex mutex;
  std::map<std::pair<std::int64_t, std::int64_t>, std::shared_ptr<const BorderMass>> by_size;
  std::map<std::string, torch::Tensor> taps_on_device;
  std::map<std::tuple<std::string, std::int64_t, std::int64_t>, torch::Tensor> mass_on_device;
};

namespace {

std::vector<float> inverse_window_mass(const std::vector<float>& g, std::int64_t n) {
  const std::int64_t r = static_cast<std::int64_t>(g.size()) / 2;
  std::vector<float> inv(n);
  for (std::int64_t i = 0; i < n; ++i) {
    double mass = 0;
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(g.size()); ++k)
      if (i + k - r >= 0 && i + k - r < n) mass += g[k];
    inv[i] = static_cast<float>(1.0 / mass);
  }
  return inv;
}

}  // namespace

void check_options(const ContrastNormalizerOptions& options) {
  if (options.kernel_size < 1 || options.kernel_size % 2 == 0)
    throw std::invalid_argument("kernel: expected an odd size >= 1, got " + std::to_string(options.kernel_size));
  if (!(options.sigma > 0)) throw std::invalid_argument("sigma: expected a number > 0, got " + std::to_string(options.sigma));
}

ContrastNormalizer::ContrastNormalizer(ContrastNormalizerOptions options)
    : options_(options), mass_cache_(std::make_shared<MassCache>()) {
  check_options(options_);
  const int r = options_.kernel_size / 2;
  std::vector<double> g(options_.kernel_size);
  double sum = 0;
  for (int k = 0; k < options_.kernel_size; ++k) {
    g[k] = std::exp(-0.5 * (k - r) * (k - r) / (options_.sigma * options_.sigma));
    sum += g[k];
  }
  for (double w : g) taps_.push_back(static_cast<float>(w / sum));
}

torch::Tensor ContrastNormalizer::operator()(const torch::Tensor& x, OpPath path) const {
  const torch::Tensor batch = as_image_batch(x, "ContrastNormalizer");
  const torch::Tensor y = runs_fast_cpu(x, path) ? run_cpu(batch) : run_reference(batch);
  return like_input_rank(y, x);
}

std::shared_ptr<const ContrastNormalizer::BorderMass> ContrastNormalizer::border_mass(std::int64_t height,
                                                                                     std::int64_t width) const {
  std::lock_guard<std::mutex> lock(mass_cache_->mutex);
  const auto key = std::make_pair(height, width);
  const auto found = mass_cache_->by_size.find(key);
  if (found != mass_cache_->by_size.end()) return found->second;
  if (mass_cache_->by_size.size() >= MassCache::kMaxSizes) mass_cache_->by_size.clear();
  auto mass = std::make_shared<const BorderMass>(
      BorderMass{inverse_window_mass(taps_, height), inverse_window_mass(taps_, width)});
  mass_cache_->by_size.emplace(key, mass);
  return mass;
}

// Each image is first shifted by its first pixel: w is normalized, so v does not change, but a
// constant image becomes exact zeros, and 0 / max(0, 0) is defined as 0 below; without the shift
// rounding in w ∗ x leaves a tiny v that the division would blow up to ±1.
torch::Tensor ContrastNormalizer::run_reference(const torch::Tensor& batch) const {
  const std::int64_t channels = batch.size(1), height = batch.size(2), width = batch.size(3);
  const std::int64_t k_size = options_.kernel_size, r = k_size / 2;
  namespace F = torch::nn::functional;
  const auto window = [&](const torch::Tensor& t, const torch::Tensor& row_taps, const torch::Tensor& col_taps) {
    const torch::Tensor rows = F::conv2d(t, row_taps, F::Conv2dFuncOptions().padding({0, r}));
    return F::conv2d(rows, col_taps, F::Conv2dFuncOptions().padding({r, 0}));
  };
  torch::Tensor g, mass;
  {
    const std::string device = batch.device().str();
    std::lock_guard<std::mutex> lock(mass_cache_->mutex);
    torch::Tensor& cached_taps = mass_cache_->taps_on_device[device];
    if (!cached_taps.defined()) cached_taps = torch::tensor(taps_).to(batch.device());
    g = cached_taps;
    auto& by_size = mass_cache_->mass_on_device;
    const auto key = std::make_tuple(device, height, width);
    if (by_size.count(key) == 0) {
      if (by_size.size() >= MassCache::kMaxSizes) by_size.clear();
      // The window mass inside the image is the same for any C (C copies of g / C sum to g).
      by_size[key] = window(torch::ones({1, 1, height, width}, batch.options()), g.view({1, 1, 1, k_size}),
                            g.view({1, 1, k_size, 1}));
    }
    mass = by_size[key];
  }
  // Horizontal taps over all channels at once, each g / C: the window sums over the channels.
  const torch::Tensor row_taps = (g / static_cast<double>(channels)).view({1, 1, 1, k_size}).repeat({1, channels, 1, 1});
  const torch::Tensor col_taps = g.view({1, 1, k_size, 1});
  const auto window_mean = [&](const torch::Tensor& t) { return window(t, row_taps, col_taps) / mass; };
  const torch::Tensor x = batch - batch.narrow(1, 0, 1).narrow(2, 0, 1).narrow(3, 0, 1);
  const torch::Tensor v = x - window_mean(x);
  const torch::Tensor sigma = window_mean(v * v).clamp_min(0).sqrt();
  const torch::Tensor c = sigma.mean({2, 3}, /*keepdim=*/true);
  const torch::Tensor den = torch::maximum(sigma, c);
  return torch::where(den > 0, v / den, torch::zeros_like(v));
}

torch::Tensor ContrastNormalizer::run_cpu(const torch::Tensor& input) const {
  const torch::Tensor batch = input.contiguous();
  const std::int64_t n_images = batch.size(0), channels = batch.size(1);
  const std::int64_t height = batch.size(2), width = batch.size(3), image = channels * height * width;
  torch::Tensor result = torch::empty(batch.sizes(), batch.options());
  const std::shared_ptr<const BorderMass> mass = border_mass(height, width);
  const SeparableWindow window{taps_.data(), options_.kernel_size, mass->inv_rows.data(), mass->inv_cols.data()};
  float* scratch = thread_scratch(contrast_normalize_scratch(height, width, options_.kernel_size));
  for (std::int64_t n = 0; n < n_images; ++n)
    contrast_normalize_cpu(batch.data_ptr<float>() + n * image, channels, height, width, window, scratch,
                           result.data_ptr<float>() + n * image);
  return result;
}

}  // namespace vidssl
