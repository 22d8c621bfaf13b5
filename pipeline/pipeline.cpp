#include "pipeline/pipeline.h"

namespace vidssl {

Pipeline::~Pipeline() {
  if (!threads_.empty()) {
    cancel();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
}

void Pipeline::start() {
  if (!threads_.empty()) throw std::logic_error("pipeline already started");
  for (auto& stage : stages_)
    if (!stage->input_connected()) throw std::logic_error("stage '" + stage->name() + "' has no input edge");
  started_at_ = std::chrono::steady_clock::now();
  reports();  // opens every stage's first reporting window at the start
  for (auto& stage : stages_) stage->control_ = &control_;
  threads_.reserve(stages_.size());
  for (auto& stage : stages_) threads_.emplace_back([this, s = stage.get()] { run_stage(*s); });
}

void Pipeline::run_stage(StageBase& stage) {
  try {
    stage.run(control_);
    if (control_.aborted.load()) {
      stage.cancel_edges();
    } else {
      stage.close_outputs();
    }
  } catch (const std::exception& e) {
    fail(stage, e.what());
  } catch (...) {
    fail(stage, "unknown exception");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++finished_;
  }
  finished_changed_.notify_all();
}

void Pipeline::fail(StageBase& stage, const std::string& cause) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::make_unique<StageError>(stage.name(), cause);
  }
  cancel();
}

void Pipeline::request_stop() { control_.stop_requested.store(true); }

void Pipeline::cancel() {
  control_.aborted.store(true);
  control_.stop_requested.store(true);
  for (auto& stage : stages_) stage->cancel_edges();
}

bool Pipeline::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return finished_changed_.wait_for(lock, timeout, [&] { return finished_ == threads_.size(); });
}

void Pipeline::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_) throw *error_;
}

std::vector<StageReport> Pipeline::reports() {
  const double now_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  std::vector<StageReport> out;
  out.reserve(stages_.size());
  for (auto& stage : stages_) {
    const auto input = stage->input_counters();
    out.push_back(stage->stats().report(input ? &*input : nullptr, now_s));
  }
  return out;
}

std::uint64_t Pipeline::dropped_total() {
  std::uint64_t dropped = 0;
  for (auto& stage : stages_)
    if (const auto input = stage->input_counters()) dropped += input->dropped;
  return dropped;
}

}  // namespace vidssl
