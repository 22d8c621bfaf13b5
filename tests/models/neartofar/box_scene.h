#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "models/neartofar/stereo_camera.h"
#include "tests/models/neartofar/road_frame.h"

namespace vidssl::test {

// A flat road with one box on it, seen by a half-size KITTI stereo camera and ray-cast exactly:
// what the stereo labels should find when the matcher is perfect. Road coordinates as in RoadFrame.
struct BoxScene {
  StereoCamera camera{359.428, 359.428, 303.35, 92.36, 0.537, 620, 188};
  double camera_height = 1.65, pitch = 0.02, roll = 0.005;
  double box_left = -1, box_right = 1;   // lateral extent (m)
  double box_near = 10, box_far = 11;    // distance of its front and back faces (m)
  double box_height = 1;                 // m
  int blind_columns = 40;  // the left image's band the right camera does not see: no disparity
  double min_disparity = 0.5;  // px; farther road (near the horizon) has no match either

  struct Render {
    torch::Tensor disparity;  // H×W float32, −1 where there is no match
    torch::Tensor points;     // 3×H×W float32 camera coordinates, NaN where there is no match
    torch::Tensor heights;    // H×W float32 metres above the road, NaN where there is no match
  };

  RoadFrame frame() const { return RoadFrame::from_pose(camera_height, pitch, roll); }

  // Pixel {column u, row v} that sees the road point.
  std::pair<double, double> project(double lateral, double height, double distance) const {
    const std::array<double, 3> p = frame().to_camera(lateral, height, distance);
    return {camera.cx + camera.fx * p[0] / p[2], camera.cy + camera.fy * p[1] / p[2]};
  }

  Render render() const {
    const RoadFrame f = frame();
    const std::int64_t h = camera.height, w = camera.width;
    Render out{torch::full({h, w}, -1.0f), torch::full({3, h, w}, std::numeric_limits<float>::quiet_NaN()),
               torch::full({h, w}, std::numeric_limits<float>::quiet_NaN())};
    auto disparity = out.disparity.accessor<float, 2>();
    auto points = out.points.accessor<float, 3>();
    auto heights = out.heights.accessor<float, 2>();
    const double inf = std::numeric_limits<double>::infinity();
    for (std::int64_t v = 0; v < h; ++v)
      for (std::int64_t u = blind_columns; u < w; ++u) {
        const std::array<double, 3> ray{(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, 1.0};
        const auto along = [&ray](const std::array<double, 3>& axis) {
          return ray[0] * axis[0] + ray[1] * axis[1] + ray[2] * axis[2];
        };
        // The ray in road coordinates (lateral, depth below the camera, distance), from the origin.
        const double d[3] = {along(f.right), along(f.down), along(f.forward)};
        double t = d[1] > 0 ? camera_height / d[1] : inf;
        const double lo[3] = {box_left, camera_height - box_height, box_near};
        const double hi[3] = {box_right, camera_height, box_far};
        double enter = 0, leave = inf;
        for (int a = 0; a < 3; ++a) {
          if (d[a] == 0) {
            if (lo[a] > 0 || hi[a] < 0) leave = -1;
            continue;
          }
          const double t0 = lo[a] / d[a], t1 = hi[a] / d[a];
          enter = std::max(enter, std::min(t0, t1));
          leave = std::min(leave, std::max(t0, t1));
        }
        if (enter <= leave && enter > 0) t = std::min(t, enter);
        if (t == inf) continue;
        const double z = t;  // the ray's z component is 1
        const double d_px = camera.fx * camera.baseline / z;
        if (d_px < min_disparity) continue;
        disparity[v][u] = static_cast<float>(d_px);
        for (int c = 0; c < 3; ++c) points[c][v][u] = static_cast<float>(t * ray[c]);
        heights[v][u] = static_cast<float>(camera_height - t * d[1]);
      }
    return out;
  }
};

}  // namespace vidssl::test
