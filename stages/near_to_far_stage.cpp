#include "stages/near_to_far_stage.h"

#include <stdexcept>

#include <torch/torch.h>

#include "stages/json_line.h"

namespace vidssl {

NearToFarStage::NearToFarStage(std::string name, NearToFar& model, StereoCamera camera, NearToFarStageOptions options,
                               MetricsLog* metrics)
    : Stage<Frame, NearToFarReport>(std::move(name)),
      model_(model),
      camera_(camera),
      options_(std::move(options)),
      metrics_(metrics),
      store_(options_.run_dir, options_.keep_checkpoints) {}

std::int64_t NearToFarStage::resume(const std::string& checkpoint_folder) {
  const CheckpointData data = CheckpointStore::load(CheckpointStore::resolve(checkpoint_folder));
  model_.load(data);
  const auto it = data.state.find("neartofar.next_frame_index");
  next_frame_index_ = it == data.state.end() ? 0 : it->second.item<std::int64_t>();
  return next_frame_index_;
}

std::string NearToFarStage::checkpoint() {
  CheckpointData data;
  model_.save(data);
  data.state["neartofar.next_frame_index"] = torch::tensor(next_frame_index_);
  data.config = options_.config_yaml;
  last_checkpoint_ = store_.save(data);
  last_checkpoint_frame_ = frames_;
  return *last_checkpoint_;
}

void NearToFarStage::process(Frame frame, Outputs<NearToFarReport>& out) {
  if (!frame.right.defined())
    throw std::runtime_error("frame " + std::to_string(frame.index) +
                             " has no right image: Model C (model.kind: neartofar) needs a stereo source");
  NearToFarReport report;
  report.result = model_.step(frame.image, frame.right, camera_);
  ++frames_;
  next_frame_index_ = frame.index + 1;
  if (!report.result.skipped.empty()) ++skipped_frames_;
  if (metrics_) {
    JsonLine line;
    line.add("frame", frame.index).add("time", static_cast<double>(frame.timestamp_us) * 1e-6).add("model", "neartofar");
    line.add("step", model_.updates()).add("loss", report.result.loss).add("updates", report.result.steps);
    line.add("labeled_windows", report.result.labeled_windows).add("trained_windows", report.result.trained_windows);
    line.add("camera_height", report.result.plane_ok ? report.result.plane.camera_height() : std::nan(""));
    for (const auto& [stage, ms] : report.result.ms) line.add("ms_" + stage, ms);
    if (!report.result.skipped.empty()) line.add("skipped", report.result.skipped);
    metrics_->write(line.str());
  }
  report.frame = std::move(frame);
  if (options_.checkpoint_every > 0 && frames_ % options_.checkpoint_every == 0) checkpoint();
  out.emit(std::move(report));
}

void NearToFarStage::finish(Outputs<NearToFarReport>&) {
  if (frames_ > 0 && last_checkpoint_frame_ != frames_) checkpoint();
}

}  // namespace vidssl
