#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "models/neartofar/ground_plane.h"
#include "models/neartofar/stereo_camera.h"
#include "models/ops/contrast_normalizer.h"

namespace vidssl {

// The geometric ladder of distances and the band shape (DESIGN §8.4).
//
//   neartofar: { bands: 10, near_distance: 4, far_distance: 100, band_height: 1.5, band_rows: 12 }
struct DistanceBandsOptions {
  int bands = 10;               // distances D_i on a geometric ladder from near to far
  double near_distance = 4.0;   // m: D_0 (depth of the band's ground line)
  double far_distance = 100.0;  // m: D_{bands−1}
  double band_height = 1.5;     // m: what a band spans above the ground at its distance
  int band_rows = 12;           // pixel rows of every band after rescaling (the classifier's window height)
  int window_width = 25;        // the classifier's window, band pixels
  int window_stride = 4;        // between windows (the classifier's pooling stride)
  // false: "plain pyramid bands", the ablation of LAGR's claim. Every band is cut at one fixed scale
  // (that of the band at `plain_scale_distance`), band_rows high and standing on the same ground
  // line, so an object's pixel height falls as 1/distance, as in an image pyramid level.
  bool normalize = true;
  double plain_scale_distance = 15.0;
  bool normalize_contrast = true;  // false leaves the bands in the input's levels (tests, displays)
  ContrastNormalizerOptions contrast;

  // std::invalid_argument naming the option.
  void check() const;
  std::vector<double> distances() const;
};

// One band, cut from the levelled image. Coordinates: pixel centres at integers, rows down.
struct Band {
  int index = 0;             // on the ladder
  double distance = 0;       // m: depth of the ground line
  double scale = 1;          // band pixels per image pixel
  double ground_row = 0;     // row of the ground line in the levelled image (where the band's bottom edge lies)
  double top_row = 0;        // row of the band's top edge in the levelled image
  double roll = 0;           // rad: the image was rotated by this about the principal point to level the horizon
  torch::Tensor image;       // C×band_rows×W_b, contrast-normalized

  std::int64_t windows(const DistanceBandsOptions& options) const;
  // The axis-aligned box of window j in the (unlevelled) input image: {top, bottom, left, right},
  // edges in pixel units (pixel i spans [i − ½, i + ½]).
  std::array<double, 4> window_box(std::int64_t j, const DistanceBandsOptions& options, const StereoCamera& camera) const;
  // rad, positive to the right, of window j's centre column.
  double azimuth(std::int64_t j, const DistanceBandsOptions& options, const StereoCamera& camera) const;
};

// Distance-normalized bands (Hadsell et al., JFR 2009, "Learning long-range vision for autonomous
// off-road driving"): the ground plane levels the horizon and tells which image row sees the
// ground at each distance D_i; the band standing on that row and spanning `band_height` metres
// above the ground is rescaled to `band_rows` pixels. Why: an object of a given size then has the
// same pixel height in every band (band_rows · size / band_height), so a classifier trained on
// near bands, where stereo gives labels, sees far objects at the same scale and can generalize.
// Each band is sampled from the Gaussian pyramid level just finer than its scale (no aliasing
// when near bands are shrunk 10×), then contrast-normalized.
//
//   DistanceBands cut({.near_distance = 7, .far_distance = 60});
//   std::vector<Band> bands = cut(image, camera, plane);  // image: float C×H×W in [0, 1], any device
//
// Bands whose ground line lies below the image, or whose top lies above it, are left out.
class DistanceBands {
 public:
  explicit DistanceBands(DistanceBandsOptions options = {});

  std::vector<Band> operator()(const torch::Tensor& image, const StereoCamera& camera, const Plane& plane) const;

  // Row (levelled image) where the ground at depth `distance` lies, and the roll that levels it.
  static double ground_row(double distance, const StereoCamera& camera, const Plane& plane);
  static double level_roll(const Plane& plane);

  const DistanceBandsOptions& options() const { return options_; }

 private:
  DistanceBandsOptions options_;
  ContrastNormalizer normalize_;
};

}  // namespace vidssl
