#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "pipeline/stage.h"
#include "stages/near_to_far_stage.h"
#include "stages/traversability_overlay.h"

namespace vidssl {

// Writes what Model C shows, per frame, into the run folder: overlay.avi (the predicted classes
// above the stereo labels, on the left image) and topdown.avi (the map in metres), MJPG at the
// source's rate, and overlay.png / topdown.png of the last frame, for a quick look. A resumed run
// (first_frame > 0) writes overlay-from-<first_frame>.avi and topdown-from-….avi beside the
// stopped run's videos: a video cannot be appended to, and the earlier frames are not lost.
class TraversabilityVideo final : public Stage<NearToFarReport> {
 public:
  TraversabilityVideo(std::string name, std::string run_dir, double fps, std::int64_t first_frame = 0);

  // The overlay picture of one report: predictions on top, stereo labels under them (BGR).
  static cv::Mat overlay(const NearToFarReport& report);
  // The frame's left image as BGR (luma or YUV frames).
  static cv::Mat left_bgr(const Frame& frame);

  // Where the videos go: <run>/overlay.avi, or overlay-from-<first frame>.avi when resumed.
  const std::string& overlay_path() const { return overlay_path_; }
  const std::string& top_down_path() const { return top_down_path_; }

 protected:
  void process(NearToFarReport report, Outputs<NoOutput>& out) override;
  void finish(Outputs<NoOutput>& out) override;

 private:
  std::string run_dir_;
  double fps_;
  std::string overlay_path_, top_down_path_;
  cv::VideoWriter overlay_video_, top_down_video_;
  cv::Mat last_overlay_, last_top_down_;
};

}  // namespace vidssl
