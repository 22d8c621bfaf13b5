#pragma once

#include <memory>

#include <torch/optim/optimizer.h>

#include "models/slow/slow_sparse.h"
#include "models/training/online_learner.h"
#include "models/training/optimizer_options.h"

namespace vidssl {

// Trains Model A online: one optimizer step per batch of frame pairs, decoder filters renormalized
// after each step, and the pictures of the newest pair for the display.
//
//   SlowSparseLearner learner(SlowSparseOptions().filters(32), OptimizerOptions{}, torch::kCPU);
//   LearnerStep s = learner.train(pairs);   // pairs: B×2×C×H×W
class SlowSparseLearner final : public OnlineLearner {
 public:
  SlowSparseLearner(SlowSparseOptions model, OptimizerOptions optimizer, torch::Device device);

  std::string model_name() const override { return "slow"; }
  std::int64_t clip_length() const override { return 2; }
  torch::Device device() const override { return device_; }
  LearnerStep train(const torch::Tensor& clips) override;
  std::vector<Panel> panels() override;
  void save(CheckpointData& data) override;
  void load(const CheckpointData& data) override;

  SlowSparse& model() { return model_; }

 private:
  SlowSparse model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  torch::Device device_;
  std::int64_t step_ = 0;
  SlowSparseLoss last_;
};

// ‖x − x̂‖² / ‖x‖²: the share of the input's energy the reconstruction misses.
double residual_energy(const torch::Tensor& x, const torch::Tensor& reconstruction);
// Share of code units with |h| > 1e-3.
double active_fraction(const torch::Tensor& codes);

}  // namespace vidssl
