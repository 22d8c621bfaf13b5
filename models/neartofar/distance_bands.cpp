#include "models/neartofar/distance_bands.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "models/ops/gaussian_pyramid.h"

namespace vidssl {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// |n'_y| of the levelled plane normal: rotating about the optical axis keeps n_z and folds n_x into n_y.
double levelled_up(const Plane& plane) {
  return std::sqrt(plane.normal[0] * plane.normal[0] + plane.normal[1] * plane.normal[1]);
}

// Pixel height of `band_height` metres standing on the ground at depth `distance`.
double band_pixels(double distance, double band_height, const StereoCamera& camera, const Plane& plane) {
  return camera.fy * band_height / (levelled_up(plane) * distance);
}

// Levelled pixel → input pixel: the levelled camera is the input one turned by `roll` about its axis.
std::array<double, 2> unlevel(double u, double v, double roll, const StereoCamera& camera) {
  const double x = (u - camera.cx) / camera.fx, y = (v - camera.cy) / camera.fy;
  const double c = std::cos(roll), s = std::sin(roll);
  return {camera.cx + camera.fx * (c * x + s * y), camera.cy + camera.fy * (-s * x + c * y)};
}

}  // namespace

void DistanceBandsOptions::check() const {
  require(bands >= 1, "bands must be at least 1, got " + std::to_string(bands));
  require(near_distance > 0, "near_distance must be > 0 m, got " + std::to_string(near_distance));
  require(far_distance >= near_distance, "far_distance must be >= near_distance, got " + std::to_string(far_distance));
  require(bands > 1 || far_distance == near_distance, "one band needs far_distance == near_distance");
  require(band_height > 0, "band_height must be > 0 m, got " + std::to_string(band_height));
  require(band_rows >= 1, "band_rows must be at least 1, got " + std::to_string(band_rows));
  require(window_width >= 1, "window_width must be at least 1, got " + std::to_string(window_width));
  require(window_stride >= 1, "window_stride must be at least 1, got " + std::to_string(window_stride));
  require(plain_scale_distance > 0, "plain_scale_distance must be > 0 m, got " + std::to_string(plain_scale_distance));
}

std::vector<double> DistanceBandsOptions::distances() const {
  std::vector<double> d;
  const double ratio = bands > 1 ? std::pow(far_distance / near_distance, 1.0 / (bands - 1)) : 1.0;
  for (int i = 0; i < bands; ++i) d.push_back(near_distance * std::pow(ratio, i));
  return d;
}

std::int64_t Band::windows(const DistanceBandsOptions& options) const {
  const std::int64_t width = image.size(-1);
  return width < options.window_width ? 0 : (width - options.window_width) / options.window_stride + 1;
}

std::array<double, 4> Band::window_box(std::int64_t j, const DistanceBandsOptions& options,
                                       const StereoCamera& camera) const {
  const double left = -0.5 + static_cast<double>(j * options.window_stride) / scale;
  const double right = left + options.window_width / scale;
  const double bottom = top_row + options.band_rows / scale;
  double box[4] = {1e300, -1e300, 1e300, -1e300};
  for (double u : {left, right})
    for (double v : {top_row, bottom}) {
      const auto [ui, vi] = unlevel(u, v, roll, camera);
      box[0] = std::min(box[0], vi);
      box[1] = std::max(box[1], vi);
      box[2] = std::min(box[2], ui);
      box[3] = std::max(box[3], ui);
    }
  return {box[0], box[1], box[2], box[3]};
}

double Band::azimuth(std::int64_t j, const DistanceBandsOptions& options, const StereoCamera& camera) const {
  const double u = -0.5 + (j * options.window_stride + 0.5 * options.window_width) / scale;
  return std::atan((u - camera.cx) / camera.fx);
}

DistanceBands::DistanceBands(DistanceBandsOptions options) : options_(options), normalize_(options.contrast) {
  options_.check();
}

double DistanceBands::level_roll(const Plane& plane) {
  return plane.normal[1] == 0 ? 0.0 : std::atan(plane.normal[0] / plane.normal[1]);
}

double DistanceBands::ground_row(double distance, const StereoCamera& camera, const Plane& plane) {
  const double y = (plane.offset + plane.normal[2] * distance) / levelled_up(plane);
  return camera.cy + camera.fy * y / distance;
}

std::vector<Band> DistanceBands::operator()(const torch::Tensor& image, const StereoCamera& camera,
                                            const Plane& plane) const {
  require(image.dim() == 3 && image.is_floating_point(), "DistanceBands wants a float C×H×W image");
  require(levelled_up(plane) > 0.5, "DistanceBands: the plane's normal is not upright");
  const std::int64_t height = image.size(1), width = image.size(2);
  const double roll = level_roll(plane);
  const double plain_scale =
      options_.band_rows / band_pixels(options_.plain_scale_distance, options_.band_height, camera, plane);

  // Which bands are in the picture, and how far down the pyramid each one reads.
  struct Cut { int index; double distance, scale, ground, top; int level; };
  std::vector<Cut> cuts;
  int deepest = 0;
  const auto distances = options_.distances();
  for (int i = 0; i < options_.bands; ++i) {
    const double d = distances[i];
    const double scale =
        options_.normalize ? options_.band_rows / band_pixels(d, options_.band_height, camera, plane) : plain_scale;
    const double ground = ground_row(d, camera, plane);
    const double top = ground - options_.band_rows / scale;
    if (ground > height - 0.5 || top < -0.5) continue;
    const int level = scale >= 1 ? 0 : static_cast<int>(std::floor(std::log2(1.0 / scale)));
    cuts.push_back({i, d, scale, ground, top, level});
    deepest = std::max(deepest, level);
  }
  if (cuts.empty()) return {};

  // The pyramid stops where a level would fall under 3×3 (GaussianPyramid's rule).
  int levels = 1;
  for (std::int64_t h = height, w = width; levels <= deepest && h >= 3 && w >= 3; ++levels) h = (h + 1) / 2, w = (w + 1) / 2;
  GaussianPyramidOptions pyramid_options;
  pyramid_options.levels = levels;
  const std::vector<torch::Tensor> pyramid = GaussianPyramid(pyramid_options)(image.unsqueeze(0));

  std::vector<Band> bands;
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  for (const Cut& cut : cuts) {
    const int level = std::min(cut.level, levels - 1);
    const torch::Tensor& source = pyramid[level];
    const double step = std::pow(2.0, level);  // input pixels per level pixel (even samples kept)
    const auto band_width = static_cast<std::int64_t>(std::floor(width * cut.scale));
    if (band_width < 1) continue;

    // Levelled pixel centres of the band, turned back into the input image, then into the level.
    const torch::Tensor u = (-0.5 + (torch::arange(band_width, f64) + 0.5) / cut.scale).view({1, -1});
    const torch::Tensor v = (cut.top + (torch::arange(options_.band_rows, f64) + 0.5) / cut.scale).view({-1, 1});
    const torch::Tensor x = (u - camera.cx) / camera.fx, y = (v - camera.cy) / camera.fy;
    const double c = std::cos(roll), s = std::sin(roll);
    const torch::Tensor ui = (camera.cx + camera.fx * (c * x + s * y)) / step;
    const torch::Tensor vi = (camera.cy + camera.fy * (-s * x + c * y)) / step;
    const double wl = static_cast<double>(source.size(3)), hl = static_cast<double>(source.size(2));
    const torch::Tensor grid = torch::stack({2.0 * ui / std::max(wl - 1, 1.0) - 1.0, 2.0 * vi / std::max(hl - 1, 1.0) - 1.0}, -1)
                                   .to(source.options())
                                   .unsqueeze(0);
    namespace F = torch::nn::functional;
    torch::Tensor sampled = F::grid_sample(source, grid,
                                           F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(true));
    Band band;
    band.index = cut.index;
    band.distance = cut.distance;
    band.scale = cut.scale;
    band.ground_row = cut.ground;
    band.top_row = cut.top;
    band.roll = roll;
    band.image = options_.normalize_contrast ? normalize_(sampled.squeeze(0)) : sampled.squeeze(0);
    bands.push_back(std::move(band));
  }
  return bands;
}

}  // namespace vidssl
