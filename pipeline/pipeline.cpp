#include "pipeline/pipeline.h"

#include <algorithm>

namespace vidssl {

Pipeline::~Pipeline() {
  if (threads_.empty()) return;
  cancel();
  try {
    join_until(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  } catch (const StageError&) {
    // Nobody asked how the run ended; the destructor only makes sure no thread runs on unjoined.
  }
}

void Pipeline::start() {
  if (!threads_.empty()) throw std::logic_error("pipeline already started");
  Shared& s = *shared_;
  for (auto& stage : s.stages)
    if (!stage->input_connected()) throw std::logic_error("stage '" + stage->name() + "' has no input edge");
  started_at_ = std::chrono::steady_clock::now();
  reports();  // opens every stage's first reporting window at the start
  for (auto& stage : s.stages) stage->control_ = &s.control;
  s.finished.assign(s.stages.size(), false);
  threads_.reserve(s.stages.size());
  for (std::size_t i = 0; i < s.stages.size(); ++i)
    threads_.emplace_back([shared = shared_, i] { run_stage(*shared, i); });
}

void Pipeline::run_stage(Shared& s, std::size_t index) {
  StageBase& stage = *s.stages[index];
  auto fail = [&](const std::string& cause) {
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      if (!s.error) s.error = std::make_unique<StageError>(stage.name(), cause);
    }
    cancel(s);
  };
  try {
    stage.run(s.control);
    if (s.control.aborted.load()) {
      stage.cancel_edges();
    } else {
      stage.close_outputs();
    }
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("unknown exception");
  }
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.finished[index] = true;
  }
  s.finished_changed.notify_all();
}

void Pipeline::cancel(Shared& s) {
  s.control.aborted.store(true);
  s.control.stop_requested.store(true);
  for (auto& stage : s.stages) stage->cancel_edges();
}

void Pipeline::request_stop() { shared_->control.stop_requested.store(true); }

void Pipeline::interrupt() {
  shared_->control.interrupted.store(true);
  end_sources();
}

void Pipeline::end_sources() {
  shared_->control.stop_requested.store(true);
  for (auto& stage : shared_->stages)
    if (stage->is_source()) stage->close_outputs();
}

void Pipeline::cancel() { cancel(*shared_); }

bool Pipeline::wait_for(std::chrono::milliseconds timeout) {
  Shared& s = *shared_;
  std::unique_lock<std::mutex> lock(s.mutex);
  return s.finished_changed.wait_for(lock, timeout, [&] { return std::all_of(s.finished.begin(), s.finished.end(), [](bool f) { return f; }); });
}

std::vector<std::string> Pipeline::busy_stages() {
  Shared& s = *shared_;
  std::lock_guard<std::mutex> lock(s.mutex);
  std::vector<std::string> busy;
  for (std::size_t i = 0; i < s.finished.size(); ++i)
    if (!s.finished[i]) busy.push_back(s.stages[i]->name());
  return busy;
}

std::vector<std::string> Pipeline::join_until(std::chrono::steady_clock::time_point deadline) {
  Shared& s = *shared_;
  std::vector<std::string> left;
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (!threads_[i].joinable()) continue;
    bool finished = false;
    {
      std::unique_lock<std::mutex> lock(s.mutex);
      finished = s.finished_changed.wait_until(lock, deadline, [&] { return s.finished[i]; });
    }
    if (finished) {
      threads_[i].join();
    } else {
      threads_[i].detach();
      left.push_back(s.stages[i]->name());
    }
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.error) throw *s.error;
  return left;
}

void Pipeline::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(shared_->mutex);
  if (shared_->error) throw *shared_->error;
}

std::vector<StageReport> Pipeline::reports() {
  const double now_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  std::vector<StageReport> out;
  out.reserve(shared_->stages.size());
  for (auto& stage : shared_->stages) {
    const auto input = stage->input_counters();
    out.push_back(stage->stats().report(input ? &*input : nullptr, now_s));
  }
  return out;
}

std::uint64_t Pipeline::dropped_total() {
  std::uint64_t dropped = 0;
  for (auto& stage : shared_->stages)
    if (const auto input = stage->input_counters()) dropped += input->dropped;
  return dropped;
}

}  // namespace vidssl
