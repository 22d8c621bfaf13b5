#include "models/ops/gaussian_pyramid.h"

#include <stdexcept>
#include <string>

#include "models/ops/pyramid_resample.h"

namespace vidssl {

GaussianPyramid::GaussianPyramid(GaussianPyramidOptions options) : options_(options) {
  if (options_.levels < 1)
    throw std::invalid_argument("GaussianPyramid: levels must be at least 1, got " + std::to_string(options_.levels));
}

std::vector<std::pair<std::int64_t, std::int64_t>> GaussianPyramid::level_sizes(std::int64_t height,
                                                                                std::int64_t width,
                                                                                const char* op) const {
  std::vector<std::pair<std::int64_t, std::int64_t>> sizes{{height, width}};
  for (int level = 1; level < options_.levels; ++level) {
    const auto [h, w] = sizes.back();
    if (h < 3 || w < 3)
      throw std::invalid_argument(std::string(op) + ": a " + std::to_string(height) + "x" + std::to_string(width) +
                                  " image is too small for " + std::to_string(options_.levels) + " levels: level " +
                                  std::to_string(level - 1) + " is " + std::to_string(h) + "x" + std::to_string(w) +
                                  ", and every level but the top needs at least 3x3");
    sizes.emplace_back((h + 1) / 2, (w + 1) / 2);
  }
  return sizes;
}

std::vector<torch::Tensor> GaussianPyramid::operator()(const torch::Tensor& x, OpPath path) const {
  const torch::Tensor batch = as_image_batch(x, "GaussianPyramid");
  level_sizes(batch.size(2), batch.size(3));
  std::vector<torch::Tensor> levels{x};
  for (int level = 1; level < options_.levels; ++level) levels.push_back(pyramid_down(levels.back(), path));
  return levels;
}

}  // namespace vidssl
