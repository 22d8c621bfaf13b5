#include "models/neartofar/near_to_far_learner.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "models/neartofar/prediction_record.h"
#include "models/neartofar/traversability_picture.h"
#include "models/ops/yuv_to_rgb.h"

namespace vidssl {

NearToFarLearner::NearToFarLearner(NearToFarOptions options, StereoCamera camera, torch::Device device)
    : model_(std::move(options), device), camera_(camera), device_(device) {}

LearnerNeeds NearToFarLearner::needs() const {
  LearnerNeeds n;
  n.stereo = true;
  n.preprocessed = false;  // stereo matches the decoded pictures; the bands are normalized per band
  return n;
}

LearnerUpdate NearToFarLearner::consume(const LearnerFrame& frame) {
  if (!frame.right.defined())
    throw std::runtime_error("frame " + std::to_string(frame.index) + " has no right picture: Model C (neartofar) needs a stereo source");
  const std::int64_t before = model_.updates();
  last_ = model_.step(frame.image, frame.right, camera_);
  last_left_ = frame.image;
  LearnerUpdate update;
  std::int64_t made = 0;
  for (const double loss : last_.losses) {
    LearnerStep step;
    step.skipped = !std::isfinite(loss);
    if (!step.skipped) ++made;
    step.step = before + made;
    step.values = {{"loss", loss}};
    update.steps.push_back(std::move(step));
  }
  for (const auto& [stage, ms] : last_.ms) update.values.emplace_back("ms_" + stage, ms);
  update.values.emplace_back("updates", static_cast<double>(last_.steps));
  update.values.emplace_back("loss", last_.loss);
  update.values.emplace_back("labeled_windows", static_cast<double>(last_.labeled_windows));
  update.values.emplace_back("trained_windows", static_cast<double>(last_.trained_windows));
  update.values.emplace_back("camera_height", last_.plane_ok ? last_.plane.camera_height() : std::nan(""));
  update.skipped = last_.skipped;
  update.record = prediction_record(frame.index, frame.timestamp_us, last_);
  return update;
}

std::vector<Panel> NearToFarLearner::panels() {
  if (!last_left_.defined()) return {};
  const torch::Tensor rgb = picture_for_display(last_left_);
  const torch::Tensor rgb3 = rgb.size(0) == 3 ? rgb : rgb.expand({3, -1, -1}).contiguous();
  std::vector<Panel> out{traversability_panel(rgb3, last_, false), traversability_panel(rgb3, last_, true), top_down_panel(last_)};
  if (last_.disparity.defined()) {
    out.push_back({"disparity", last_.disparity.clamp_min(0), Panel::Scale::min_max, {}});
  } else {
    out.push_back({"disparity (none: " + last_.skipped + ")", torch::zeros({1, 1}), Panel::Scale::min_max, {}});
  }
  return out;
}

PanelLayout NearToFarLearner::panel_layout() const {
  PanelLayout layout;
  layout.count = 4;
  layout.columns = 2;
  layout.aspect = camera_.width > 0 ? static_cast<double>(camera_.height) / camera_.width : 0.3;
  return layout;
}

std::vector<LearnerVideo> NearToFarLearner::videos() const { return {{"overlay", {0, 1}}, {"topdown", {2}}}; }

}  // namespace vidssl
