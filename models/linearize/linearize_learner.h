#pragma once

#include <memory>

#include <torch/optim/optimizer.h>

#include "models/linearize/linearize_model.h"
#include "models/training/online_learner.h"
#include "models/training/optimizer_options.h"

namespace vidssl {

// Trains Model B online: per batch of triplets, δ inferred by k steps per sample, then one
// optimizer step of encoder, decoder and W₁ at δ_k; and the pictures of the newest triplet for
// the display: x^{t−1}, x^t, the prediction x̂^{t+1}, the true x^{t+1}, and the interpolation strip.
//
//   LinearizeLearner learner(LinearizeOptions(), OptimizerOptions{}, torch::kCPU);
//   LearnerStep s = learner.train(triplets);   // B×3×C×H×W, contrast-normalized
class LinearizeLearner final : public OnlineLearner {
 public:
  LinearizeLearner(LinearizeOptions model, OptimizerOptions optimizer, torch::Device device);

  std::string model_name() const override { return "linearize"; }
  std::int64_t clip_length() const override { return 3; }
  torch::Device device() const override { return device_; }
  LearnerStep train(const torch::Tensor& clips) override;
  std::vector<Panel> panels() override;
  void save(CheckpointData& data) override;
  void load(const CheckpointData& data) override;

  Linearize& model() { return model_; }

 private:
  Linearize model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  torch::Device device_;
  std::int64_t step_ = 0;
  torch::Tensor last_triplets_;
  LinearizeLoss last_;
};

}  // namespace vidssl
