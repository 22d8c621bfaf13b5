#pragma once

#include <memory>

#include <torch/optim/optimizer.h>

#include "models/linearize/linearize_model.h"
#include "models/training/clip_learner.h"
#include "models/training/optimizer_options.h"

namespace vidssl {

// Trains Model B online on triplets of consecutive frames: per batch, δ inferred by k steps per
// sample, then one optimizer step of encoder, decoder and W₁ at δ_k; its pictures are the newest
// triplet's x^{t−1}, x^t, the prediction x̂^{t+1}, the true x^{t+1}, the interpolation strip and
// the decoder filters.
//
//   LinearizeLearner learner(LinearizeOptions(), OptimizerOptions{}, ClipLearnerOptions{}, torch::kCPU);
//   learner.train(triplets);                                // B×3×C×H×W, contrast-normalized
//   std::vector<LearnerStep> steps = learner.read_steps();  // its figures
class LinearizeLearner final : public ClipLearner {
 public:
  LinearizeLearner(LinearizeOptions model, OptimizerOptions optimizer, ClipLearnerOptions clips, torch::Device device);

  const char* kind() const override { return "linearize"; }
  torch::Device device() const override { return device_; }
  std::int64_t clip_length() const override { return 3; }
  std::string weights_problem() const override;
  void set_learning_rate_scale(double scale) override;

  Linearize& model() { return model_; }

 private:
  StepFigures train_step(const torch::Tensor& clips) override;
  torch::optim::Optimizer& optimizer() override { return *optimizer_; }
  std::int64_t size_multiple() const override { return model_->size_multiple(); }
  std::vector<Panel> clip_panels() override;
  int clip_panel_count() const override { return 6; }
  void save_model(CheckpointData& data) override;
  void load_model(const CheckpointData& data) override;

  Linearize model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  double lr_;  // as configured
  torch::Device device_;
  torch::Tensor last_triplets_;
  LinearizeLoss last_;
};

}  // namespace vidssl
