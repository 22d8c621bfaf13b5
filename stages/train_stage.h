#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/training/checkpoint.h"
#include "models/training/online_learner.h"
#include "models/training/replay_buffer.h"
#include "pipeline/frame.h"
#include "pipeline/stage.h"
#include "stages/metrics_log.h"

namespace vidssl {

// What the train stage emits after every step (the display taps the newest one).
struct TrainReport {
  LearnerStep step;
  Frame frame;                 // the frame that completed the newest clip
  std::vector<Panel> panels;   // made at most every panel_interval_s; empty otherwise
  double steps_per_s = 0;      // over the last second or so
};

// Trains one model online (DESIGN §9): consecutive frames of the same clip become training clips
// (a clip never spans a clip boundary, a dropped frame or a scene cut), each clip enters the replay buffer,
// and every frame gives `steps_per_frame` updates on a batch drawn from it. It writes a
// metrics.jsonl line per step and checkpoints every `checkpoint_every` steps and at the end.
//
// A non-finite loss skips the step (counted in metrics.jsonl as "skipped"); after
// `max_nonfinite` such steps in a row the learner is restored from the last checkpoint.
//
//   train: { batch: 8, replay_capacity: 256, steps_per_frame: 1, checkpoint_every: 500,
//            keep_checkpoints: 3, max_steps: -1 }
struct TrainStageOptions {
  std::int64_t steps_per_frame = 1;
  std::int64_t max_steps = -1;  // the stage ends the run when reached; -1: no limit
  std::int64_t checkpoint_every = 500;
  int keep_checkpoints = 3;
  int max_nonfinite = 5;
  double panel_interval_s = 0.1;
  // A scene cut ends the clip in progress: consecutive decoded frames whose mean absolute
  // difference exceeds this share of the 0..255 range (0: no detection; stages/scene_cut.h).
  double scene_cut = 0.0;
  std::string run_dir;          // checkpoints go to <run_dir>/checkpoints
  std::string config_yaml;      // stored in every checkpoint
  ReplayBufferOptions replay;
};

class TrainStage final : public Stage<Frame, TrainReport> {
 public:
  TrainStage(std::string name, OnlineLearner& learner, TrainStageOptions options, MetricsLog* metrics);

  // Continues from a checkpoint folder written by a TrainStage: learner, replay buffer, the frames
  // of the clip in progress and the counters. Returns the source index of the next frame to train on.
  std::int64_t resume(const std::string& checkpoint_folder);
  // Writes a checkpoint of the current state now.
  std::string checkpoint();

  std::int64_t steps() const { return steps_; }
  std::int64_t skipped_steps() const { return skipped_total_; }
  std::int64_t scene_cuts() const { return scene_cuts_; }
  std::optional<std::string> last_checkpoint() const { return last_checkpoint_; }

 protected:
  void process(Frame frame, Outputs<TrainReport>& out) override;
  void finish(Outputs<TrainReport>& out) override;

 private:
  // stages/scene_cut.h's test, counted and logged as a scene_cut event.
  bool is_scene_cut(const Frame& previous, const Frame& frame);
  void train_once(const Frame& frame, Outputs<TrainReport>& out);
  void log_step(const LearnerStep& step, const Frame& frame);
  void restore_last_good();

  OnlineLearner& learner_;
  TrainStageOptions options_;
  MetricsLog* metrics_;
  CheckpointStore store_;
  ReplayBuffer replay_;
  std::deque<Frame> history_;  // the newest frames of the current clip, at most clip_length
  std::int64_t steps_ = 0;
  std::int64_t scene_cuts_ = 0;
  std::int64_t skipped_total_ = 0;
  int skipped_in_a_row_ = 0;
  std::int64_t next_frame_index_ = 0;   // first source frame not yet used for training
  std::int64_t last_checkpoint_step_ = -1;
  std::optional<std::string> last_checkpoint_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_panels_;
  std::deque<std::chrono::steady_clock::time_point> recent_steps_;
};

}  // namespace vidssl
