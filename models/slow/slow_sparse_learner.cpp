#include "models/slow/slow_sparse_learner.h"

#include <torch/torch.h>

#include "models/training/module_state.h"
#include "models/training/mosaic.h"

namespace vidssl {

double residual_energy(const torch::Tensor& x, const torch::Tensor& reconstruction) {
  torch::NoGradGuard no_grad;
  return ((x - reconstruction).pow(2).sum() / x.pow(2).sum().clamp_min(1e-12)).item<double>();
}

double active_fraction(const torch::Tensor& codes) {
  torch::NoGradGuard no_grad;
  return static_cast<double>((codes.abs() > 1e-3).sum().item<std::int64_t>()) / static_cast<double>(codes.numel());
}

SlowSparseLearner::SlowSparseLearner(SlowSparseOptions model, OptimizerOptions optimizer, ClipLearnerOptions clips,
                                     torch::Device device)
    : ClipLearner(clips), model_(model), device_(device) {
  model_->to(device_);
  optimizer_ = make_optimizer(optimizer, model_->parameters());
  lr_ = optimizer.lr;
}

LearnerStep SlowSparseLearner::train(const torch::Tensor& clips) {
  LearnerStep out;
  optimizer_->zero_grad();
  last_ = model_->loss(clips);
  const double total = last_.total.item<double>();
  if (!std::isfinite(total)) {
    out.step = step_;
    out.skipped = true;
    out.values = {{"loss", total}};
    return out;
  }
  last_.total.backward();
  optimizer_->step();
  model_->normalize_decoder();
  out.step = ++step_;
  out.values = {
      {"loss", total},
      {"reconstruction", last_.reconstruction.item<double>()},
      {"sparsity", last_.sparsity.item<double>()},
      {"slowness", last_.slowness.item<double>()},
      {"prediction", last_.prediction.item<double>()},
      {"residual_energy", residual_energy(last_.frames, last_.reconstructed)},
      {"active_fraction", active_fraction(last_.codes)},
  };
  return out;
}

std::vector<Panel> SlowSparseLearner::clip_panels() {
  std::vector<Panel> out;
  if (!last_.frames.defined()) return out;
  torch::NoGradGuard no_grad;
  const auto newest = last_.frames.size(0) / 2;  // frame t+1 of the newest pair (row 0)
  out.push_back({"contrast-normalized", last_.frames[newest][0].cpu(), Panel::Scale::symmetric});
  out.push_back({"reconstruction", last_.reconstructed[newest][0].cpu(), Panel::Scale::symmetric});
  out.push_back({"pooled maps", tile_mosaic(last_.pooled[newest].cpu(), false), Panel::Scale::min_max});
  out.push_back({"decoder filters", tile_mosaic(model_->decoder->weight[0].cpu(), true), Panel::Scale::symmetric});
  return out;
}

void SlowSparseLearner::save_model(CheckpointData& data) { save_learner_state(data, kind(), step_, *model_, *optimizer_); }

void SlowSparseLearner::load_model(const CheckpointData& data) { step_ = load_learner_state(data, *model_, *optimizer_, device_); }

std::string SlowSparseLearner::weights_problem() const { return vidssl::weights_problem(*model_); }

void SlowSparseLearner::set_learning_rate_scale(double scale) { set_learning_rate(*optimizer_, lr_ * scale); }

}  // namespace vidssl
