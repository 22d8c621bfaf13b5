#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/distributed/data_parallel.h"
#include "models/training/checkpoint.h"
#include "models/training/learner.h"
#include "pipeline/frame.h"
#include "pipeline/stage.h"
#include "stages/metrics_log.h"

namespace vidssl {

// What a learner stage emits after every frame (the display taps the newest one; a learner's
// videos are written from every one).
struct LearnerReport {
  std::string learner;               // the learner's name (its entry under `models:`)
  std::int64_t frame_index = -1;     // the frame it consumed
  LearnerUpdate update;
  std::vector<Panel> panels;         // when asked for: at the display's interval, or every frame for videos
  std::int64_t steps = 0;            // updates so far
  double steps_per_s = 0;            // over the last second or so
  std::uint64_t dropped = 0;         // frames of the stream it never got: dropped on its edge or before it
};

// How a learner's training is judged healthy, and what is done when it is not (one rule, here):
//   - a step is unhealthy when its loss is not finite (the learner made no update) or above
//     `divergence` × the median of the last `health_window` healthy losses (from the first on:
//     training lowers a loss, a tenfold rise over the start is a divergence);
//   - a due checkpoint is taken (in memory) only when the last min(`health_window`, steps since
//     the start or the last rollback) steps were healthy and the learner's weights_problem() is
//     empty, and written once the first loss computed from that state is healthy too (a state
//     ruined by one finite update is never written); the final one at the end of the run is
//     written when its weights are fit and the steps before it were healthy;
//   - `max_nonfinite` unhealthy steps in a row, or weights unfit at a due checkpoint, roll back:
//     the last checkpoint (or the state the run started from) is restored and the learning rate
//     multiplied by `rollback_lr_factor`; the rollback after `max_rollbacks` of them ends the run
//     with an error naming the cause instead.
//
//   models:
//     neartofar:
//       videos: true
//       train: { checkpoint_every: 500, keep_checkpoints: 3, max_nonfinite: 5, max_steps: -1,
//                divergence: 10, health_window: 20, rollback_lr_factor: 0.5, max_rollbacks: 3 }
struct LearnerStageOptions {
  std::int64_t max_steps = -1;          // the run ends once this learner made this many updates; -1: no limit
  std::int64_t checkpoint_every = 500;  // updates between checkpoints; 0: only at the end
  int keep_checkpoints = 3;
  int max_nonfinite = 5;                // unhealthy steps in a row before a rollback
  double divergence = 10;               // a loss above this × the recent median is unhealthy; 0: off
  int health_window = 20;
  double rollback_lr_factor = 0.5;
  int max_rollbacks = 3;
  double panel_interval_s = 0.1;        // panels for the display at most this often; < 0: none (no display)
  bool videos = true;                   // the learner's videos are written: panels every frame for them
  int threads = 0;                      // LibTorch intra-op threads of this learner's thread; 0: the run's
  std::string folder;                   // <run>/<name>: checkpoints/, predictions.jsonl
  std::string config_yaml;              // stored in every checkpoint
};

// Throws std::invalid_argument naming the option by its key under a model's entry ("train.keep_checkpoints: …").
void check_options(const LearnerStageOptions& options);

// Runs one learner on its own thread (DESIGN §3): every frame of its input edge is consumed (the
// frames a resumed checkpoint already saw are passed over), every update is a metrics.jsonl line
// naming the learner, the frame's own figures and events are lines too, a record goes to
// <folder>/predictions.jsonl, and the learner is checkpointed every `checkpoint_every` updates
// and at the end, from healthy states only (LearnerStageOptions). A non-finite loss skips the
// update (counted); unhealthy steps in a row roll back. Whatever the learner throws stops the run,
// and the error names the stage, which is named after the learner.
class LearnerStage final : public Stage<Frame, LearnerReport> {
 public:
  LearnerStage(std::string name, Learner& learner, LearnerStageOptions options, MetricsLog* metrics);

  // Continues from a checkpoint this stage's learner wrote (the caller checked its kind): the
  // learner's whole state and the run's counters. Returns the index of the next frame to consume.
  std::int64_t resume(const CheckpointData& checkpoint, const std::string& folder);
  // Trains data-parallel with the group's other ranks (after resume(): every rank starts from the
  // same state). Every rank judges the same mean figures; rank 0 alone writes checkpoints; a
  // rollback ends the run instead (the ranks would have to roll back at the same step); when
  // another rank's stream ended this one stops too, and at its own end it leaves the group.
  void join(std::shared_ptr<DataParallel> group);
  // A rank other than 0 of a data-parallel run, resumed from rank 0's checkpoint: each rank reads
  // its own share of the source, so where it stood in it at that step is its own, kept in
  // <folder>/frame_index.jsonl (a line per checkpoint rank 0 wrote). Takes it and returns it;
  // nullopt when the file has none for the checkpoint's step (the checkpoint came from a single
  // process, or from a run of fewer ranks): rank 0's frame index stays.
  std::optional<std::int64_t> resume_frame_index_of_this_rank();
  // Writes a checkpoint of the current state now, unchecked; returns its folder, or "" on a rank
  // other than 0 of a data-parallel run (rank 0 alone writes).
  std::string checkpoint();

  std::int64_t steps() const { return learner_.steps(); }
  std::int64_t frames() const { return frames_; }
  std::int64_t skipped_steps() const { return skipped_total_; }
  int rollbacks() const { return rollbacks_; }
  double learning_rate_scale() const { return lr_scale_; }
  std::optional<std::string> last_checkpoint() const { return last_checkpoint_; }
  const DataParallel* data_parallel() const { return data_parallel_.get(); }
  // <folder>/predictions.jsonl, when the learner writes records.
  std::string records_path() const;

 protected:
  void process(Frame frame, Outputs<LearnerReport>& out) override;
  void finish(Outputs<LearnerReport>& out) override;

 private:
  // Metrics lines of an update, at the newest frame (last_frame_).
  void log(const LearnerUpdate& update, std::int64_t skipped_before);
  // Counts, judges and acts on steps in order: writes a waiting candidate checkpoint, rolls back
  // after too many unhealthy ones. True when it rolled back (the rest are not looked at).
  bool take(const std::vector<LearnerStep>& steps);
  // Whether the updates since `steps_before` reached the next multiple of checkpoint_every.
  bool crosses_checkpoint(std::int64_t steps_before) const;
  void write_record(const std::string& record);
  // Rank 0 of a data-parallel run, or the one process.
  bool writes_checkpoints() const;
  // Judges a step; true when healthy. `cause` says why not.
  bool judge(const LearnerStep& step, std::string& cause);
  // A state and the run's counters, kept to write or to go back to.
  struct Snapshot {
    CheckpointData data;
    std::int64_t frames = 0;
    std::int64_t step = 0;
    std::int64_t next_frame_index = 0;
  };
  // Takes the due checkpoint's candidate if the state is healthy; rolls back if its weights are not.
  void checkpoint_if_healthy();
  // At the end (or when a data-parallel exchange failed): the steps not yet reported judged, and
  // the last state written if they were healthy.
  void checkpoint_last_state();
  // A rank other than 0 of a data-parallel run keeps only the frame count: rank 0 writes the state.
  Snapshot snapshot();
  std::string frame_index_path() const;
  std::string write(const Snapshot& snapshot);
  void roll_back(const std::string& cause);
  double steps_per_s(std::int64_t new_steps);

  Learner& learner_;
  LearnerStageOptions options_;
  std::shared_ptr<DataParallel> data_parallel_;  // null: one process
  MetricsLog* metrics_;
  CheckpointStore store_;
  std::int64_t next_frame_index_ = 0;     // first source frame not yet consumed
  struct {
    std::int64_t index = -1;
    std::int64_t timestamp_us = 0;
  } last_frame_;                          // the newest frame consumed, for metrics lines
  std::int64_t frames_ = 0;               // consumed by this run
  std::int64_t frames_at_checkpoint_ = -1;
  std::int64_t skipped_total_ = 0;
  std::uint64_t missed_ = 0;              // gaps in the frame indices it got
  int unhealthy_in_a_row_ = 0;
  std::int64_t healthy_in_a_row_ = 0;
  std::int64_t steps_since_reset_ = 0;     // steps since the start or the last rollback
  std::deque<double> healthy_losses_;      // the last health_window
  bool checkpoint_due_ = false;
  int rollbacks_ = 0;
  double lr_scale_ = 1;
  std::optional<Snapshot> initial_;    // the state the run started from, until a checkpoint is written
  std::optional<Snapshot> candidate_;  // a due checkpoint, until the loss of its state is seen
  std::map<std::string, torch::Tensor> copies_;  // the last snapshot's copies, reused (snapshot())
  bool resumed_ = false;
  bool threads_set_ = false;
  std::optional<std::string> last_checkpoint_;
  std::ofstream records_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_panels_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::int64_t>> recent_steps_;
};

}  // namespace vidssl
