#pragma once

#include <fstream>
#include <string>

#include "pipeline/stage.h"
#include "stages/near_to_far_stage.h"

namespace vidssl {

// <run>/predictions.jsonl: what Model C saw and predicted, one JSON object per frame, so that a
// robot's planner, a plot or a later evaluation can read every frame's traversability without
// rerunning the model. Keys of each line:
//   frame, time (s, source clock), ms {stereo, plane, labels, bands, train, predict}, ms_total,
//   skipped (why training was skipped, or null), updates, loss,
//   plane {ok, camera_height, pitch, roll, inliers, reason},
//   classes [the five class names, the order of every "p"],
//   bands [{index, distance (m), windows [{azimuth (rad, + right), p [5 probabilities], label (name or null)}]}]
// Each line is flushed as it is written: `tail -f` follows a live run, and a crash loses at most one frame.
class PredictionLog final : public Stage<NearToFarReport> {
 public:
  // append: a resumed run adds its frames after the stopped run's (else the file starts anew).
  PredictionLog(std::string name, std::string path, bool append = false);

  // The JSON object of one frame (without the newline).
  static std::string line(const NearToFarReport& report);
  const std::string& path() const { return path_; }

 protected:
  void process(NearToFarReport report, Outputs<NoOutput>& out) override;

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace vidssl
