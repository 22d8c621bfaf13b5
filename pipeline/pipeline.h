#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "pipeline/stage.h"

namespace vidssl {

// Thrown by Pipeline::join() when a stage threw: names the stage and carries the cause.
class StageError : public std::runtime_error {
 public:
  StageError(std::string stage, const std::string& cause)
      : std::runtime_error("stage '" + stage + "': " + cause), stage_(std::move(stage)) {}
  const std::string& stage() const { return stage_; }

 private:
  std::string stage_;
};

// Owns stages, wires them in plain C++ and runs each on its own thread.
//
//   Pipeline p;
//   auto& source = p.add<SourceStage>("source", open_source(options), warn);
//   auto& slow = p.add<LearnerStage>("slow", *learner, stage_options, &metrics);
//   p.connect(source, slow, {.capacity = 4, .policy = EdgePolicy::drop_oldest});
//   auto latest = p.tap(slow);             // a Mailbox for the display on the main thread
//   p.start();
//   while (!p.wait_for(std::chrono::seconds(1))) print(p.reports());
//   p.join();                              // throws StageError if a stage threw
//
// Ending: a source returning false closes its edges; every stage drains its input, runs
// finish() and closes its own outputs. request_stop() (a step budget) makes sources end early the
// same way. interrupt() (SIGINT) ends the run soon whatever a source is blocked on: the sources'
// edges close at once and every stage finishes after the item in hand. A throwing stage aborts the
// run: every edge is cancelled, no finish() runs, and join() rethrows the first error with the
// stage's name.
//
// Why threads can be left behind: a source blocked in a read of a FIFO or a device that sends
// nothing cannot be woken from outside, and a run must still end. join_until() leaves such a thread
// running detached; the stages and the run's state are shared with the threads, so a stage that
// wakes later touches nothing that was freed.
class Pipeline {
 public:
  Pipeline() = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline();

  template <class S, class... Args>
  S& add(Args&&... args) {
    static_assert(std::is_base_of<StageBase, S>::value, "a stage derives from Source or Stage");
    auto stage = std::make_unique<S>(std::forward<Args>(args)...);
    S& ref = *stage;
    shared_->stages.push_back(std::move(stage));
    return ref;
  }

  template <class Out, class In, class Next>
  void connect(Producer<Out>& from, Stage<In, Next>& to, EdgeOptions options = {}) {
    static_assert(std::is_same<Out, In>::value, "an edge joins an output and an input of the same type");
    if (to.input_) throw std::logic_error("stage '" + to.name() + "' already has an input");
    auto edge = std::make_shared<SpscQueue<In>>(options);
    from.outputs_.edges_.push_back(edge);
    to.input_ = std::move(edge);
  }

  // A newest-value tap on a stage's output, for readers outside the pipeline (the display); with a
  // doorbell, every post rings it.
  template <class Out>
  std::shared_ptr<Mailbox<Out>> tap(Producer<Out>& from, std::shared_ptr<Doorbell> bell = nullptr) {
    auto box = std::make_shared<Mailbox<Out>>(std::move(bell));
    from.outputs_.mailboxes_.push_back(box);
    return box;
  }

  void start();
  // Sources end their streams; the rest drains and finishes. Safe from any thread.
  void request_stop();
  // Ends the run soon: the sources' edges close now (a source blocked in a read is not waited for;
  // what it reads afterwards is discarded) and every stage stops taking input after the item in
  // hand, then finishes (a learner writes its final checkpoint). Safe from any thread.
  void interrupt();
  // Ends the sources' streams without waiting for them (a source stalled in a read): their edges
  // close now and the rest drains and finishes. Safe from any thread.
  void end_sources();
  // Aborts: every edge is cancelled, threads return without finishing. Safe from any thread.
  void cancel();
  // Waits up to `timeout`; true once every stage thread has returned.
  bool wait_for(std::chrono::milliseconds timeout);
  // The stages whose thread has not returned yet, in the order they were added.
  std::vector<std::string> busy_stages();
  // Joins the threads that return by `deadline` and leaves the others running, detached; returns
  // the names of the stages left behind. Rethrows the first stage error as StageError.
  std::vector<std::string> join_until(std::chrono::steady_clock::time_point deadline);
  // Joins every thread; rethrows the first stage error as StageError.
  void join();

  // Figures of every stage since the previous call.
  std::vector<StageReport> reports();
  // Items dropped on every edge so far. Unlike reports(), it leaves the reporting windows alone,
  // so a display refresh can read it without shortening the window the metrics log measures.
  std::uint64_t dropped_total();

 private:
  // What the stage threads use: it lives as long as the last of them.
  struct Shared {
    std::vector<std::unique_ptr<StageBase>> stages;
    RunControl control;
    std::mutex mutex;
    std::condition_variable finished_changed;
    std::vector<bool> finished;  // per stage
    std::unique_ptr<StageError> error;
  };
  static void run_stage(Shared& shared, std::size_t index);
  static void cancel(Shared& shared);

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::vector<std::thread> threads_;
  std::chrono::steady_clock::time_point started_at_;
};

}  // namespace vidssl
