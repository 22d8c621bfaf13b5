#pragma once

#include <torch/types.h>

#include "models/neartofar/stereo_camera.h"

namespace vidssl {

// The 3-D point each pixel of a disparity map sees (DESIGN §8.1-8.2), so that the ground plane and
// the labels work in metres rather than in pixels: for a disparity d > 0 at row v, column u,
//   Z = fx·B/d,   X = (u − cx)·Z/fx,   Y = (v − cy)·Z/fy      (x right, y down, z forward).
// disparity: H×W float32 on any device, any value ≤ 0 (or NaN) meaning no match. Returns 3×H×W
// float32 (X, Y, Z) on the same device, NaN in all three where the disparity is invalid. A camera
// with a size must have the disparity's size: a mismatch means it was not scaled with the images.
//
//   StereoCamera half = kitti.scaled(0.5);
//   torch::Tensor points = disparity_to_points(disparity, half);           // 3×188×620
//   torch::Tensor road = ground_candidates(points, 20.0, half.height / 2); // N×3
torch::Tensor disparity_to_points(const torch::Tensor& disparity, const StereoCamera& camera);

// The points a ground-plane fit starts from: those of rows ≥ row_begin (the lower image, where the
// road is) that are finite and at most max_depth metres ahead (stereo depth error grows as Z², so
// far points would mostly add noise). points: 3×H×W; returns N×3 in row-major pixel order on the
// points' device (0×3 when none qualify).
torch::Tensor ground_candidates(const torch::Tensor& points, double max_depth, int row_begin);

}  // namespace vidssl
