#include "models/neartofar/traversability_labels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace vidssl {
namespace {

// Counts of one kind of point over any rectangle in four lookups: entry (r, c) of the
// (H+1)×(W+1) table counts the points in rows < r and columns < c.
class IntegralCount {
 public:
  IntegralCount(std::int64_t height, std::int64_t width)
      : stride_(width + 1), table_(static_cast<std::size_t>((height + 1) * (width + 1)), 0) {}
  void set_row(std::int64_t r, const std::vector<std::int32_t>& row_marks) {
    std::int32_t running = 0;
    std::int32_t* out = &table_[static_cast<std::size_t>((r + 1) * stride_)];
    const std::int32_t* above = out - stride_;
    for (std::size_t c = 0; c < row_marks.size(); ++c) {
      running += row_marks[c];
      out[c + 1] = above[c + 1] + running;
    }
  }
  std::int64_t count(std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) const {
    const auto at = [this](std::int64_t r, std::int64_t c) { return table_[static_cast<std::size_t>(r * stride_ + c)]; };
    return at(bottom, right) - at(top, right) - at(bottom, left) + at(top, left);
  }

 private:
  std::int64_t stride_;
  std::vector<std::int32_t> table_;
};

// A window's counts of valid, ground and obstacle points.
struct Counts {
  std::int64_t valid = 0, ground = 0, obstacle = 0;
};

}  // namespace

const char* traversability_name(std::int64_t label) {
  switch (label) {
    case kUnlabeled: return "unlabeled";
    case static_cast<std::int64_t>(Traversability::ground): return "ground";
    case static_cast<std::int64_t>(Traversability::footline): return "footline";
    case static_cast<std::int64_t>(Traversability::obstacle): return "obstacle";
    case static_cast<std::int64_t>(Traversability::super_ground): return "super_ground";
    case static_cast<std::int64_t>(Traversability::super_obstacle): return "super_obstacle";
  }
  return "?";
}

void LabelOptions::check() const {
  const auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  const auto share = [&fail](const char* name, double value) {
    if (!(value > 0 && value <= 1)) fail(std::string(name) + " must be in (0, 1], got " + std::to_string(value));
  };
  if (!(ground_tolerance > 0)) fail("ground_tolerance must be positive, got " + std::to_string(ground_tolerance));
  if (!(obstacle_height > ground_tolerance))
    fail("obstacle_height must be above ground_tolerance (" + std::to_string(ground_tolerance) + " m), got " +
         std::to_string(obstacle_height));
  if (min_points < 1) fail("min_points must be at least 1, got " + std::to_string(min_points));
  share("ground_purity", ground_purity);
  share("obstacle_share", obstacle_share);
  if (!(footline_base > 0 && footline_base < 1))
    fail("footline_base must be in (0, 1), got " + std::to_string(footline_base));
  share("footline_ground_share", footline_ground_share);
  if (super_min_points < min_points)
    fail("super_min_points must be at least min_points (" + std::to_string(min_points) + "), got " +
         std::to_string(super_min_points));
  share("super_purity", super_purity);
  if (!(ground_outliers >= 0 && ground_outliers < 1)) fail("ground_outliers must be in [0, 1), got " + std::to_string(ground_outliers));
  if (!(disparity_sigma >= 0)) fail("disparity_sigma must be >= 0, got " + std::to_string(disparity_sigma));
  if (!(ground_sigmas > 0 && obstacle_sigmas > ground_sigmas))
    fail("obstacle_sigmas must be above ground_sigmas > 0, got " + std::to_string(obstacle_sigmas) + " and " +
         std::to_string(ground_sigmas));
}

LabelOptions LabelOptions::at_distance(double distance, double camera_height, double focal_baseline) const {
  LabelOptions out = *this;
  if (!(focal_baseline > 0)) return out;
  const double sigma_h = camera_height * distance * disparity_sigma / focal_baseline;
  out.ground_tolerance = std::max(ground_tolerance, ground_sigmas * sigma_h);
  out.obstacle_height = std::max(obstacle_height, obstacle_sigmas * sigma_h);
  return out;
}

torch::Tensor label_windows(const torch::Tensor& heights, const torch::Tensor& boxes, const LabelOptions& options) {
  options.check();
  if (!heights.defined() || heights.dim() != 2 || !heights.is_floating_point())
    throw std::invalid_argument("label_windows: expected an HxW floating-point height map");
  if (!boxes.defined() || boxes.dim() != 2 || boxes.size(1) != 4 || boxes.is_floating_point() ||
      boxes.scalar_type() == torch::kBool)
    throw std::invalid_argument("label_windows: expected Kx4 integer boxes [top, bottom, left, right]");

  const torch::Tensor h = heights.to(torch::kCPU, torch::kFloat32).contiguous();
  const torch::Tensor b = boxes.to(torch::kCPU, torch::kInt64).contiguous();
  const std::int64_t rows = h.size(0), cols = h.size(1), k = b.size(0);

  IntegralCount valid(rows, cols), ground(rows, cols), obstacle(rows, cols);
  {
    const float* row = h.data_ptr<float>();
    const auto tolerance = static_cast<float>(options.ground_tolerance);
    const auto tall = static_cast<float>(options.obstacle_height);
    std::vector<std::int32_t> is_valid(cols), is_ground(cols), is_obstacle(cols);
    for (std::int64_t r = 0; r < rows; ++r, row += cols) {
      for (std::int64_t c = 0; c < cols; ++c) {
        is_valid[c] = std::isfinite(row[c]);
        is_ground[c] = std::abs(row[c]) <= tolerance;  // false for NaN
        is_obstacle[c] = row[c] >= tall && is_valid[c];
      }
      valid.set_row(r, is_valid);
      ground.set_row(r, is_ground);
      obstacle.set_row(r, is_obstacle);
    }
  }
  const auto counts = [&](std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) {
    return Counts{valid.count(top, bottom, left, right), ground.count(top, bottom, left, right),
                  obstacle.count(top, bottom, left, right)};
  };

  const std::int64_t part_points = (options.min_points + 1) / 2;
  torch::Tensor labels = torch::full({k}, kUnlabeled, torch::kInt64);
  std::int64_t* out = labels.data_ptr<std::int64_t>();
  const std::int64_t* box = b.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < k; ++i, box += 4) {
    const std::int64_t top = std::clamp<std::int64_t>(box[0], 0, rows), bottom = std::clamp<std::int64_t>(box[1], 0, rows);
    const std::int64_t left = std::clamp<std::int64_t>(box[2], 0, cols), right = std::clamp<std::int64_t>(box[3], 0, cols);
    if (bottom <= top || right <= left) continue;
    const Counts all = counts(top, bottom, left, right);
    const auto n = static_cast<double>(all.valid);
    if (all.valid < options.min_points) continue;

    const auto lower_rows = static_cast<std::int64_t>(std::ceil(options.footline_base * static_cast<double>(bottom - top)));
    const std::int64_t split = bottom - std::min(lower_rows, bottom - top);
    const Counts lower = counts(split, bottom, left, right);
    const Counts upper = counts(top, split, left, right);
    const bool footline = lower.valid >= part_points && upper.valid >= part_points &&
                          lower.ground >= options.footline_ground_share * static_cast<double>(lower.valid) &&
                          upper.obstacle >= options.obstacle_share * static_cast<double>(upper.valid);
    const bool dense = all.valid >= options.super_min_points;
    if (footline) {
      out[i] = static_cast<std::int64_t>(Traversability::footline);
    } else if (all.obstacle >= options.obstacle_share * n) {
      out[i] = static_cast<std::int64_t>(dense && all.obstacle >= options.super_purity * n ? Traversability::super_obstacle
                                                                                          : Traversability::obstacle);
    } else if (all.obstacle <= options.ground_outliers * n && all.ground >= options.ground_purity * n) {
      out[i] = static_cast<std::int64_t>(dense && all.ground >= options.super_purity * n ? Traversability::super_ground
                                                                                        : Traversability::ground);
    }
  }
  return labels.to(heights.device());
}

}  // namespace vidssl
