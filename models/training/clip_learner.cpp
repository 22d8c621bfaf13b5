#include "models/training/clip_learner.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/distributed/data_parallel.h"
#include "models/ops/yuv_to_rgb.h"
#include "models/training/scene_cut.h"

namespace vidssl {

void check_options(const ClipLearnerOptions& options) {
  check_options(options.replay);
  if (options.steps_per_frame < 1 || options.steps_per_frame > 1000)
    throw std::invalid_argument("train.steps_per_frame: expected an integer in [1, 1000], got " + std::to_string(options.steps_per_frame));
  if (options.metrics_every < 0 || options.metrics_every > 100000)
    throw std::invalid_argument("train.metrics_every: expected an integer in [0, 100000] (0: 1 on the CPU, 16 on a GPU), got " +
                                std::to_string(options.metrics_every));
  if (options.frame_gap < 1 || options.frame_gap > 1000)
    throw std::invalid_argument("train.frame_gap: expected an integer in [1, 1000], got " + std::to_string(options.frame_gap));
  if (!(options.scene_cut >= 0 && options.scene_cut <= 1))
    throw std::invalid_argument("train.scene_cut: expected a share of the 0..255 range in [0, 1] (0: off), got " +
                                std::to_string(options.scene_cut));
}

ClipLearner::ClipLearner(ClipLearnerOptions options, std::vector<std::string> figure_names)
    : options_((check_options(options), options)), replay_(options.replay), pending_(std::move(figure_names)) {}

void ClipLearner::train(const torch::Tensor& clips) {
  if (data_parallel_ && !data_parallel_->begin_step()) return;
  const StepFigures step = train_step(clips);
  pending_.add(step.figures, step.applied, {{"replay", static_cast<double>(replay_.size())}});
  ++step_;
}

void ClipLearner::join(std::shared_ptr<DataParallel> group) {
  group->join(optimizer());
  data_parallel_ = std::move(group);
}

torch::Tensor ClipLearner::step(torch::Tensor& figures, const torch::Tensor& ok, const std::function<void()>& rule) {
  return step_where(optimizer(), data_parallel_.get(), figures, ok, rule);
}

std::vector<LearnerStep> ClipLearner::read_steps() {
  std::vector<LearnerStep> steps = pending_.read(step_ - static_cast<std::int64_t>(pending_.size()));
  if (!steps.empty()) step_ = steps.back().step;
  return steps;
}

LearnerNeeds ClipLearner::needs() const {
  LearnerNeeds n;
  n.size_multiple = size_multiple();
  return n;
}

LearnerUpdate ClipLearner::consume(const LearnerFrame& frame) {
  LearnerUpdate update;
  newest_decoded_ = frame.decoded;
  bool continues = !history_.empty() && history_.back().clip_id == frame.clip_id && history_.back().index + 1 == frame.index;
  if (continues && options_.scene_cut > 0) {
    const double difference = decoded_difference(history_.back().decoded, frame.decoded);
    if (difference > options_.scene_cut) {
      update.events.emplace_back("scene_cut", difference);
      continues = false;
    }
  }
  if (!continues) history_.clear();
  history_.push_back(frame);
  if (static_cast<std::int64_t>(history_.size()) < history_length()) return update;
  std::vector<torch::Tensor> images;
  for (std::int64_t k = 0; k < clip_length(); ++k) images.push_back(history_[k * options_.frame_gap].image);
  replay_.add(torch::stack(images));
  history_.pop_front();
  for (std::int64_t i = 0; i < options_.steps_per_frame; ++i) train(replay_.sample());
  const std::int64_t every = options_.metrics_every > 0 ? options_.metrics_every : (device().is_cpu() ? 1 : 16);
  if (static_cast<std::int64_t>(pending_.size()) >= every) update.steps = read_steps();
  return update;
}

std::vector<Panel> ClipLearner::panels() {
  std::vector<Panel> out;
  if (newest_decoded_.defined()) out.push_back({"input", picture_for_display(newest_decoded_), Panel::Scale::bytes});
  for (auto& p : clip_panels()) out.push_back(std::move(p));
  return out;
}

PanelLayout ClipLearner::panel_layout() const {
  PanelLayout layout;
  layout.count = 1 + clip_panel_count();
  layout.columns = 3;
  return layout;
}

void ClipLearner::save(CheckpointData& data) {
  save_model(data);
  for (auto& [key, value] : replay_.state()) data.state[key] = value;
  std::vector<torch::Tensor> images;
  std::vector<std::int64_t> meta;  // index, clip_id, timestamp_us per frame
  for (const auto& f : history_) {
    images.push_back(f.image.cpu());
    meta.insert(meta.end(), {f.index, f.clip_id, f.timestamp_us});
  }
  if (!images.empty()) {
    data.state["clips.history.images"] = torch::stack(images);
    data.state["clips.history.meta"] = torch::tensor(meta).view({-1, 3});
  }
}

void ClipLearner::load(const CheckpointData& data) {
  pending_.clear();
  load_model(data);
  replay_.load_state(data.state, device());
  history_.clear();
  const auto images = data.state.find("clips.history.images");
  if (images == data.state.end()) return;
  const torch::Tensor meta = data.state.at("clips.history.meta");
  for (std::int64_t i = 0; i < images->second.size(0); ++i) {
    LearnerFrame f;
    f.image = images->second[i].to(device());
    f.index = meta[i][0].item<std::int64_t>();
    f.clip_id = static_cast<std::int32_t>(meta[i][1].item<std::int64_t>());
    f.timestamp_us = meta[i][2].item<std::int64_t>();
    history_.push_back(f);
  }
  // A checkpoint of a run with a larger frame_gap holds more frames than this one's clips span.
  while (static_cast<std::int64_t>(history_.size()) >= history_length()) history_.pop_front();
}

}  // namespace vidssl
