#pragma once

#include <cstdint>
#include <utility>

#include <torch/types.h>

#include "models/neartofar/stereo_camera.h"

namespace vidssl::bench {

// A stereo camera driving down a textured road lined with boxes, ray-cast for any frame size: the
// input of vidssl_core_bench on a machine that has no video decoder and no data set (the GPU
// machine). The texture is fixed to the world, so the left and right pictures of one frame are a
// true stereo pair (Model C finds the ground and the boxes in them) and consecutive frames show the
// same scene moved (Models A and B see motion, not noise).
//
//   RoadScene scene(road_camera(640, 480));
//   auto [left, right] = scene.render(t, 3);   // 3×480×640 uint8 YUV, neutral chroma
class RoadScene {
 public:
  explicit RoadScene(StereoCamera camera, std::uint64_t seed = 1) : camera_(camera), seed_(seed) {}

  const StereoCamera& camera() const { return camera_; }
  double camera_height() const { return camera_height_; }

  // Frame t, left and right: channels×H×W uint8, channel 0 the luma, the others 128.
  std::pair<torch::Tensor, torch::Tensor> render(std::int64_t t, int channels) const;

 private:
  torch::Tensor render_view(double x, double z, int channels) const;

  StereoCamera camera_;
  std::uint64_t seed_;
  double camera_height_ = 1.65;  // m, level camera (no pitch): KITTI's mount, Model C's prior
  double speed_ = 0.5;           // m per frame: 15 m/s at 30 frames/s
};

// A KITTI-like camera at width×height: KITTI's focal length relative to the width (fx = 0.58 W),
// the horizon a little above the middle, KITTI's 0.537 m baseline.
StereoCamera road_camera(int width, int height);

}  // namespace vidssl::bench
