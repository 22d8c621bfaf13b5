#include "stages/traversability_overlay.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace vidssl {
namespace {

std::int64_t argmax(const std::array<float, 5>& p) {
  return std::max_element(p.begin(), p.end()) - p.begin();
}

double cost(const std::array<float, 5>& p) {
  return p[static_cast<int>(Traversability::obstacle)] + p[static_cast<int>(Traversability::super_obstacle)] +
         0.5 * p[static_cast<int>(Traversability::footline)];
}

}  // namespace

cv::Scalar traversability_colour(std::int64_t label) {
  switch (label) {
    case 0: return {60, 200, 60};    // ground
    case 1: return {0, 210, 255};    // footline
    case 2: return {40, 40, 230};    // obstacle
    case 3: return {20, 110, 20};    // super_ground
    case 4: return {20, 20, 130};    // super_obstacle
    default: return {128, 128, 128};
  }
}

cv::Mat draw_traversability(const cv::Mat& left_bgr, const NearToFarResult& result, bool stereo_labels) {
  cv::Mat paint = left_bgr.clone();
  cv::Mat mask = cv::Mat::zeros(left_bgr.size(), CV_8U);
  cv::Mat out_text = cv::Mat::zeros(left_bgr.size(), CV_8UC3);
  for (std::size_t b = 0; b < result.bands.size(); ++b) {
    const BandPrediction& band = result.bands[b];
    if (band.windows.empty()) continue;
    // The strip from this band's ground line up to the next band's (or the band's top).
    const double bottom = band.windows.front().box[1];
    double top = band.windows.front().box[0];
    if (b + 1 < result.bands.size() && !result.bands[b + 1].windows.empty())
      top = std::max(top, result.bands[b + 1].windows.front().box[1]);
    const double step = band.windows.size() > 1 ? band.windows[1].box[2] - band.windows[0].box[2] : 1.0;
    for (const WindowPrediction& w : band.windows) {
      const std::int64_t label = stereo_labels ? w.label : argmax(w.probabilities);
      if (label == kUnlabeled) continue;
      // Each window paints the columns nearest its centre, so neighbours tile without overlap.
      const double centre = 0.5 * (w.box[2] + w.box[3]);
      const cv::Point p0(static_cast<int>(std::lround(centre - step / 2)), static_cast<int>(std::lround(top)));
      const cv::Point p1(static_cast<int>(std::lround(centre + step / 2)) - 1, static_cast<int>(std::lround(bottom)) - 1);
      cv::rectangle(paint, p0, p1, traversability_colour(label), cv::FILLED);
      cv::rectangle(mask, p0, p1, 255, cv::FILLED);
    }
    if (bottom - top >= 10) {  // a distance where the strip is tall enough to read it
      char text[32];
      std::snprintf(text, sizeof(text), "%.0f m", band.distance);
      cv::putText(out_text, text, {4, static_cast<int>(bottom) - 2}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {255, 255, 255}, 1, cv::LINE_AA);
    }
  }
  cv::Mat out = left_bgr.clone();
  cv::Mat blended;
  cv::addWeighted(left_bgr, 0.5, paint, 0.5, 0, blended);
  blended.copyTo(out, mask);
  cv::Mat text_mask;
  cv::cvtColor(out_text, text_mask, cv::COLOR_BGR2GRAY);
  out_text.copyTo(out, text_mask);
  cv::putText(out, stereo_labels ? "stereo labels" : "predicted", {4, 14}, cv::FONT_HERSHEY_SIMPLEX, 0.5, {255, 255, 255}, 1, cv::LINE_AA);
  return out;
}

cv::Mat draw_top_down(const NearToFarResult& result, const TopDownOptions& o) {
  const int width = static_cast<int>(2 * o.half_width * o.px_per_m_across);
  const int height = static_cast<int>(o.depth * o.px_per_m_ahead);
  cv::Mat map(height, width, CV_8UC3, cv::Scalar(40, 40, 40));
  const auto to_px = [&](double x, double z) {
    return cv::Point(static_cast<int>(std::lround((x + o.half_width) * o.px_per_m_across)),
                     static_cast<int>(std::lround(height - z * o.px_per_m_ahead)));
  };
  // Far to near, so that nearer (surer) cells are drawn last.
  for (std::size_t bi = result.bands.size(); bi-- > 0;) {
    const BandPrediction& band = result.bands[bi];
    if (band.windows.size() < 2) continue;
    const double ratio = bi + 1 < result.bands.size() ? result.bands[bi + 1].distance / band.distance
                         : bi > 0                     ? band.distance / result.bands[bi - 1].distance
                                                      : 1.2;
    const double z0 = band.distance / std::sqrt(ratio), z1 = band.distance * std::sqrt(ratio);
    // Half the step between window centres, widened a little so rounding leaves no gaps between cells.
    const double half = 0.6 * std::abs(band.windows[1].azimuth - band.windows[0].azimuth);
    for (const WindowPrediction& w : band.windows) {
      const double c = std::clamp(cost(w.probabilities), 0.0, 1.0);
      const cv::Scalar colour(40, 200 * (1 - c) + 30, 60 + 190 * c);
      std::vector<cv::Point> cell;
      for (double z : {z0, z1})
        for (double a : {w.azimuth - half, w.azimuth + half}) cell.push_back(to_px(z * std::tan(a), z));
      std::swap(cell[2], cell[3]);  // a quadrilateral in order
      cv::fillConvexPoly(map, cell, colour);
    }
  }
  for (int ring = 10; ring <= o.depth; ring += 10) {
    const cv::Point c = to_px(0, 0);
    cv::ellipse(map, c, {static_cast<int>(ring * o.px_per_m_across), static_cast<int>(ring * o.px_per_m_ahead)}, 0, 180, 360,
                {110, 110, 110}, 1, cv::LINE_AA);
    if (ring % 20 == 0)
      cv::putText(map, std::to_string(ring) + " m", to_px(0.3, ring + 0.5), cv::FONT_HERSHEY_SIMPLEX, 0.35, {200, 200, 200}, 1, cv::LINE_AA);
  }
  cv::circle(map, to_px(0, 0), 4, {255, 255, 255}, cv::FILLED);
  return map;
}

}  // namespace vidssl
