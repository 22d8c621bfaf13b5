#include "models/ops/laplacian_pyramid.h"

#include <stdexcept>

#include "models/ops/pyramid_resample.h"

namespace vidssl {

LaplacianPyramid::LaplacianPyramid(LaplacianPyramidOptions options)
    : options_(options), gaussian_(GaussianPyramidOptions{options.levels}) {}

std::vector<torch::Tensor> LaplacianPyramid::operator()(const torch::Tensor& x, OpPath path) const {
  const torch::Tensor batch = as_image_batch(x, "LaplacianPyramid");
  gaussian_.level_sizes(batch.size(2), batch.size(3), "LaplacianPyramid");
  std::vector<torch::Tensor> levels = gaussian_(x, path);
  for (std::size_t i = 0; i + 1 < levels.size(); ++i) levels[i] = pyramid_up_add(levels[i], levels[i + 1], -1.f, path);
  return levels;
}

torch::Tensor LaplacianPyramid::reconstruct(const std::vector<torch::Tensor>& levels, OpPath path) const {
  if (levels.empty()) throw std::invalid_argument("LaplacianPyramid::reconstruct: no levels given");
  torch::Tensor image = levels.back();
  as_image_batch(image, "LaplacianPyramid::reconstruct");
  for (std::size_t i = levels.size() - 1; i-- > 0;) image = pyramid_up_add(levels[i], image, +1.f, path);
  return image;
}

}  // namespace vidssl
