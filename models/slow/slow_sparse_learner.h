#pragma once

#include <memory>

#include <torch/optim/optimizer.h>

#include "models/slow/slow_sparse.h"
#include "models/training/clip_learner.h"
#include "models/training/optimizer_options.h"

namespace vidssl {

// Trains Model A online on pairs of consecutive frames: one optimizer step per batch of pairs,
// decoder filters renormalized after each step; its pictures are the newest pair's
// contrast-normalized frame, reconstruction, pooled maps and the decoder filters.
//
//   SlowSparseLearner learner(SlowSparseOptions().filters(32), OptimizerOptions{}, ClipLearnerOptions{}, torch::kCPU);
//   learner.train(pairs);                                 // pairs: B×2×C×H×W
//   std::vector<LearnerStep> steps = learner.read_steps();  // its figures
class SlowSparseLearner final : public ClipLearner {
 public:
  SlowSparseLearner(SlowSparseOptions model, OptimizerOptions optimizer, ClipLearnerOptions clips, torch::Device device);

  const char* kind() const override { return "slow"; }
  torch::Device device() const override { return device_; }
  std::int64_t clip_length() const override { return 2; }
  std::string weights_problem() const override;
  void set_learning_rate_scale(double scale) override;

  SlowSparse& model() { return model_; }

 private:
  StepFigures train_step(const torch::Tensor& clips) override;
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  std::int64_t size_multiple() const override { return model_->size_multiple(); }
  std::vector<Panel> clip_panels() override;
  int clip_panel_count() const override { return model_->second_layer ? 5 : 4; }
  void save_model(CheckpointData& data) override;
  void load_model(const CheckpointData& data) override;

  SlowSparse model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  double lr_;  // as configured
  torch::Device device_;
  SlowSparseLoss last_;
};

// ‖x − x̂‖² / ‖x‖²: the share of the input's energy the reconstruction misses (0-d, on x's device).
torch::Tensor residual_energy(const torch::Tensor& x, const torch::Tensor& reconstruction);
// Share of code units with |h| > 1e-3 (0-d float, on the codes' device).
torch::Tensor active_fraction(const torch::Tensor& codes);

}  // namespace vidssl
