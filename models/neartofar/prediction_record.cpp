#include "models/neartofar/prediction_record.h"

#include <cmath>

#include "models/training/json_line.h"

namespace vidssl {

std::string prediction_record(std::int64_t frame, std::int64_t timestamp_us, const NearToFarResult& r) {
  JsonLine ms;
  double total = 0;
  for (const auto& [stage, value] : r.ms) {
    if (stage == "total") {
      total = value;
    } else {
      ms.add(stage, value);
    }
  }
  JsonLine plane;
  plane.add("ok", r.plane_ok)
      .add("camera_height", r.plane.camera_height())
      .add("pitch", r.plane.pitch())
      .add("roll", r.plane.roll())
      .add("inliers", r.plane_fit.inliers);
  if (r.plane_fit.reason.empty()) {
    plane.add_raw("reason", "null");
  } else {
    plane.add("reason", r.plane_fit.reason);
  }
  std::string classes = "[";
  for (int c = 0; c < kTraversabilityClasses; ++c) classes += (c ? ", \"" : "\"") + std::string(traversability_name(c)) + "\"";
  classes += "]";

  std::string bands = "[";
  for (std::size_t b = 0; b < r.bands.size(); ++b) {
    const BandPrediction& band = r.bands[b];
    std::string windows = "[";
    for (std::size_t j = 0; j < band.windows.size(); ++j) {
      const WindowPrediction& w = band.windows[j];
      std::string p = "[";
      for (int c = 0; c < kTraversabilityClasses; ++c) p += (c ? ", " : "") + json_number(std::round(w.probabilities[c] * 1e4) / 1e4);
      p += "]";
      JsonLine window;
      window.add("azimuth", std::round(w.azimuth * 1e5) / 1e5).add_raw("p", p);
      if (w.label == kUnlabeled) {
        window.add_raw("label", "null");
      } else {
        window.add("label", traversability_name(w.label));
      }
      windows += (j ? ", " : "") + window.str();
    }
    windows += "]";
    bands += (b ? ", " : "") + JsonLine().add("index", band.index).add("distance", band.distance).add_raw("windows", windows).str();
  }
  bands += "]";

  JsonLine out;
  out.add("frame", frame).add("time", static_cast<double>(timestamp_us) * 1e-6).add_raw("ms", ms.str()).add("ms_total", total);
  if (r.skipped.empty()) {
    out.add_raw("skipped", "null");
  } else {
    out.add("skipped", r.skipped);
  }
  out.add("updates", r.steps).add("loss", r.loss).add_raw("plane", plane.str()).add_raw("classes", classes).add_raw("bands", bands);
  return out.str();
}

}  // namespace vidssl
