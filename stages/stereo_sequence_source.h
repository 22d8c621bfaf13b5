#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "models/neartofar/stereo_camera.h"
#include "stages/frame_pacer.h"
#include "stages/frame_source.h"
#include "stages/source_geometry.h"

namespace vidssl {

// Rectified stereo pairs from a folder laid out as the KITTI odometry sequences are (DESIGN §4), the
// input of the near-to-far model: it needs both images of a pair and the cameras' geometry to turn
// disparities into metres.
//
//   DIR/left/*.png, DIR/right/*.png   one pair per file name, in name order (both folders must hold
//                                     the same names)
//   DIR/calib.txt                     the 3×4 projection matrices P0 (left) and P1 (right), 12 numbers
//                                     a line, row-major: either two bare lines, or KITTI's named lines
//                                     ("P0: …", "P1: …", also P2, P3, Tr, which are ignored)
//   DIR/times.txt                     optional: each frame's time in seconds, one a line (KITTI's)
//
// camera(): fx = P0[0], fy = P0[5], cx = P0[2], cy = P0[6], baseline = −P1[3]/P1[0] (metres, since
// P1[3] = −fx·B). A baseline ≤ 0 is accepted here: whoever uses the disparities decides what to do
// with a calibration that cannot give depth.
//
// Frames: image = left, right = right, C×H×W uint8 (channels 1: luma; 3: YUV at full resolution as
// OpenCV's BGR→YUV gives it, grey PNGs with neutral chroma 128); index = k, the pair's place in
// name order; timestamp k/fps, or times.txt. A size asked for (source.width/height) fits both images as
// source.fit says (area averaging when shrinking, bilinear otherwise) and the camera with them: fx
// by the horizontal factor, fy by the vertical one, cx and cy moved by the crop or the bars, so
// every fit (stretch too) keeps disparities and rays consistent.
//
// A folder that cannot be a sequence throws SourceError at open (no folder, no left/ or right/, no
// PNG, names that differ, calib.txt missing or not 2×12 numbers with fx, fy > 0, no pair that
// decodes). A pair that cannot be decoded, whose images differ in size, or of another size than the
// first good pair is skipped with a warning naming the file, counted, and the sequence goes on: one
// bad file of a long drive must not end it. Its index is left out, and the pairs after it start a
// new clip (clip_id + 1, clip_frame from 0), so that no learner pairs frames across the hole.
//
//   StereoSequenceSource source({.path = "kitti-rural-stereo", .width = 620, .height = 188});
//   Frame frame;
//   while (source.read(frame)) match(frame.image, frame.right);   // 1×188×620 uint8 each
//   double z = source.camera().depth(10.0);
class StereoSequenceSource final : public FrameSource {
 public:
  explicit StereoSequenceSource(SourceOptions source, double fps = 10);

  bool read(Frame& frame) override;
  const SourceInfo& info() const override { return info_; }

  // The cameras at the output size.
  const StereoCamera& camera() const { return camera_; }
  // The cameras as calib.txt gives them, at the size of the PNGs.
  const StereoCamera& native_camera() const { return native_camera_; }

 private:
  // Pair k as decoded; an empty string, or what is wrong with it, naming the file.
  std::string decode_pair(std::size_t k, cv::Mat& left, cv::Mat& right) const;
  void skip(std::size_t k, const std::string& problem);

  SourceOptions options_;
  SourceInfo info_;
  StereoCamera camera_;
  StereoCamera native_camera_;
  FitPlan plan_;
  std::string left_dir_, right_dir_;
  std::vector<std::string> names_;
  std::vector<std::int64_t> times_us_;  // empty: k / fps
  double fps_;
  torch::Tensor first_left_, first_right_;  // decoded at open to learn the size; delivered by the first read
  std::size_t next_ = 0;         // the next pair to read
  std::int64_t delivered_ = 0;
  std::int64_t skipped_ = 0;
  bool gap_ = false;             // a pair was skipped since the last one delivered
  std::int32_t clip_ = 0;
  std::size_t clip_start_ = 0;
  FramePacer pacer_;
};

}  // namespace vidssl
