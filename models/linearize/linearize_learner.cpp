#include "models/linearize/linearize_learner.h"

#include <torch/torch.h>

#include "models/linearize/linearize_metrics.h"
#include "models/training/module_state.h"
#include "models/training/mosaic.h"

namespace vidssl {

LinearizeLearner::LinearizeLearner(LinearizeOptions model, OptimizerOptions optimizer, ClipLearnerOptions clips,
                                   torch::Device device)
    : ClipLearner(clips, {"loss", "prediction", "curvature", "delta_norm", "psnr_predict", "psnr_copy_last"}),
      model_(model),
      device_(device) {
  model_->to(device_);
  optimizer_ = make_optimizer(optimizer, model_->parameters());
  lr_ = optimizer.lr;
}

ClipLearner::StepFigures LinearizeLearner::train_step(const torch::Tensor& clips) {
  optimizer_->zero_grad();
  last_triplets_ = clips;
  {
    const Autocast autocast(device_, precision());
    last_ = model_->loss(clips);
  }
  const torch::Tensor finite = torch::isfinite(last_.total.detach());
  last_.total.backward();
  torch::Tensor figures;
  {
    torch::NoGradGuard no_grad;
    const auto next = clips.select(1, 2), current = clips.select(1, 1);
    figures = torch::stack({last_.total.detach(), last_.prediction.detach(), last_.curvature.detach(), last_.delta.norm(2, 1).mean(),
                            mean_psnr(last_.predicted, next), mean_psnr(current, next)})
                  .to(torch::kFloat);
  }
  const torch::Tensor applied = step(figures, finite);
  return {figures, applied};
}

std::vector<Panel> LinearizeLearner::clip_panels() {
  std::vector<Panel> out;
  if (!last_triplets_.defined()) return out;
  torch::NoGradGuard no_grad;
  const auto triplet = last_triplets_.slice(0, 0, 1);  // the newest clip leads the batch
  const auto previous = model_->pool(model_->encode(triplet.select(1, 0)));
  const auto next = model_->pool(model_->encode(triplet.select(1, 2)));
  const auto middle = model_->interpolate(previous, next);
  const auto cross_fade = 0.5 * (triplet.select(1, 0) + triplet.select(1, 2));
  auto frame = [](const torch::Tensor& x) { return x[0][0].cpu(); };
  out.push_back({"x(t-1)", frame(triplet.select(1, 0)), Panel::Scale::symmetric});
  out.push_back({"x(t)", frame(triplet.select(1, 1)), Panel::Scale::symmetric});
  out.push_back({"predicted x(t+1)", frame(last_.predicted.slice(0, 0, 1)), Panel::Scale::symmetric});
  out.push_back({"true x(t+1)", frame(triplet.select(1, 2)), Panel::Scale::symmetric});
  // One picture, one grey scale: cross-fade | feature-space interpolation | true x(t).
  out.push_back({"cross-fade | feature interp. | x(t)",
                 torch::cat({frame(cross_fade), frame(middle), frame(triplet.select(1, 1))}, 1), Panel::Scale::symmetric});
  out.push_back({"decoder filters", tile_mosaic(model_->decoder->weight[0].cpu(), true), Panel::Scale::symmetric});
  return out;
}

void LinearizeLearner::save_model(CheckpointData& data) { save_learner_state(data, kind(), step_, *model_, *optimizer_); }

void LinearizeLearner::load_model(const CheckpointData& data) { step_ = load_learner_state(data, *model_, *optimizer_, device_); }

std::string LinearizeLearner::weights_problem() const { return vidssl::weights_problem(*model_); }

void LinearizeLearner::set_learning_rate_scale(double scale) { set_learning_rate(*optimizer_, lr_ * scale); }

}  // namespace vidssl
