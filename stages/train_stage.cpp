#include "stages/train_stage.h"

#include <torch/torch.h>

#include "stages/json_line.h"
#include "stages/scene_cut.h"

namespace vidssl {

TrainStage::TrainStage(std::string name, OnlineLearner& learner, TrainStageOptions options, MetricsLog* metrics)
    : Stage<Frame, TrainReport>(std::move(name)),
      learner_(learner),
      options_(std::move(options)),
      metrics_(metrics),
      store_(options_.run_dir, options_.keep_checkpoints),
      replay_(options_.replay),
      started_(std::chrono::steady_clock::now()),
      last_panels_(started_ - std::chrono::hours(1)) {}

void TrainStage::process(Frame frame, Outputs<TrainReport>& out) {
  if (options_.max_steps >= 0 && steps_ >= options_.max_steps) return;  // draining after the budget
  const bool continues = !history_.empty() && history_.back().clip_id == frame.clip_id &&
                         history_.back().index + 1 == frame.index && !is_scene_cut(history_.back(), frame);
  if (!continues) history_.clear();
  history_.push_back(frame);
  next_frame_index_ = frame.index + 1;
  if (static_cast<std::int64_t>(history_.size()) < learner_.clip_length()) return;
  std::vector<torch::Tensor> images;
  for (const auto& f : history_) images.push_back(f.image);
  replay_.add(torch::stack(images));
  history_.pop_front();
  for (std::int64_t i = 0; i < options_.steps_per_frame; ++i) {
    train_once(frame, out);
    if (options_.max_steps >= 0 && steps_ >= options_.max_steps) {
      stop_pipeline();
      break;
    }
  }
}

bool TrainStage::is_scene_cut(const Frame& previous, const Frame& frame) {
  if (options_.scene_cut <= 0) return false;
  const double difference = decoded_difference(previous, frame);
  if (difference <= options_.scene_cut) return false;
  ++scene_cuts_;
  if (metrics_)
    metrics_->write(JsonLine().add("event", "scene_cut").add("frame", frame.index).add("difference", difference).str());
  return true;
}

void TrainStage::train_once(const Frame& frame, Outputs<TrainReport>& out) {
  TrainReport report;
  report.step = learner_.train(replay_.sample());
  if (report.step.skipped) {
    ++skipped_total_;
    if (++skipped_in_a_row_ >= options_.max_nonfinite) restore_last_good();
  } else {
    skipped_in_a_row_ = 0;
    steps_ = report.step.step;
  }
  const auto now = std::chrono::steady_clock::now();
  recent_steps_.push_back(now);
  while (recent_steps_.size() > 2 && now - recent_steps_.front() > std::chrono::seconds(1)) recent_steps_.pop_front();
  const double span = std::chrono::duration<double>(now - recent_steps_.front()).count();
  report.steps_per_s = span > 0 ? static_cast<double>(recent_steps_.size() - 1) / span : 0;
  log_step(report.step, frame);
  if (options_.checkpoint_every > 0 && !report.step.skipped && steps_ % options_.checkpoint_every == 0) checkpoint();
  if (std::chrono::duration<double>(now - last_panels_).count() >= options_.panel_interval_s) {
    report.panels = learner_.panels();
    // The learner sees only preprocessed frames; the decoded picture it came from leads the row.
    if (!report.panels.empty() && frame.original.defined())
      report.panels.insert(report.panels.begin(), Panel{"input", frame.original.to(torch::kCPU, torch::kFloat), Panel::Scale::bytes});
    last_panels_ = now;
  }
  report.frame = frame;
  out.emit(report);
}

void TrainStage::log_step(const LearnerStep& step, const Frame& frame) {
  if (!metrics_) return;
  JsonLine line;
  line.add("step", step.step)
      .add("time", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count())
      .add("model", learner_.model_name())
      .add("frame", frame.index)
      .add("skipped", step.skipped)
      .add("skipped_total", skipped_total_)
      .add("replay", replay_.size());
  for (const auto& [key, value] : step.values) line.add(key, value);
  metrics_->write(line.str());
}

void TrainStage::restore_last_good() {
  skipped_in_a_row_ = 0;
  if (!last_checkpoint_) return;  // nothing to go back to yet: keep skipping
  learner_.load(CheckpointStore::load(*last_checkpoint_));
  if (metrics_)
    metrics_->write(JsonLine().add("event", "restored").add("checkpoint", *last_checkpoint_).add("skipped_total", skipped_total_).str());
}

std::string TrainStage::checkpoint() {
  CheckpointData data;
  learner_.save(data);
  data.config = options_.config_yaml;
  for (auto& [key, value] : replay_.state()) data.state[key] = value;
  data.state["train.next_frame_index"] = torch::tensor(next_frame_index_);
  data.state["train.skipped_total"] = torch::tensor(skipped_total_);
  std::vector<torch::Tensor> images;
  std::vector<std::int64_t> meta;  // index, clip_id, clip_frame, timestamp_us per frame
  for (const auto& f : history_) {
    images.push_back(f.image.cpu());
    meta.insert(meta.end(), {f.index, f.clip_id, f.clip_frame, f.timestamp_us});
  }
  if (!images.empty()) {
    data.state["train.history.images"] = torch::stack(images);
    data.state["train.history.meta"] = torch::tensor(meta).view({-1, 4});
  }
  last_checkpoint_ = store_.save(data);
  last_checkpoint_step_ = data.step;
  return *last_checkpoint_;
}

std::int64_t TrainStage::resume(const std::string& checkpoint_folder) {
  const CheckpointData checkpoint = CheckpointStore::load(checkpoint_folder);
  learner_.load(checkpoint);
  replay_.load_state(checkpoint.state, learner_.device());
  steps_ = checkpoint.step;
  next_frame_index_ = checkpoint.state.at("train.next_frame_index").item<std::int64_t>();
  skipped_total_ = checkpoint.state.at("train.skipped_total").item<std::int64_t>();
  history_.clear();
  auto images = checkpoint.state.find("train.history.images");
  if (images != checkpoint.state.end()) {
    const auto meta = checkpoint.state.at("train.history.meta");
    for (std::int64_t i = 0; i < images->second.size(0); ++i) {
      Frame f;
      f.image = images->second[i].to(learner_.device());
      f.index = meta[i][0].item<std::int64_t>();
      f.clip_id = static_cast<std::int32_t>(meta[i][1].item<std::int64_t>());
      f.clip_frame = meta[i][2].item<std::int64_t>();
      f.timestamp_us = meta[i][3].item<std::int64_t>();
      history_.push_back(f);
    }
  }
  last_checkpoint_step_ = steps_;
  last_checkpoint_ = checkpoint_folder;
  return next_frame_index_;
}

void TrainStage::finish(Outputs<TrainReport>&) {
  if (steps_ != last_checkpoint_step_) checkpoint();
}

}  // namespace vidssl
