#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/mailbox.h"
#include "pipeline/spsc_queue.h"
#include "pipeline/stage_stats.h"

namespace vidssl {

class Pipeline;

// Shared by a pipeline's stages. stop_requested: sources end their stream early, the rest drains
// and finishes. interrupted (SIGINT): every stage finishes after the item in hand instead of
// draining its input. aborted: a stage failed or a hard stop; nobody finishes.
struct RunControl {
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> interrupted{false};
  std::atomic<bool> aborted{false};
};


// The output type of a stage that ends a branch (a sink).
struct NoOutput {};

// The edges and mailboxes a stage's results go to. emit() hands the same item to each; items are
// shared (a tensor is reference-counted), so a consumer must not modify what it received in place.
template <class Out>
class Outputs {
 public:
  // Returns false once any downstream edge is cancelled (the run is being aborted).
  bool emit(const Out& item) {
    bool open = true;
    for (auto& edge : edges_) open = edge->push(item) && open;
    for (auto& box : mailboxes_) box->post(item);
    stats_->count_out();
    return open;
  }

 private:
  friend class Pipeline;

  template <class>
  friend class Producer;
  explicit Outputs(StageStats* stats) : stats_(stats) {}

  void close() {
    for (auto& edge : edges_) edge->close();
    for (auto& box : mailboxes_) box->close();
  }
  void cancel() {
    for (auto& edge : edges_) edge->cancel();
    for (auto& box : mailboxes_) box->close();
  }

  std::vector<std::shared_ptr<SpscQueue<Out>>> edges_;
  std::vector<std::shared_ptr<Mailbox<Out>>> mailboxes_;
  StageStats* stats_;
};

// What the Pipeline needs of every stage: a name, stats, and a loop to run on its own thread.
class StageBase {
 public:
  explicit StageBase(std::string name) : name_(std::move(name)), stats_(name_) {}
  virtual ~StageBase() = default;
  StageBase(const StageBase&) = delete;
  StageBase& operator=(const StageBase&) = delete;

  const std::string& name() const { return name_; }
  StageStats& stats() { return stats_; }

 protected:
  // Ends the run from inside a stage (a step budget reached): sources end their streams and the
  // rest drains, as on SIGINT.
  void stop_pipeline() {
    if (control_) control_->stop_requested.store(true);
  }

  static std::int64_t elapsed_us(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - since)
        .count();
  }

 private:
  friend class Pipeline;

  // Runs until the end of the stream (or, for a source, until stop is requested).
  virtual void run(const RunControl& control) = 0;
  virtual bool is_source() const = 0;
  virtual void close_outputs() = 0;
  virtual void cancel_edges() = 0;
  virtual bool input_connected() const = 0;
  virtual std::optional<EdgeCounters> input_counters() const = 0;

  std::string name_;
  StageStats stats_;
  RunControl* control_ = nullptr;  // set by the Pipeline before the stage runs
};

// A stage with outputs of type Out.
template <class Out>
class Producer : public StageBase {
 public:
  using Output = Out;
  explicit Producer(std::string name) : StageBase(std::move(name)), outputs_(&stats()) {}

 protected:
  Outputs<Out>& outputs() { return outputs_; }

 private:
  friend class Pipeline;

  void close_outputs() override { outputs_.close(); }
  void cancel_edges() override { outputs_.cancel(); }

  Outputs<Out> outputs_;
};

// A stage with no input: a decoder, a camera, a synthetic generator.
template <class Out>
class Source : public Producer<Out> {
 public:
  using Producer<Out>::Producer;

 protected:
  // Emits the next item(s) to `out`; returns false at the end of the stream.
  virtual bool process(Outputs<Out>& out) = 0;
  // Called once after the last process(), unless the run was aborted.
  virtual void finish(Outputs<Out>& /*out*/) {}

 private:
  void run(const RunControl& control) override {
    auto& out = this->outputs();
    while (!control.stop_requested.load(std::memory_order_acquire) &&
           !control.aborted.load(std::memory_order_acquire)) {
      const auto start = std::chrono::steady_clock::now();
      if (!process(out)) break;
      this->stats().count_in();
      this->stats().record_latency_us(StageBase::elapsed_us(start));
    }
    if (!control.aborted.load(std::memory_order_acquire)) finish(out);
  }
  bool is_source() const override { return true; }
  bool input_connected() const override { return true; }
  std::optional<EdgeCounters> input_counters() const override { return std::nullopt; }
};

// A stage with one input edge: process() is called once per item, in order, on the stage's thread.
// When the input is closed and drained, finish() runs (flush logs, write the last checkpoint).
template <class In, class Out = NoOutput>
class Stage : public Producer<Out> {
 public:
  using Input = In;
  using Producer<Out>::Producer;

 protected:
  virtual void process(In item, Outputs<Out>& out) = 0;
  virtual void finish(Outputs<Out>& /*out*/) {}

 private:
  friend class Pipeline;

  // A stop request reaches this stage as its input closing, so it drains what is in flight; an
  // interrupt leaves what is queued.
  void run(const RunControl& control) override {
    auto& out = this->outputs();
    while (!control.interrupted.load(std::memory_order_acquire)) {
      std::optional<In> item = input_->pop();
      if (!item) break;
      this->stats().count_in();
      const auto start = std::chrono::steady_clock::now();
      process(std::move(*item), out);
      this->stats().record_latency_us(StageBase::elapsed_us(start));
    }
    // Interrupted with items queued: nobody will take more from this edge, so a producer waiting
    // for room on it must not wait for good; its pushes now fail.
    if (control.interrupted.load(std::memory_order_acquire)) input_->close();
    if (!control.aborted.load(std::memory_order_acquire)) finish(out);
  }
  bool is_source() const override { return false; }
  bool input_connected() const override { return input_ != nullptr; }
  std::optional<EdgeCounters> input_counters() const override {
    if (!input_) return std::nullopt;
    return input_->counters();
  }

  std::shared_ptr<SpscQueue<In>> input_;
};

}  // namespace vidssl
