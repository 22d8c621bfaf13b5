#pragma once

namespace vidssl {

// A rectified stereo pair's pinhole geometry (DESIGN §8.1): both cameras share fx, fy, cx, cy;
// the right camera sits `baseline` metres to the right of the left one. Camera coordinates are
// x right, y down, z forward (metres); pixel (row v, column u) sees the ray ((u − cx)/fx, (v − cy)/fy, 1).
//
//   StereoCamera kitti{.fx = 718.856, .fy = 718.856, .cx = 607.1928, .cy = 185.2157,
//                      .baseline = 0.537, .width = 1241, .height = 376};
//   double z = kitti.depth(10.0);            // 38.6 m
//   StereoCamera half = kitti.scaled(0.5);   // for disparities computed on a half-size pair
struct StereoCamera {
  double fx = 0, fy = 0, cx = 0, cy = 0;
  double baseline = 0;  // metres; a usable calibration has baseline > 0
  int width = 0, height = 0;

  // Z = fx·B/d (metres) for a disparity d > 0 (pixels).
  double depth(double disparity) const { return fx * baseline / disparity; }
  double disparity(double depth) const { return fx * baseline / depth; }

  // The same cameras seen through images resized by `factor` (pixel centres at (i + ½)/factor − ½,
  // so the principal point moves by that half-pixel rule, as OpenCV's and torch's area/bilinear resizes do).
  StereoCamera scaled(double factor) const {
    StereoCamera s = *this;
    s.fx = fx * factor;
    s.fy = fy * factor;
    s.cx = (cx + 0.5) * factor - 0.5;
    s.cy = (cy + 0.5) * factor - 0.5;
    s.width = static_cast<int>(width * factor + 0.5);
    s.height = static_cast<int>(height * factor + 0.5);
    return s;
  }
};

}  // namespace vidssl
