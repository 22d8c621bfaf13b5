#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "models/neartofar/near_to_far.h"
#include "models/neartofar/stereo_camera.h"
#include "models/training/checkpoint.h"
#include "pipeline/frame.h"
#include "pipeline/stage.h"
#include "stages/metrics_log.h"

namespace vidssl {

// What the near-to-far stage emits for every frame (the prediction log, the overlay and the
// display read it).
struct NearToFarReport {
  Frame frame;
  NearToFarResult result;
};

//   train: { checkpoint_every: 50, keep_checkpoints: 3 }   # in frames for Model C
struct NearToFarStageOptions {
  std::int64_t checkpoint_every = 50;  // frames; 0: only at the end
  int keep_checkpoints = 3;
  std::string run_dir;                 // checkpoints go to <run_dir>/checkpoints
  std::string config_yaml;             // stored in every checkpoint
};

// Runs Model C (NearToFar) on every stereo frame: one step per frame (labels, a few updates,
// predictions for every band), a metrics.jsonl line per frame, checkpoints every N frames and at
// the end. A frame without a right image stops the run with an error naming the frame: Model C
// needs a stereo source. Frames the model cannot train on (no baseline, no plane, no labels) go on
// to prediction; the reason is in the report and the log.
class NearToFarStage final : public Stage<Frame, NearToFarReport> {
 public:
  NearToFarStage(std::string name, NearToFar& model, StereoCamera camera, NearToFarStageOptions options,
                 MetricsLog* metrics);

  // Loads the model (classifier, optimizer, window buffer) from a checkpoint (or a run folder's
  // newest one). Returns the index of the first source frame it has not seen: the run skips those before.
  std::int64_t resume(const std::string& checkpoint_folder);
  std::string checkpoint();

  std::int64_t frames() const { return frames_; }
  std::int64_t skipped_frames() const { return skipped_frames_; }
  std::optional<std::string> last_checkpoint() const { return last_checkpoint_; }

 protected:
  void process(Frame frame, Outputs<NearToFarReport>& out) override;
  void finish(Outputs<NearToFarReport>& out) override;

 private:
  NearToFar& model_;
  StereoCamera camera_;
  NearToFarStageOptions options_;
  MetricsLog* metrics_;
  CheckpointStore store_;
  std::int64_t frames_ = 0;
  std::int64_t skipped_frames_ = 0;
  std::int64_t next_frame_index_ = 0;
  std::int64_t last_checkpoint_frame_ = -1;
  std::optional<std::string> last_checkpoint_;
};

}  // namespace vidssl
