#include "models/neartofar/stereo_points.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace vidssl {

torch::Tensor disparity_to_points(const torch::Tensor& disparity, const StereoCamera& camera) {
  if (!disparity.defined() || disparity.dim() != 2)
    throw std::invalid_argument("disparity_to_points: expected an HxW disparity map, got " +
                                (disparity.defined() ? "rank " + std::to_string(disparity.dim()) : "none"));
  if (disparity.scalar_type() != torch::kFloat32)
    throw std::invalid_argument(std::string("disparity_to_points: expected float32 disparities, got ") +
                                c10::toString(disparity.scalar_type()));
  if (!(camera.fx > 0) || !(camera.fy > 0) || !(camera.baseline > 0))
    throw std::invalid_argument("disparity_to_points: the camera needs fx, fy and baseline > 0");
  const std::int64_t height = disparity.size(0), width = disparity.size(1);
  if ((camera.width > 0 || camera.height > 0) && (camera.width != width || camera.height != height))
    throw std::invalid_argument("disparity_to_points: a " + std::to_string(height) + "x" + std::to_string(width) +
                                " disparity map for a " + std::to_string(camera.height) + "x" +
                                std::to_string(camera.width) + " camera (scale the camera with the images)");

  const auto options = disparity.options();
  // `d > 0` is false for NaN too, so a NaN disparity is invalid like a negative one.
  const torch::Tensor valid = disparity > 0;
  const torch::Tensor z = torch::where(valid, (camera.fx * camera.baseline) / disparity,
                                       torch::full({}, std::numeric_limits<float>::quiet_NaN(), options));
  const torch::Tensor u = torch::arange(width, options).sub_(camera.cx).div_(camera.fx).view({1, width});
  const torch::Tensor v = torch::arange(height, options).sub_(camera.cy).div_(camera.fy).view({height, 1});
  return torch::stack({u * z, v * z, z});
}

torch::Tensor ground_candidates(const torch::Tensor& points, double max_depth, int row_begin) {
  if (!points.defined() || points.dim() != 3 || points.size(0) != 3)
    throw std::invalid_argument("ground_candidates: expected 3xHxW points");
  if (row_begin < 0) throw std::invalid_argument("ground_candidates: row_begin must be >= 0, got " + std::to_string(row_begin));
  const std::int64_t begin = std::min<std::int64_t>(row_begin, points.size(1));
  const torch::Tensor rows = points.slice(1, begin).reshape({3, -1}).t();  // N×3, row-major pixels
  const torch::Tensor z = rows.select(1, 2);
  // NaN fails every comparison, so `z <= max_depth` also drops invalid pixels; X and Y are
  // checked too for inputs that did not come from disparity_to_points.
  const torch::Tensor keep = torch::isfinite(rows).all(1).logical_and_(z <= max_depth);
  return rows.index({keep});
}

}  // namespace vidssl
