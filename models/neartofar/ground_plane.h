#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <torch/types.h>

namespace vidssl {

// The road under the camera, in camera coordinates (x right, y down, z forward, metres):
// height(P) = normal·P + offset is P's signed height above the plane. The normal is a unit vector
// pointing up, so normal.y < 0, and the camera (P = 0) stands `offset` metres above the plane.
struct Plane {
  std::array<double, 3> normal{0, -1, 0};
  double offset = 0;

  // The plane under a camera `camera_height` metres up, pitched down by `pitch` (about its x
  // axis) and then rolled by `roll` about its own z axis (positive: the right side dips, i.e.
  // clockwise seen from behind): normal = (−cos pitch·sin roll, −cos pitch·cos roll, −sin pitch).
  static Plane from_pose(double camera_height, double pitch, double roll);

  double height(double x, double y, double z) const {
    return normal[0] * x + normal[1] * y + normal[2] * z + offset;
  }
  double camera_height() const { return offset; }
  double pitch() const;  // rad, positive when the camera looks down at the plane
  double roll() const;   // rad, positive when the camera's right side is nearer the plane
  // The angle between two planes' normals (rad).
  double angle_to(const Plane& other) const;
};

struct GroundPlaneOptions {
  // The prior: where the camera is mounted. It is the first candidate, and it bounds the fit, so
  // that a wall or a hillside filling the lower image is refused instead of taken for the road.
  double camera_height = 1.65;      // m
  double pitch = 0.0, roll = 0.0;   // rad, as in Plane::from_pose
  double max_height_error = 0.5;    // fits whose camera height is farther than this from the prior's are rejected (m)
  double max_angle_error = 0.2;     // ... or whose normal is farther than this from the prior's (rad)
  // Figures below: 51 KITTI frames at half size, OpenCV SGBM disparities, candidates within 20 m;
  // "jitter" is the mean change of the fitted camera height from frame to frame.
  // RANSAC draws of 3 points, all of them: stopping once some draw is likely all road (the usual
  // rule, 21 draws at KITTI's 65 % inliers) leaves a worse seed for the refinement (jitter 14-18 mm
  // over three seeds instead of 8-12 mm).
  int iterations = 200;
  // A point is an inlier when |height| ≤ inlier_distance. Stereo height noise grows with depth
  // (a disparity error δd moves a road point's height by h·Z·δd/(fx·B)), but within 20 m a band
  // growing with Z (3 cm + 3 mm per metre) gave the same jitter as this fixed one, so it is fixed.
  double inlier_distance = 0.05;    // m
  int min_inliers = 200;
  double min_inlier_fraction = 0.2;  // of the finite candidate points
  int max_points = 20000;           // RANSAC scores candidates on a random subsample of this size
  std::uint64_t seed = 0;           // the subsample and the draws (SplitMix64: the same on every machine)

  // Throws std::invalid_argument naming the first bad option.
  void check() const;
};

// One frame's fit. When !ok, `plane` is the best candidate seen (for logs only) and `reason` says
// in one line why it is refused, e.g. "12 inliers of 340 ground candidates (need 200)".
struct PlaneFit {
  bool ok = false;
  Plane plane;
  std::int64_t inliers = 0;  // points within the inlier distance of `plane`
  std::int64_t points = 0;   // finite candidate points given
  std::string reason;
};

// The ground plane of one stereo frame (DESIGN §8.2), so that labels can be read off heights above
// the road rather than off raw 3-D points. RANSAC over 3-point candidates, seeded by the prior
// (scored first, so a frame that agrees with the mounting keeps it unless a better plane is
// found); candidates outside the prior's bounds are never scored. The best one is refined by total
// least squares over its inliers (the smallest principal axis of their scatter), twice, each time
// with the inliers of the plane before. Frames with too few inliers, too small an inlier fraction,
// or a refined plane out of bounds are refused: the caller skips their labels and logs the reason.
//
//   GroundPlane ground({.camera_height = 1.65, .pitch = 0.0});
//   PlaneFit fit = ground.fit(ground_candidates(points, 20.0, points.size(1) / 2));
//   if (fit.ok) heights = ground.heights(points, fit.plane);   // H×W metres above the road
class GroundPlane {
 public:
  explicit GroundPlane(GroundPlaneOptions options = {});

  // points: N×3 floating point on any device (fitted on the CPU, in double); non-finite rows are
  // dropped. Deterministic for a given seed.
  PlaneFit fit(const torch::Tensor& points) const;

  // 3×H×W points → H×W float32 heights above `plane` on the points' device, NaN where a point is invalid (NaN).
  torch::Tensor heights(const torch::Tensor& points, const Plane& plane) const;

  // The prior as a plane.
  Plane prior() const;
  const GroundPlaneOptions& options() const { return options_; }

 private:
  GroundPlaneOptions options_;
};

}  // namespace vidssl
