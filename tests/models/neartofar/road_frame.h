#pragma once

#include <array>
#include <cmath>

namespace vidssl::test {

// Road coordinates for building scenes: `lateral` metres to the right, `height` metres up from the
// road, `distance` metres ahead along it, for a camera `camera_height` above the road and pitched and
// rolled as in Plane::from_pose. Built from the camera's axes rather than from the plane formula, so
// tests of that formula compare two independent constructions.
struct RoadFrame {
  std::array<double, 3> right, down, forward;  // unit axes, camera coordinates
  double camera_height = 0;

  // Pitch turns the camera about its x axis, then roll about its own z axis: the road's axes seen
  // from the camera turn the other way.
  static RoadFrame from_pose(double camera_height, double pitch, double roll) {
    const double cp = std::cos(pitch), sp = std::sin(pitch), cr = std::cos(roll), sr = std::sin(roll);
    // The camera's axes in the level frame (x right, y down, z forward): Rx(p)·Rz(r) applied to
    // e_x, e_y, e_z, where Rz(r) turns x towards +y (down) and Rx(p) turns z towards +y.
    const std::array<double, 3> cam_x{cr, sr * cp, -sr * sp};
    const std::array<double, 3> cam_y{-sr, cr * cp, -cr * sp};
    const std::array<double, 3> cam_z{0, sp, cp};
    // The level frame's unit axes expressed in camera coordinates: the transpose.
    RoadFrame frame;
    frame.right = {cam_x[0], cam_y[0], cam_z[0]};
    frame.down = {cam_x[1], cam_y[1], cam_z[1]};
    frame.forward = {cam_x[2], cam_y[2], cam_z[2]};
    frame.camera_height = camera_height;
    return frame;
  }

  std::array<double, 3> to_camera(double lateral, double height, double distance) const {
    const double below = camera_height - height;
    return {lateral * right[0] + below * down[0] + distance * forward[0],
            lateral * right[1] + below * down[1] + distance * forward[1],
            lateral * right[2] + below * down[2] + distance * forward[2]};
  }

  // Inverse of to_camera: {lateral, height, distance}.
  std::array<double, 3> to_road(const std::array<double, 3>& p) const {
    const auto dot = [&p](const std::array<double, 3>& a) { return a[0] * p[0] + a[1] * p[1] + a[2] * p[2]; };
    return {dot(right), camera_height - dot(down), dot(forward)};
  }
};

}  // namespace vidssl::test
