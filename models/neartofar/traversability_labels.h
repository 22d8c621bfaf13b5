#pragma once

#include <cstdint>

#include <torch/types.h>

namespace vidssl {

// The five classes Model C learns (DESIGN §8.3), as the class indices of its 5-way classifier.
enum class Traversability : std::int64_t { ground = 0, footline = 1, obstacle = 2, super_ground = 3, super_obstacle = 4 };
constexpr int kTraversabilityClasses = 5;
constexpr std::int64_t kUnlabeled = -1;

// "ground", "footline", "obstacle", "super_ground", "super_obstacle", "unlabeled" (for kUnlabeled),
// "?" for anything else.
const char* traversability_name(std::int64_t label);

// Thresholds of the stereo labels. A window's valid points are its pixels with a finite height h
// above the ground plane; each is a
//   ground point     when |h| ≤ ground_tolerance,
//   obstacle point   when h ≥ obstacle_height,
//   ambiguous point  otherwise (a low step, grass, a kerb, stereo noise, or below the plane).
// Rules, in this order (n: valid points, g: ground points, o: obstacle points of the window):
//   1. n < min_points                                                     → unlabeled
//   2. footline: split the rows into a lower part (the bottom ⌈footline_base·rows⌉ rows) and an
//      upper part (the rest); each part holds ≥ ⌈min_points/2⌉ valid points, the lower part's
//      ground points are ≥ footline_ground_share of its valid points, and the upper part's
//      obstacle points are ≥ obstacle_share of its valid points           → footline
//   3. o ≥ obstacle_share·n                                               → obstacle, or
//      super_obstacle when n ≥ super_min_points and o ≥ super_purity·n
//   4. o ≤ ground_outliers·n and g ≥ ground_purity·n                      → ground, or
//      super_ground when n ≥ super_min_points and g ≥ super_purity·n
//   5. anything else (mostly ambiguous points)                            → unlabeled
// Why footline comes before obstacle: a window at an obstacle's base also holds many obstacle
// points, and the base is what the footline class is for. Why super classes: dense, pure windows
// are the surest labels, which the online learner can weigh up.
//
//   labels: { obstacle_height: 0.25, ground_tolerance: 0.10, min_points: 20 }
struct LabelOptions {
  double obstacle_height = 0.25;       // m above the plane
  double ground_tolerance = 0.10;      // m; |h| ≤ this is ground
  int min_points = 20;                 // fewer valid points: unlabeled
  double ground_purity = 0.95;         // ground: this share of the points is ground
  // ground: at most this share of the points is an obstacle point. Not 0: one stereo mismatch (a
  // Gaussian's 3.5σ tail is 1 point in 2000) would take a road window's label away.
  double ground_outliers = 0.01;
  double obstacle_share = 0.3;         // obstacle: this share of the points is obstacle
  double footline_base = 0.5;          // footline: the lower part's share of the window's rows
  double footline_ground_share = 0.5;  // footline: this share of the lower part's points is ground
  int super_min_points = 100;          // super classes: at least this many valid points
  double super_purity = 0.98;          // super classes: this share of the points is ground (obstacle)
  // Stereo's height noise grows with distance: a disparity error σ_d moves a ground point at depth Z
  // along its ray by Z²σ_d/(f·B), i.e. σ_h = h_cam·Z·σ_d/(f·B) off the plane. Measured on the KITTI
  // road with our matcher at half size: σ_h 0.022 m at 6.5 m, 0.049 m at 13 m, 0.085 m at 17.5 m
  // (σ_d ≈ 0.4 px), so a fixed ±0.10 m takes under 3/4 of the road's points past 15 m and no far
  // road window is ever ground. at_distance() widens both thresholds to these multiples of σ_h.
  double disparity_sigma = 0.4;        // px at the stereo level (0: fixed thresholds)
  double ground_sigmas = 2.5;          // ground tolerance ≥ this many σ_h
  double obstacle_sigmas = 3.5;        // obstacle height ≥ this many σ_h

  // Throws std::invalid_argument naming the first bad option.
  void check() const;
  // These options for windows whose footprint is `distance` m away, seen by a stereo camera
  // `camera_height` m up with focal length × baseline `focal_baseline` (px·m at the stereo level):
  // ground_tolerance = max(ground_tolerance, ground_sigmas·σ_h), obstacle_height likewise.
  //   at 6.5 m: ±0.10 m and 0.25 m (as set); at 30 m: ±0.26 m and 0.36 m (h_cam 1.65, f·B 193).
  LabelOptions at_distance(double distance, double camera_height, double focal_baseline) const;
};

// Labels the windows `boxes` of one frame from its height map (DESIGN §8.3).
// heights: H×W float on any device, NaN (any non-finite value) where there is no stereo point.
// boxes: K×4 integer rows [top, bottom, left, right]: rows [top, bottom) and columns [left, right)
// of the same image, clipped to it (a window that clips to nothing is unlabeled).
// Returns K int64 labels (a Traversability value or kUnlabeled) on the heights' device.
// Counts come from integral images on the CPU: 0.2 ms for 3000 windows over a 620×188 map
// (bench/neartofar_bench.cpp).
//
//   torch::Tensor heights = ground.heights(points, fit.plane);
//   torch::Tensor labels = label_windows(heights, boxes, LabelOptions{});
torch::Tensor label_windows(const torch::Tensor& heights, const torch::Tensor& boxes, const LabelOptions& options);

}  // namespace vidssl
