#include "stages/learner_stage.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "models/torch_runtime.h"
#include "models/training/json_line.h"
#include "models/training/reusable_buffer.h"

namespace fs = std::filesystem;

namespace vidssl {

void check_options(const LearnerStageOptions& options) {
  if (options.checkpoint_every < 0)
    throw std::invalid_argument("train.checkpoint_every: expected an integer >= 0 (0: only at the end), got " +
                                std::to_string(options.checkpoint_every));
  if (options.keep_checkpoints < 1)
    throw std::invalid_argument("train.keep_checkpoints: expected an integer >= 1, got " + std::to_string(options.keep_checkpoints));
  if (options.max_nonfinite < 1 || options.max_nonfinite > 1000000)
    throw std::invalid_argument("train.max_nonfinite: expected an integer in [1, 1000000], got " + std::to_string(options.max_nonfinite));
  if (!(options.divergence == 0 || (options.divergence > 1 && options.divergence <= 1e12)))
    throw std::invalid_argument("train.divergence: expected 0 (off) or a factor in (1, 1e12], got " + std::to_string(options.divergence));
  if (options.health_window < 1 || options.health_window > 100000)
    throw std::invalid_argument("train.health_window: expected an integer in [1, 100000], got " + std::to_string(options.health_window));
  if (!(options.rollback_lr_factor > 0 && options.rollback_lr_factor <= 1))
    throw std::invalid_argument("train.rollback_lr_factor: expected a factor in (0, 1], got " + std::to_string(options.rollback_lr_factor));
  if (options.max_rollbacks < 0 || options.max_rollbacks > 1000)
    throw std::invalid_argument("train.max_rollbacks: expected an integer in [0, 1000], got " + std::to_string(options.max_rollbacks));
}

namespace {

double median(std::vector<double> values) {
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

// A line of <folder>/frame_index.jsonl up to its value, the text it is written with and looked up by.
std::string frame_index_key(std::int64_t step) { return "{\"step\": " + std::to_string(step) + ", \"next_frame_index\": "; }

std::optional<double> loss_of(const LearnerStep& step) {
  for (const auto& [key, value] : step.values)
    if (key == "loss") return value;
  return std::nullopt;
}

}  // namespace

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
  if (!last_checkpoint_ && !initial_) initial_ = snapshot();  // something to roll back to before the first checkpoint
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
  try {
    report.update = learner_.consume(input);
  } catch (const DataParallelError&) {
    // Another rank died or stalled: the failed step was not applied, so rank 0 keeps the last
    // complete one, if its steps were healthy, before the run ends.
    if (writes_checkpoints()) checkpoint_last_state();
    throw;
  } catch (const c10::Error& e) {
    throw std::runtime_error(error_message(e));  // the run's error is one line, without LibTorch's backtrace
  }
  ++frames_;
  next_frame_index_ = frame.index + 1;
  // A due checkpoint is judged on every step before it: those the learner has not reported yet
  // are read now (one host read per checkpoint, not per step).
  if (checkpoint_due_ || crosses_checkpoint(steps_before)) {
    std::vector<LearnerStep> late = learner_.read_steps();
    report.update.steps.insert(report.update.steps.end(), std::make_move_iterator(late.begin()), std::make_move_iterator(late.end()));
  }
  last_frame_ = {frame.index, frame.timestamp_us};
  log(report.update, skipped_total_);
  if (!report.update.record.empty()) write_record(report.update.record);

  const bool rolled_back = take(report.update.steps);
  const std::int64_t steps = learner_.steps();
  if (!rolled_back && crosses_checkpoint(steps_before)) checkpoint_due_ = true;
  if (checkpoint_due_) checkpoint_if_healthy();

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
  if (data_parallel_ && data_parallel_->ended()) stop_pipeline();  // another rank's stream ended
}

void LearnerStage::join(std::shared_ptr<DataParallel> group) {
  learner_.join(group);
  data_parallel_ = std::move(group);
  // The store made its folder, so that an unwritable run folder fails at the start; this rank will
  // write no checkpoint into it. Removed only while empty.
  std::error_code not_empty;
  if (!writes_checkpoints()) std::filesystem::remove(store_.folder(), not_empty);
}

bool LearnerStage::writes_checkpoints() const { return !data_parallel_ || data_parallel_->rank() == 0; }

bool LearnerStage::take(const std::vector<LearnerStep>& steps) {
  for (const auto& step : steps) {
    if (step.skipped) ++skipped_total_;
    std::string cause;
    const bool healthy = judge(step, cause);
    // A candidate checkpoint is written once the first loss computed from its state is healthy.
    if (candidate_) {
      if (healthy) write(*candidate_);
      candidate_.reset();
      release_free_memory();  // the checkpoint's buffers (models/torch_runtime.h)
    }
    if (healthy) continue;
    if (++unhealthy_in_a_row_ >= options_.max_nonfinite) {
      roll_back(std::to_string(unhealthy_in_a_row_) + " unhealthy steps in a row, the last: " + cause);
      return true;
    }
  }
  return false;
}

bool LearnerStage::crosses_checkpoint(std::int64_t steps_before) const {
  return options_.checkpoint_every > 0 && learner_.steps() / options_.checkpoint_every > steps_before / options_.checkpoint_every;
}

double LearnerStage::steps_per_s(std::int64_t steps) {
  const auto now = std::chrono::steady_clock::now();
  recent_steps_.emplace_back(now, steps);
  while (recent_steps_.size() > 2 && now - recent_steps_.front().first > std::chrono::seconds(1)) recent_steps_.pop_front();
  const double span = std::chrono::duration<double>(now - recent_steps_.front().first).count();
  return span > 0 ? static_cast<double>(steps - recent_steps_.front().second) / span : 0;
}

void LearnerStage::log(const LearnerUpdate& update, std::int64_t skipped_before) {
  if (!metrics_) return;
  const double time = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::int64_t skipped = skipped_before;
  for (const auto& step : update.steps) {
    skipped += step.skipped ? 1 : 0;
    JsonLine line;
    line.add("step", step.step).add("time", time).add("model", name()).add("kind", learner_.kind()).add("frame", last_frame_.index)
        .add("skipped", step.skipped).add("skipped_total", skipped);
    for (const auto& [key, value] : step.values) line.add(key, value);
    metrics_->write(line.str());
  }
  if (!update.values.empty() || !update.skipped.empty()) {
    JsonLine line;
    line.add("frame", last_frame_.index).add("time", time).add("source_time", static_cast<double>(last_frame_.timestamp_us) * 1e-6)
        .add("model", name()).add("steps", learner_.steps());
    for (const auto& [key, value] : update.values) line.add(key, value);
    if (!update.skipped.empty()) line.add("not_trained", update.skipped);
    metrics_->write(line.str());
  }
  for (const auto& [event, value] : update.events)
    metrics_->write(JsonLine().add("event", event).add("model", name()).add("frame", last_frame_.index).add("value", value).str());
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

bool LearnerStage::judge(const LearnerStep& step, std::string& cause) {
  ++steps_since_reset_;
  const std::optional<double> loss = loss_of(step);
  if (step.skipped || (loss && !std::isfinite(*loss))) {
    cause = "loss not finite";
  } else if (loss && options_.divergence > 0 && !healthy_losses_.empty()) {
    const double typical = median({healthy_losses_.begin(), healthy_losses_.end()});
    if (*loss > options_.divergence * typical) {
      char text[160];
      std::snprintf(text, sizeof(text), "loss %.4g above train.divergence (%g) x the recent median %.4g", *loss, options_.divergence,
                    typical);
      cause = text;
    }
  }
  if (!cause.empty()) {
    healthy_in_a_row_ = 0;
    return false;
  }
  unhealthy_in_a_row_ = 0;
  ++healthy_in_a_row_;
  if (loss) {
    healthy_losses_.push_back(*loss);
    if (static_cast<int>(healthy_losses_.size()) > options_.health_window) healthy_losses_.pop_front();
  }
  return true;
}

void LearnerStage::checkpoint_if_healthy() {
  if (healthy_in_a_row_ < std::min<std::int64_t>(options_.health_window, steps_since_reset_)) return;  // wait for a healthy stretch
  if (const std::string problem = learner_.weights_problem(); !problem.empty()) {
    roll_back("weights unfit to checkpoint: " + problem);
    return;
  }
  candidate_ = snapshot();
  checkpoint_due_ = false;
}

LearnerStage::Snapshot LearnerStage::snapshot() {
  Snapshot s;
  s.frames = frames_;
  s.step = learner_.steps();
  s.next_frame_index = next_frame_index_;
  if (!writes_checkpoints()) return s;  // rank 0 keeps the group's (identical) state: nothing to copy here
  learner_.save(s.data);
  // A learner's tensors may share storage with its live weights and buffers (a detached parameter,
  // a slice of a ring, the replay buffer's stacking buffer), and the next step must not change a
  // state kept to go back to: those are copied, into the copy of the same key the last snapshot
  // made when nothing refers to it any more (the snapshot was written and let go), so that a long
  // run's checkpoints do not allocate their largest buffers afresh each time. A tensor that owns
  // its storage alone is kept as it is.
  const auto own = [this](const std::string& key, torch::Tensor& tensor) {
    if (!tensor.defined() || tensor.storage().use_count() <= 1) return;
    tensor = reuse_or_allocate(copies_[key], tensor.sizes(), tensor.options()).copy_(tensor);
  };
  for (auto& [key, tensor] : s.data.weights) own("weights." + key, tensor);
  for (auto& [key, tensor] : s.data.state) own("state." + key, tensor);
  s.data.learner = name();
  s.data.config = options_.config_yaml;
  s.data.state["run.next_frame_index"] = torch::tensor(next_frame_index_);
  s.data.state["run.skipped_total"] = torch::tensor(skipped_total_);
  s.data.state["run.lr_scale"] = torch::tensor(lr_scale_, torch::kFloat64);
  s.data.state["run.rollbacks"] = torch::tensor(static_cast<std::int64_t>(rollbacks_));
  return s;
}

std::string LearnerStage::write(const Snapshot& s) {
  if (writes_checkpoints()) {
    last_checkpoint_ = store_.save(s.data);
  } else {
    // Rank 0's checkpoint of this step holds rank 0's place in its own share of the source.
    std::ofstream(frame_index_path(), std::ios::app) << frame_index_key(s.step) << s.next_frame_index << "}\n";
  }
  frames_at_checkpoint_ = s.frames;
  initial_.reset();
  return last_checkpoint_.value_or("");
}

void LearnerStage::roll_back(const std::string& cause) {
  if (data_parallel_)
    throw std::runtime_error("training diverged (" + cause + "); a data-parallel run does not roll back: --resume from the last checkpoint " +
                             "with a lower train.lr");
  if (rollbacks_ >= options_.max_rollbacks)
    throw std::runtime_error("training diverged after " + std::to_string(rollbacks_) + " rollbacks (train.max_rollbacks), the learning rate at " +
                             std::to_string(lr_scale_) + " x train.lr: " + cause + "; lower train.lr");
  ++rollbacks_;
  lr_scale_ *= options_.rollback_lr_factor;
  learner_.load(last_checkpoint_ ? CheckpointStore::load(*last_checkpoint_) : initial_->data);
  learner_.set_learning_rate_scale(lr_scale_);
  unhealthy_in_a_row_ = 0;
  healthy_in_a_row_ = 0;
  steps_since_reset_ = 0;
  healthy_losses_.clear();
  checkpoint_due_ = false;
  candidate_.reset();
  if (metrics_)
    metrics_->write(JsonLine().add("event", "restored").add("model", name()).add("checkpoint", last_checkpoint_ ? *last_checkpoint_ : "start")
                        .add("cause", cause).add("lr_scale", lr_scale_).add("rollbacks", static_cast<std::int64_t>(rollbacks_))
                        .add("skipped_total", skipped_total_).str());
}

std::string LearnerStage::checkpoint() {
  candidate_.reset();
  checkpoint_due_ = false;
  return write(snapshot());
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
  // Checkpoints written before rollbacks lowered rates have neither: the configured rate.
  if (const auto at = checkpoint.state.find("run.lr_scale"); at != checkpoint.state.end()) lr_scale_ = at->second.item<double>();
  if (const auto at = checkpoint.state.find("run.rollbacks"); at != checkpoint.state.end())
    rollbacks_ = static_cast<int>(at->second.item<std::int64_t>());
  learner_.set_learning_rate_scale(lr_scale_);
  last_checkpoint_ = folder;
  frames_at_checkpoint_ = frames_;
  resumed_ = true;
  return next_frame_index_;
}

std::string LearnerStage::frame_index_path() const { return (fs::path(options_.folder) / "frame_index.jsonl").string(); }

std::optional<std::int64_t> LearnerStage::resume_frame_index_of_this_rank() {
  std::ifstream in(frame_index_path());
  const std::string step_key = frame_index_key(learner_.steps());
  std::optional<std::int64_t> found;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(step_key, 0) != 0 || line.back() != '}') continue;  // another step's, or a line cut short
    try {
      found = std::stoll(line.substr(step_key.size()));
    } catch (const std::exception&) {
    }
  }
  if (found) next_frame_index_ = *found;
  return found;
}

void LearnerStage::finish(Outputs<LearnerReport>&) {
  // The other ranks stop at their next exchange instead of waiting for this one.
  if (data_parallel_) data_parallel_->leave();
  checkpoint_last_state();
}

void LearnerStage::checkpoint_last_state() {
  // The steps the learner has not reported yet are logged and judged like the others; a rollback
  // among them leaves the restored checkpoint the newest.
  LearnerUpdate late;
  late.steps = learner_.read_steps();
  log(late, skipped_total_);
  if (take(late.steps)) return;
  if (frames_ == frames_at_checkpoint_) return;
  // The last state's own loss is never seen: it is written if its weights are fit and the steps
  // that led to it were healthy; otherwise the one before it stays the newest.
  if (learner_.weights_problem().empty() && unhealthy_in_a_row_ == 0) checkpoint();
}

}  // namespace vidssl
