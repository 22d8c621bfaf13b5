#include "stages/learner_stage.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "models/training/json_line.h"

namespace fs = std::filesystem;

namespace vidssl {

void check_options(const LearnerStageOptions& options) {
  if (options.checkpoint_every < 0)
    throw std::invalid_argument("train.checkpoint_every: expected an integer >= 0 (0: only at the end), got " +
                                std::to_string(options.checkpoint_every));
  if (options.keep_checkpoints < 1)
    throw std::invalid_argument("train.keep_checkpoints: expected an integer >= 1, got " + std::to_string(options.keep_checkpoints));
  if (options.max_nonfinite < 1)
    throw std::invalid_argument("train.max_nonfinite: expected an integer >= 1, got " + std::to_string(options.max_nonfinite));
}

LearnerStage::LearnerStage(std::string name, Learner& learner, LearnerStageOptions options, MetricsLog* metrics)
    : Stage<Frame, LearnerReport>(std::move(name)),
      learner_(learner),
      options_((check_options(options), std::move(options))),
      metrics_(metrics),
      store_(options_.folder, options_.keep_checkpoints),
      started_(std::chrono::steady_clock::now()),
      last_panels_(started_ - std::chrono::hours(1)) {}

std::string LearnerStage::records_path() const { return (fs::path(options_.folder) / "predictions.jsonl").string(); }

void LearnerStage::process(Frame frame, Outputs<LearnerReport>& out) {
  if (!threads_set_) {  // LibTorch's intra-op thread count belongs to the thread that runs the ops
    if (options_.threads > 0) at::set_num_threads(options_.threads);
    threads_set_ = true;
  }
  if (options_.max_steps >= 0 && learner_.steps() >= options_.max_steps) return;  // draining after the budget
  if (frame.index < next_frame_index_) return;  // a resumed checkpoint consumed it already
  missed_ += static_cast<std::uint64_t>(frame.index - next_frame_index_);
  LearnerFrame input;
  input.index = frame.index;
  input.timestamp_us = frame.timestamp_us;
  input.clip_id = frame.clip_id;
  input.image = frame.image;
  input.decoded = frame.original.defined() ? frame.original : frame.image;
  input.right = frame.right;
  const std::int64_t steps_before = learner_.steps();
  LearnerReport report;
  report.update = learner_.consume(input);
  ++frames_;
  next_frame_index_ = frame.index + 1;
  log(report.update, frame, skipped_total_);
  if (!report.update.record.empty()) write_record(report.update.record);

  for (const auto& step : report.update.steps) {
    if (!step.skipped) {
      skipped_in_a_row_ = 0;
      continue;
    }
    ++skipped_total_;
    if (++skipped_in_a_row_ >= options_.max_nonfinite) restore_last_good();
  }
  const std::int64_t steps = learner_.steps();
  if (options_.checkpoint_every > 0 && steps / options_.checkpoint_every > steps_before / options_.checkpoint_every) checkpoint();

  const auto now = std::chrono::steady_clock::now();
  const bool for_display =
      options_.panel_interval_s >= 0 && std::chrono::duration<double>(now - last_panels_).count() >= options_.panel_interval_s;
  if (for_display || (options_.videos && !learner_.videos().empty())) {
    report.panels = learner_.panels();
    last_panels_ = now;
  }
  report.learner = name();
  report.frame_index = frame.index;
  report.steps = steps;
  report.steps_per_s = steps_per_s(steps);
  report.dropped = missed_;
  out.emit(report);
  if (options_.max_steps >= 0 && steps >= options_.max_steps) stop_pipeline();
}

double LearnerStage::steps_per_s(std::int64_t steps) {
  const auto now = std::chrono::steady_clock::now();
  recent_steps_.emplace_back(now, steps);
  while (recent_steps_.size() > 2 && now - recent_steps_.front().first > std::chrono::seconds(1)) recent_steps_.pop_front();
  const double span = std::chrono::duration<double>(now - recent_steps_.front().first).count();
  return span > 0 ? static_cast<double>(steps - recent_steps_.front().second) / span : 0;
}

void LearnerStage::log(const LearnerUpdate& update, const Frame& frame, std::int64_t skipped_before) {
  if (!metrics_) return;
  const double time = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::int64_t skipped = skipped_before;
  for (const auto& step : update.steps) {
    skipped += step.skipped ? 1 : 0;
    JsonLine line;
    line.add("step", step.step).add("time", time).add("model", name()).add("kind", learner_.kind()).add("frame", frame.index)
        .add("skipped", step.skipped).add("skipped_total", skipped);
    for (const auto& [key, value] : step.values) line.add(key, value);
    metrics_->write(line.str());
  }
  if (!update.values.empty() || !update.skipped.empty()) {
    JsonLine line;
    line.add("frame", frame.index).add("time", time).add("source_time", static_cast<double>(frame.timestamp_us) * 1e-6)
        .add("model", name()).add("steps", learner_.steps());
    for (const auto& [key, value] : update.values) line.add(key, value);
    if (!update.skipped.empty()) line.add("not_trained", update.skipped);
    metrics_->write(line.str());
  }
  for (const auto& [event, value] : update.events)
    metrics_->write(JsonLine().add("event", event).add("model", name()).add("frame", frame.index).add("value", value).str());
}

void LearnerStage::write_record(const std::string& record) {
  if (!records_.is_open()) {
    records_.open(records_path(), resumed_ ? std::ios::app : std::ios::trunc);
    if (!records_) throw std::runtime_error(records_path() + ": cannot write");
  }
  records_ << record << '\n';
  records_.flush();
  if (!records_) throw std::runtime_error(records_path() + ": cannot write (disk full?)");
}

void LearnerStage::restore_last_good() {
  skipped_in_a_row_ = 0;
  if (!last_checkpoint_) return;  // nothing to go back to yet: keep skipping
  learner_.load(CheckpointStore::load(*last_checkpoint_));
  if (metrics_)
    metrics_->write(JsonLine().add("event", "restored").add("model", name()).add("checkpoint", *last_checkpoint_)
                        .add("skipped_total", skipped_total_).str());
}

std::string LearnerStage::checkpoint() {
  CheckpointData data;
  learner_.save(data);
  data.learner = name();
  data.config = options_.config_yaml;
  data.state["run.next_frame_index"] = torch::tensor(next_frame_index_);
  data.state["run.skipped_total"] = torch::tensor(skipped_total_);
  last_checkpoint_ = store_.save(data);
  frames_at_checkpoint_ = frames_;
  return *last_checkpoint_;
}

std::int64_t LearnerStage::resume(const CheckpointData& checkpoint, const std::string& folder) {
  learner_.load(checkpoint);
  const auto counter = [&](const std::string& key) {
    const auto at = checkpoint.state.find(key);
    if (at == checkpoint.state.end()) throw std::runtime_error(folder + "/state.pt: no '" + key + "' (not a run's checkpoint?)");
    return at->second.item<std::int64_t>();
  };
  next_frame_index_ = counter("run.next_frame_index");
  skipped_total_ = counter("run.skipped_total");
  last_checkpoint_ = folder;
  frames_at_checkpoint_ = frames_;
  resumed_ = true;
  return next_frame_index_;
}

void LearnerStage::finish(Outputs<LearnerReport>&) {
  if (frames_ != frames_at_checkpoint_) checkpoint();
}

}  // namespace vidssl
