#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

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

//   models:
//     neartofar:
//       videos: true
//       train: { checkpoint_every: 500, keep_checkpoints: 3, max_nonfinite: 5, max_steps: -1 }
struct LearnerStageOptions {
  std::int64_t max_steps = -1;          // the run ends once this learner made this many updates; -1: no limit
  std::int64_t checkpoint_every = 500;  // updates between checkpoints; 0: only at the end
  int keep_checkpoints = 3;
  int max_nonfinite = 5;                // skipped (non-finite) updates in a row before the last checkpoint is restored
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
// and at the end. A non-finite loss skips the update (counted); after `max_nonfinite` in a row the
// last checkpoint is restored. Whatever the learner throws stops the run, and the error names
// the stage, which is named after the learner.
class LearnerStage final : public Stage<Frame, LearnerReport> {
 public:
  LearnerStage(std::string name, Learner& learner, LearnerStageOptions options, MetricsLog* metrics);

  // Continues from a checkpoint this stage's learner wrote (the caller checked its kind): the
  // learner's whole state and the run's counters. Returns the index of the next frame to consume.
  std::int64_t resume(const CheckpointData& checkpoint, const std::string& folder);
  // Writes a checkpoint of the current state now.
  std::string checkpoint();

  std::int64_t steps() const { return learner_.steps(); }
  std::int64_t frames() const { return frames_; }
  std::int64_t skipped_steps() const { return skipped_total_; }
  std::optional<std::string> last_checkpoint() const { return last_checkpoint_; }
  // <folder>/predictions.jsonl, when the learner writes records.
  std::string records_path() const;

 protected:
  void process(Frame frame, Outputs<LearnerReport>& out) override;
  void finish(Outputs<LearnerReport>& out) override;

 private:
  void log(const LearnerUpdate& update, const Frame& frame, std::int64_t skipped_before);
  void write_record(const std::string& record);
  void restore_last_good();
  double steps_per_s(std::int64_t new_steps);

  Learner& learner_;
  LearnerStageOptions options_;
  MetricsLog* metrics_;
  CheckpointStore store_;
  std::int64_t next_frame_index_ = 0;     // first source frame not yet consumed
  std::int64_t frames_ = 0;               // consumed by this run
  std::int64_t frames_at_checkpoint_ = -1;
  std::int64_t skipped_total_ = 0;
  std::uint64_t missed_ = 0;              // gaps in the frame indices it got
  int skipped_in_a_row_ = 0;
  bool resumed_ = false;
  bool threads_set_ = false;
  std::optional<std::string> last_checkpoint_;
  std::ofstream records_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_panels_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::int64_t>> recent_steps_;
};

}  // namespace vidssl
