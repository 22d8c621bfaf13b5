#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "models/torch_runtime.h"
#include "models/training/learner.h"
#include "models/training/pending_steps.h"
#include "models/training/replay_buffer.h"

namespace vidssl {

//   models: { slow: { train: { batch: 8, replay_capacity: 256, steps_per_frame: 1, frame_gap: 1, scene_cut: 0.15 } } }
struct ClipLearnerOptions {
  ReplayBufferOptions replay;
  std::int64_t steps_per_frame = 1;
  // The frames of a training clip are this many frames apart (x^t, x^{t+g}, …): the time step the
  // model learns at. A pair of consecutive frames of a 30 fps clip differs by under a pixel; a gap
  // trains on the larger motion between them. Each new frame still gives one clip, so the clips of
  // one stream overlap; a clip never spans a clip boundary, a dropped frame or a scene cut.
  std::int64_t frame_gap = 1;
  // Steps whose figures are read back to the host at once (models/training/pending_steps.h);
  // 0: every step on the CPU, where a read costs nothing, and every 16 on a GPU, where each read
  // waits for the device to finish.
  std::int64_t metrics_every = 0;
  // A scene cut ends the clip in progress: consecutive decoded frames whose mean absolute
  // difference exceeds this share of the 0..255 range (0: no detection; models/training/scene_cut.h).
  double scene_cut = 0.0;
  // The forward pass's precision (run.precision; models/torch_runtime.h).
  Precision precision = Precision::fp32;
};

// Throws std::invalid_argument naming the option by its key under a model's entry ("train.scene_cut: …").
void check_options(const ClipLearnerOptions& options);

// The learners that train on short clips of consecutive frames (Model A on pairs, Model B on
// triplets; DESIGN §9): consecutive frames of one clip become training clips, a clip never spans
// a clip boundary, a dropped frame or a scene cut; each clip enters the replay buffer, and every
// frame gives `steps_per_frame` updates on a batch drawn from it (the newest clip and older ones:
// a stream is not i.i.d.). A step reads nothing back to the host: its figures wait on the device
// and are reported every `metrics_every` steps. A model implements the update on a batch and its
// pictures; this class does the rest of the Learner interface, the frames of the clip in progress
// and the buffer included in its checkpoints.
class ClipLearner : public Learner {
 public:
  LearnerNeeds needs() const final;
  LearnerUpdate consume(const LearnerFrame& frame) final;
  std::int64_t steps() const final { return step_; }
  std::vector<LearnerStep> read_steps() final;
  void join(std::shared_ptr<DataParallel> group) final;
  // The newest frame as decoded, then the model's pictures.
  std::vector<Panel> panels() final;
  PanelLayout panel_layout() const final;
  void save(CheckpointData& data) final;
  void load(const CheckpointData& data) final;

  // One update on clips B×K×C×H×W (on device()), K = clip_length(). A non-finite loss makes no
  // update, and the step reads as skipped. Its figures wait on the device for read_steps(). In a
  // data-parallel run, none once another rank's stream ended.
  void train(const torch::Tensor& clips);
  // Frames per training clip (2: a pair for Model A, 3: a triplet for Model B).
  virtual std::int64_t clip_length() const = 0;
  const ReplayBuffer& replay() const { return replay_; }

 protected:
  // figure_names: the figures train_step() returns, the loss first.
  ClipLearner(ClipLearnerOptions options, std::vector<std::string> figure_names);

  // What one update gives, on the device: its figures, and whether the update was made (a 0-d
  // bool: false for a non-finite loss; models/training/guarded_step.h).
  struct StepFigures {
    torch::Tensor figures;
    torch::Tensor applied;
  };
  // The model's update on a batch of clips; it reads nothing to the host.
  virtual StepFigures train_step(const torch::Tensor& clips) = 0;
  // The update after backward(), for train_step(): the optimizer's step where `ok` (a 0-d bool: the
  // loss was finite), then `rule` (a renormalization). In a data-parallel run the gradients and
  // `figures` are first averaged over the ranks, and the step is made where every rank's loss was
  // finite. Returns whether it was made.
  torch::Tensor step(torch::Tensor& figures, const torch::Tensor& ok, const std::function<void()>& rule = {});
  virtual torch::optim::Optimizer& optimizer() = 0;
  // What train_step() runs its forward pass in (models/torch_runtime.h: Autocast).
  Precision precision() const { return options_.precision; }

  // Frame sides must be multiples of this (the model's pooling).
  virtual std::int64_t size_multiple() const = 0;
  // Pictures of the last update's newest clip, and how many there are.
  virtual std::vector<Panel> clip_panels() = 0;
  virtual int clip_panel_count() const = 0;
  // Weights, optimizer and step_; the rest of the state is this class's.
  virtual void save_model(CheckpointData& data) = 0;
  virtual void load_model(const CheckpointData& data) = 0;

  std::int64_t step_ = 0;  // updates made, those not yet read included

 private:
  ClipLearnerOptions options_;
  ReplayBuffer replay_;
  PendingSteps pending_;
  std::shared_ptr<DataParallel> data_parallel_;
  std::int64_t history_length() const { return (clip_length() - 1) * options_.frame_gap + 1; }
  std::deque<LearnerFrame> history_;  // the newest frames of the current clip, at most history_length()
  torch::Tensor newest_decoded_;
};

}  // namespace vidssl
