#include "models/neartofar/traversability_picture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include <torch/torch.h>

namespace vidssl {
namespace {

std::int64_t argmax(const std::array<float, 5>& p) { return std::max_element(p.begin(), p.end()) - p.begin(); }

double cost(const std::array<float, 5>& p) {
  return p[static_cast<int>(Traversability::obstacle)] + p[static_cast<int>(Traversability::super_obstacle)] +
         0.5 * p[static_cast<int>(Traversability::footline)];
}

// A float 3×H×W picture written pixel by pixel.
class Canvas {
 public:
  explicit Canvas(torch::Tensor rgb) : rgb_(std::move(rgb)), h_(rgb_.size(1)), w_(rgb_.size(2)), data_(rgb_.data_ptr<float>()) {}
  std::int64_t height() const { return h_; }
  std::int64_t width() const { return w_; }
  bool inside(std::int64_t x, std::int64_t y) const { return x >= 0 && y >= 0 && x < w_ && y < h_; }
  float& at(int c, std::int64_t x, std::int64_t y) { return data_[(c * h_ + y) * w_ + x]; }
  void set(std::int64_t x, std::int64_t y, const std::array<float, 3>& colour) {
    if (!inside(x, y)) return;
    for (int c = 0; c < 3; ++c) at(c, x, y) = colour[c];
  }
  // Every pixel whose centre lies inside (or on the edge of) the convex polygon `points`.
  void fill_convex(const std::vector<std::array<double, 2>>& points, const std::array<float, 3>& colour) {
    double x0 = points[0][0], x1 = x0, y0 = points[0][1], y1 = y0;
    for (const auto& p : points) x0 = std::min(x0, p[0]), x1 = std::max(x1, p[0]), y0 = std::min(y0, p[1]), y1 = std::max(y1, p[1]);
    // The polygon's turning direction, so the test works for either order of the corners.
    double area = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const auto& a = points[i];
      const auto& b = points[(i + 1) % points.size()];
      area += a[0] * b[1] - b[0] * a[1];
    }
    const double sign = area >= 0 ? 1 : -1;
    for (auto y = static_cast<std::int64_t>(std::max(0.0, std::floor(y0))); y <= std::min<std::int64_t>(h_ - 1, std::ceil(y1)); ++y)
      for (auto x = static_cast<std::int64_t>(std::max(0.0, std::floor(x0))); x <= std::min<std::int64_t>(w_ - 1, std::ceil(x1)); ++x) {
        bool in = true;
        for (std::size_t i = 0; i < points.size() && in; ++i) {
          const auto& a = points[i];
          const auto& b = points[(i + 1) % points.size()];
          in = sign * ((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])) >= -1e-9;
        }
        if (in) set(x, y, colour);
      }
  }

 private:
  torch::Tensor rgb_;
  std::int64_t h_, w_;
  float* data_;
};

std::string metres(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f m", value);
  return text;
}

}  // namespace

std::array<float, 3> traversability_colour(std::int64_t label) {
  switch (label) {
    case 0: return {60, 200, 60};     // ground
    case 1: return {255, 210, 0};     // footline
    case 2: return {230, 40, 40};     // obstacle
    case 3: return {20, 110, 20};     // super_ground
    case 4: return {130, 20, 20};     // super_obstacle
    default: return {128, 128, 128};
  }
}

Panel traversability_panel(const torch::Tensor& rgb, const NearToFarResult& result, bool stereo_labels) {
  if (rgb.dim() != 3 || rgb.size(0) != 3) throw std::invalid_argument("traversability_panel: expected an RGB 3×H×W picture");
  Panel panel{stereo_labels ? "stereo labels" : "predicted", rgb.to(torch::kCPU, torch::kFloat).contiguous().clone(),
              Panel::Scale::bytes, {}};
  Canvas canvas(panel.image);
  // The class of each painted pixel: a later window overwrites an earlier one, then every painted
  // pixel is blended once, half picture, half colour.
  std::vector<std::int8_t> painted(static_cast<std::size_t>(canvas.width() * canvas.height()), -1);
  for (std::size_t b = 0; b < result.bands.size(); ++b) {
    const BandPrediction& band = result.bands[b];
    if (band.windows.empty()) continue;
    const double bottom = band.windows.front().box[1];
    double top = band.windows.front().box[0];
    if (b + 1 < result.bands.size() && !result.bands[b + 1].windows.empty())
      top = std::max(top, result.bands[b + 1].windows.front().box[1]);
    const double step = band.windows.size() > 1 ? band.windows[1].box[2] - band.windows[0].box[2] : 1.0;
    for (const WindowPrediction& w : band.windows) {
      const std::int64_t label = stereo_labels ? w.label : argmax(w.probabilities);
      if (label < 0 || label >= kTraversabilityClasses) continue;
      // Each window paints the columns nearest its centre, so neighbours tile without overlap.
      const double centre = 0.5 * (w.box[2] + w.box[3]);
      const std::int64_t xa = std::lround(centre - step / 2), xb = std::lround(centre + step / 2) - 1;
      const std::int64_t ya = std::lround(top), yb = std::lround(bottom) - 1;
      for (std::int64_t y = std::max<std::int64_t>(0, std::min(ya, yb)); y <= std::min(canvas.height() - 1, std::max(ya, yb)); ++y)
        for (std::int64_t x = std::max<std::int64_t>(0, std::min(xa, xb)); x <= std::min(canvas.width() - 1, std::max(xa, xb)); ++x)
          painted[static_cast<std::size_t>(y * canvas.width() + x)] = static_cast<std::int8_t>(label);
    }
    if (bottom - top >= 10)  // a distance where the strip is tall enough to read it
      panel.texts.push_back({metres(band.distance), 4.0f, static_cast<float>(bottom - 2)});
  }
  for (std::int64_t y = 0; y < canvas.height(); ++y)
    for (std::int64_t x = 0; x < canvas.width(); ++x) {
      const std::int8_t label = painted[static_cast<std::size_t>(y * canvas.width() + x)];
      if (label < 0) continue;
      const auto colour = traversability_colour(label);
      for (int c = 0; c < 3; ++c) canvas.at(c, x, y) = 0.5f * canvas.at(c, x, y) + 0.5f * colour[c];
    }
  return panel;
}

Panel top_down_panel(const NearToFarResult& result, const TopDownOptions& o) {
  const auto width = static_cast<std::int64_t>(2 * o.half_width * o.px_per_m_across);
  const auto height = static_cast<std::int64_t>(o.depth * o.px_per_m_ahead);
  Panel panel{"top-down (" + metres(o.depth) + ")", torch::full({3, height, width}, 40.0f), Panel::Scale::bytes, {}};
  Canvas canvas(panel.image);
  const auto to_px = [&](double x, double z) -> std::array<double, 2> {
    return {std::round((x + o.half_width) * o.px_per_m_across), std::round(static_cast<double>(height) - z * o.px_per_m_ahead)};
  };
  // Far to near, so that nearer (surer) cells are drawn last.
  for (std::size_t bi = result.bands.size(); bi-- > 0;) {
    const BandPrediction& band = result.bands[bi];
    if (band.windows.size() < 2) continue;
    const double ratio = bi + 1 < result.bands.size() ? result.bands[bi + 1].distance / band.distance
                         : bi > 0                     ? band.distance / result.bands[bi - 1].distance
                                                      : 1.2;
    const double z0 = band.distance / std::sqrt(ratio), z1 = band.distance * std::sqrt(ratio);
    const auto& windows = band.windows;
    for (std::size_t j = 0; j < windows.size(); ++j) {
      const WindowPrediction& w = windows[j];
      // Half the step to the farther neighbour, widened a little so rounding leaves no gaps. The
      // step is taken per window: windows are evenly spaced in the image, so in azimuth their steps
      // grow by 1/cos² towards the centre (one step for the band left stripes of background there).
      const double before = j > 0 ? w.azimuth - windows[j - 1].azimuth : 0, after = j + 1 < windows.size() ? windows[j + 1].azimuth - w.azimuth : 0;
      const double half = 0.6 * std::max(std::abs(before), std::abs(after));
      const float c = static_cast<float>(std::clamp(cost(w.probabilities), 0.0, 1.0));
      const std::array<float, 3> colour{60 + 190 * c, 200 * (1 - c) + 30, 40};
      const double a0 = w.azimuth - half, a1 = w.azimuth + half;
      canvas.fill_convex({to_px(z0 * std::tan(a0), z0), to_px(z0 * std::tan(a1), z0), to_px(z1 * std::tan(a1), z1),
                          to_px(z1 * std::tan(a0), z1)},
                         colour);
    }
  }
  const auto centre = to_px(0, 0);
  const double pi = std::acos(-1.0);
  for (int ring = 10; ring <= o.depth; ring += 10) {
    // The half ring ahead of the camera, sampled finer than a pixel.
    const double ax = ring * o.px_per_m_across, ay = ring * o.px_per_m_ahead;
    const int samples = static_cast<int>(std::ceil(2 * pi * std::max(ax, ay))) + 1;
    for (int i = 0; i <= samples; ++i) {
      const double t = pi + pi * i / samples;
      canvas.set(std::lround(centre[0] + ax * std::cos(t)), std::lround(centre[1] + ay * std::sin(t)), {110, 110, 110});
    }
    if (ring % 20 == 0) {
      const auto at = to_px(0.3, ring + 0.5);
      panel.texts.push_back({std::to_string(ring) + " m", static_cast<float>(at[0]), static_cast<float>(at[1])});
    }
  }
  for (std::int64_t dy = -4; dy <= 4; ++dy)  // the camera
    for (std::int64_t dx = -4; dx <= 4; ++dx)
      if (dx * dx + dy * dy <= 16) canvas.set(std::lround(centre[0]) + dx, std::lround(centre[1]) + dy, {255, 255, 255});
  return panel;
}

}  // namespace vidssl
