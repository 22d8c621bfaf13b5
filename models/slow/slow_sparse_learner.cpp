#include "models/slow/slow_sparse_learner.h"

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "models/training/module_state.h"
#include "models/training/mosaic.h"

namespace vidssl {

torch::Tensor residual_energy(const torch::Tensor& x, const torch::Tensor& reconstruction) {
  torch::NoGradGuard no_grad;
  return (x - reconstruction).pow(2).sum() / x.pow(2).sum().clamp_min(1e-12);
}

torch::Tensor active_fraction(const torch::Tensor& codes) {
  torch::NoGradGuard no_grad;
  return (codes.abs() > 1e-3).sum().to(torch::kFloat) / static_cast<double>(codes.numel());
}

SlowSparseLearner::SlowSparseLearner(SlowSparseOptions model, OptimizerOptions optimizer, ClipLearnerOptions clips,
                                     torch::Device device)
    : ClipLearner(clips, {"loss", "reconstruction", "sparsity", "slowness", "prediction", "activity_floor", "residual_energy", "active_fraction",
                          "second_layer_loss", "second_layer_residual_energy"}),
      model_(model),
      device_(device) {
  model_->to(device_);
  optimizer_ = make_optimizer(optimizer, model_->parameters());
  lr_ = optimizer.lr;
}

ClipLearner::StepFigures SlowSparseLearner::train_step(const torch::Tensor& clips) {
  optimizer_->zero_grad();
  const TrainedLayers trained = model_->trained_layers(step_);
  {
    const Autocast autocast(device_, precision());
    last_ = model_->loss(clips, trained);
  }
  const torch::Tensor finite = torch::isfinite(last_.total.detach());
  last_.total.backward();
  torch::Tensor figures;
  {
    torch::NoGradGuard no_grad;
    const auto* upper = last_.second_layer.get();
    const auto zero = torch::zeros({}, last_.total.options());
    figures = torch::stack({last_.whole.detach(), last_.reconstruction.detach(), last_.sparsity.detach(), last_.slowness.detach(),
                            last_.prediction.detach(), last_.floor.detach(), residual_energy(last_.frames, last_.reconstructed),
                            active_fraction(last_.codes), upper ? upper->total.detach() : zero,
                            upper ? residual_energy(upper->frames, upper->reconstructed) : zero})
                  .to(torch::kFloat);
  }
  // A layer not trained is put back after the update: its gradient is zero (or, in a data-parallel
  // run, the ranks' zeros averaged), but Adam's momentum from earlier steps would still move it.
  // Only after the update: a data-parallel run that averages weights every k > 1 steps
  // (dist.sync_every) calls the rule again after the average, and there the frozen layer keeps the
  // ranks' mean, or each rank would keep the frozen layer it had at the switch, which the last
  // average before the switch may not have made equal.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> frozen;  // a parameter and its value now
  for (auto& p : model_->frozen_parameters(trained)) frozen.emplace_back(p, p.detach().clone());
  bool after_update = true;
  const torch::Tensor applied = step(figures, finite, [&] {
    model_->normalize_decoder();
    torch::NoGradGuard no_grad;
    if (after_update)
      for (auto& [live, kept] : frozen) live.copy_(kept);
    after_update = false;
  });
  return {figures, applied};
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
  if (last_.second_layer) out.push_back({"second layer's pooled maps", tile_mosaic(last_.features[newest].cpu(), false), Panel::Scale::min_max});
  return out;
}

void SlowSparseLearner::save_model(CheckpointData& data) { save_learner_state(data, kind(), step_, *model_, *optimizer_); }

void SlowSparseLearner::load_model(const CheckpointData& data) { step_ = load_learner_state(data, *model_, *optimizer_, device_); }

std::string SlowSparseLearner::weights_problem() const { return vidssl::weights_problem(*model_); }

void SlowSparseLearner::set_learning_rate_scale(double scale) { set_learning_rate(*optimizer_, lr_ * scale); }

}  // namespace vidssl
