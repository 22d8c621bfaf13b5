#include "models/neartofar/ground_plane.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "models/split_mix64.h"

namespace vidssl {
namespace {

constexpr double kDegreesPerRadian = 180.0 / 3.14159265358979323846;

// Candidate points as columns, so that scoring a plane is one vectorizable pass over three arrays.
struct PointSet {
  std::vector<double> x, y, z;
  std::size_t size() const { return x.size(); }
  void push(double px, double py, double pz) {
    x.push_back(px);
    y.push_back(py);
    z.push_back(pz);
  }
  bool within(std::size_t i, const Plane& plane, double distance) const {
    return std::abs(plane.height(x[i], y[i], z[i])) <= distance;
  }
  std::int64_t count_within(const Plane& plane, double distance) const {
    std::int64_t count = 0;
    for (std::size_t i = 0; i < size(); ++i) count += within(i, plane, distance);
    return count;
  }
};

template <typename... Args>
std::string format(const char* pattern, Args... args) {
  char text[160];
  std::snprintf(text, sizeof text, pattern, args...);
  return text;
}

// Unit normal turned to point up (y is down); nullopt for (nearly) collinear points.
std::optional<Plane> plane_through(const PointSet& p, std::size_t i, std::size_t j, std::size_t k) {
  const double ax = p.x[j] - p.x[i], ay = p.y[j] - p.y[i], az = p.z[j] - p.z[i];
  const double bx = p.x[k] - p.x[i], by = p.y[k] - p.y[i], bz = p.z[k] - p.z[i];
  double nx = ay * bz - az * by, ny = az * bx - ax * bz, nz = ax * by - ay * bx;
  const double norm = std::sqrt(nx * nx + ny * ny + nz * nz);
  // The cross product's norm is twice the triangle's area: below 1 cm² the normal is mostly noise.
  if (!(norm > 2e-4)) return std::nullopt;
  const double sign = ny > 0 ? -1.0 : 1.0;
  nx *= sign / norm;
  ny *= sign / norm;
  nz *= sign / norm;
  Plane plane;
  plane.normal = {nx, ny, nz};
  plane.offset = -(nx * p.x[i] + ny * p.y[i] + nz * p.z[i]);
  return plane;
}

}  // namespace

Plane Plane::from_pose(double camera_height, double pitch, double roll) {
  Plane plane;
  plane.normal = {-std::cos(pitch) * std::sin(roll), -std::cos(pitch) * std::cos(roll), -std::sin(pitch)};
  plane.offset = camera_height;
  return plane;
}

double Plane::pitch() const { return std::atan2(-normal[2], std::hypot(normal[0], normal[1])); }

double Plane::roll() const { return std::atan2(-normal[0], -normal[1]); }

double Plane::angle_to(const Plane& other) const {
  const double dot = normal[0] * other.normal[0] + normal[1] * other.normal[1] + normal[2] * other.normal[2];
  return std::acos(std::clamp(dot, -1.0, 1.0));
}

void GroundPlaneOptions::check() const {
  const auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  const double quarter_turn = 0.5 * 3.14159265358979323846;
  if (!(camera_height > 0)) fail("camera_height must be positive, got " + std::to_string(camera_height));
  if (!(std::abs(pitch) < quarter_turn)) fail("pitch must be within ±π/2 rad, got " + std::to_string(pitch));
  if (!(std::abs(roll) < quarter_turn)) fail("roll must be within ±π/2 rad, got " + std::to_string(roll));
  if (!(max_height_error > 0)) fail("max_height_error must be positive, got " + std::to_string(max_height_error));
  if (!(max_angle_error > 0 && max_angle_error < quarter_turn))
    fail("max_angle_error must be in (0, π/2) rad, got " + std::to_string(max_angle_error));
  if (iterations < 0) fail("plane_iterations (RANSAC draws) must be at least 0, got " + std::to_string(iterations));
  if (!(inlier_distance > 0)) fail("inlier_distance must be positive, got " + std::to_string(inlier_distance));
  if (min_inliers < 3) fail("min_inliers must be at least 3, got " + std::to_string(min_inliers));
  if (!(min_inlier_fraction >= 0 && min_inlier_fraction <= 1))
    fail("min_inlier_fraction must be in [0, 1], got " + std::to_string(min_inlier_fraction));
  if (max_points < 3) fail("max_points must be at least 3, got " + std::to_string(max_points));
}

GroundPlane::GroundPlane(GroundPlaneOptions options) : options_(options) { options_.check(); }

Plane GroundPlane::prior() const { return Plane::from_pose(options_.camera_height, options_.pitch, options_.roll); }

PlaneFit GroundPlane::fit(const torch::Tensor& points) const {
  if (!points.defined() || points.dim() != 2 || points.size(1) != 3 || !points.is_floating_point())
    throw std::invalid_argument("GroundPlane::fit: expected Nx3 floating-point points");
  const torch::Tensor cpu = points.to(torch::kCPU, torch::kFloat64).contiguous();
  const double* data = cpu.data_ptr<double>();
  PointSet all;
  for (std::int64_t i = 0; i < cpu.size(0); ++i, data += 3)
    if (std::isfinite(data[0]) && std::isfinite(data[1]) && std::isfinite(data[2])) all.push(data[0], data[1], data[2]);

  const GroundPlaneOptions& o = options_;
  const Plane prior_plane = prior();
  PlaneFit result;
  result.plane = prior_plane;
  result.points = static_cast<std::int64_t>(all.size());
  const auto need = std::max<std::int64_t>(
      o.min_inliers, static_cast<std::int64_t>(std::ceil(o.min_inlier_fraction * static_cast<double>(result.points))));

  const auto within_prior = [&](const Plane& plane) {
    return std::abs(plane.offset - o.camera_height) <= o.max_height_error &&
           plane.angle_to(prior_plane) <= o.max_angle_error;
  };

  if (result.points < o.min_inliers) {
    result.reason = std::to_string(result.points) + " ground candidates (need " + std::to_string(o.min_inliers) + ")";
    return result;
  }

  // RANSAC on a subsample: a partial Fisher–Yates shuffle picks it without repeats.
  SplitMix64 rng(o.seed);
  PointSet sample;
  if (all.size() <= static_cast<std::size_t>(o.max_points)) {
    sample = all;
  } else {
    std::vector<std::size_t> order(all.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = 0; i < static_cast<std::size_t>(o.max_points); ++i) {
      std::swap(order[i], order[i + rng.below(order.size() - i)]);
      sample.push(all.x[order[i]], all.y[order[i]], all.z[order[i]]);
    }
  }
  Plane best = prior_plane;
  std::int64_t best_count = sample.count_within(best, o.inlier_distance);
  const std::size_t m = sample.size();
  for (int iteration = 0; iteration < o.iterations; ++iteration) {
    const std::size_t i = rng.below(m), j = rng.below(m), k = rng.below(m);
    if (i == j || j == k || i == k) continue;
    const std::optional<Plane> candidate = plane_through(sample, i, j, k);
    if (!candidate || !within_prior(*candidate)) continue;
    const std::int64_t count = sample.count_within(*candidate, o.inlier_distance);
    if (count > best_count) {
      best = *candidate;
      best_count = count;
    }
  }

  // Total least squares over the inliers of the plane before: the normal is the scatter's
  // smallest principal axis. Twice, because the first refit gathers inliers the 3-point plane missed.
  std::vector<std::size_t> inliers;
  for (int round = 0; round < 2; ++round) {
    inliers.clear();
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all.within(i, best, o.inlier_distance)) inliers.push_back(i);
    if (inliers.size() < 3) break;
    double c[3] = {0, 0, 0};
    for (std::size_t i : inliers) {
      c[0] += all.x[i];
      c[1] += all.y[i];
      c[2] += all.z[i];
    }
    for (double& mean : c) mean /= static_cast<double>(inliers.size());
    double scatter[3][3] = {};
    for (std::size_t i : inliers) {
      const double d[3] = {all.x[i] - c[0], all.y[i] - c[1], all.z[i] - c[2]};
      for (int r = 0; r < 3; ++r)
        for (int s = 0; s < 3; ++s) scatter[r][s] += d[r] * d[s];
    }
    const torch::Tensor matrix = torch::from_blob(scatter, {3, 3}, torch::kFloat64).clone();
    // Eigenvalues come in ascending order: column 0 is the smallest axis.
    const torch::Tensor axis = std::get<1>(torch::linalg_eigh(matrix, "L")).select(1, 0).contiguous();
    const double* a = axis.data_ptr<double>();
    const double sign = a[1] > 0 ? -1.0 : 1.0;
    Plane refined;
    refined.normal = {sign * a[0], sign * a[1], sign * a[2]};
    refined.offset = -(refined.normal[0] * c[0] + refined.normal[1] * c[1] + refined.normal[2] * c[2]);
    best = refined;
  }

  result.plane = best;
  result.inliers = all.count_within(best, o.inlier_distance);
  if (result.inliers < need) {
    result.reason = std::to_string(result.inliers) + " inliers of " + std::to_string(result.points) +
                    " ground candidates (need " + std::to_string(need) + ")";
  } else if (std::abs(best.offset - o.camera_height) > o.max_height_error) {
    result.reason = format("the camera stands %.2f m above the fitted plane, %.2f m from the prior (max %.2f)",
                           best.offset, std::abs(best.offset - o.camera_height), o.max_height_error);
  } else if (best.angle_to(prior_plane) > o.max_angle_error) {
    result.reason = format("the fitted normal is %.1f° from the prior's (max %.1f°)",
                           best.angle_to(prior_plane) * kDegreesPerRadian, o.max_angle_error * kDegreesPerRadian);
  } else {
    result.ok = true;
  }
  return result;
}

torch::Tensor GroundPlane::heights(const torch::Tensor& points, const Plane& plane) const {
  if (!points.defined() || points.dim() != 3 || points.size(0) != 3 || !points.is_floating_point())
    throw std::invalid_argument("GroundPlane::heights: expected 3xHxW floating-point points");
  const torch::Tensor p = points.to(torch::kFloat32);
  return (p[0] * plane.normal[0]).add_(p[1], plane.normal[1]).add_(p[2], plane.normal[2]).add_(plane.offset);
}

}  // namespace vidssl
