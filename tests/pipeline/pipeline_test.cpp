#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace vidssl {
namespace {

class CountingSource final : public Source<int> {
 public:
  CountingSource(int n, int throw_at = -1) : Source<int>("counter"), n_(n), throw_at_(throw_at) {}
  bool finished = false;

 protected:
  bool process(Outputs<int>& out) override {
    if (next_ == throw_at_) throw std::runtime_error("cannot read item " + std::to_string(next_));
    if (next_ >= n_) return false;
    return out.emit(next_++);
  }
  void finish(Outputs<int>&) override { finished = true; }

 private:
  int n_;
  int throw_at_;
  int next_ = 0;
};

// A source that never ends by itself: only a stop request or a cancel ends it.
class EndlessSource final : public Source<int> {
 public:
  EndlessSource() : Source<int>("endless") {}

 protected:
  bool process(Outputs<int>& out) override { return out.emit(next_++); }

 private:
  int next_ = 0;
};

class Doubler final : public Stage<int, int> {
 public:
  explicit Doubler(int throw_on = -1) : Stage<int, int>("doubler"), throw_on_(throw_on) {}

 protected:
  void process(int item, Outputs<int>& out) override {
    if (item == throw_on_) throw std::runtime_error("bad item " + std::to_string(item));
    out.emit(item * 2);
  }

 private:
  int throw_on_;
};

// A one-shot event: wait() returns once open() was called.
class Latch {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// With a gate, the collector holds its first item until the gate opens, so the edges upstream
// fill and their producers block: items are in flight when the test stops or cancels the run.
class Collector final : public Stage<int> {
 public:
  Collector(Latch* reached = nullptr, Latch* gate = nullptr)
      : Stage<int>("collector"), reached_(reached), gate_(gate) {}
  std::vector<int> items;
  bool finished = false;

 protected:
  void process(int item, Outputs<NoOutput>&) override {
    if (gate_ && items.empty()) {
      reached_->open();
      gate_->wait();
    }
    items.push_back(item);
  }
  void finish(Outputs<NoOutput>&) override { finished = true; }

 private:
  Latch* reached_;
  Latch* gate_;
};

TEST(Pipeline, EveryItemFlowsThroughInOrderAndEveryStageFinishes) {
  Pipeline p;
  auto& source = p.add<CountingSource>(10'000);
  auto& doubler = p.add<Doubler>();
  auto& sink = p.add<Collector>();
  p.connect(source, doubler, {4, EdgePolicy::block});
  p.connect(doubler, sink, {4, EdgePolicy::block});
  p.start();
  p.join();
  ASSERT_EQ(sink.items.size(), 10'000u);
  for (int i = 0; i < 10'000; ++i) ASSERT_EQ(sink.items[i], 2 * i);
  EXPECT_TRUE(source.finished);
  EXPECT_TRUE(sink.finished);
  const auto reports = p.reports();
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[1].stage, "doubler");
  EXPECT_EQ(reports[1].items_in, 10'000u);
  EXPECT_EQ(reports[1].items_out, 10'000u);
  EXPECT_EQ(reports[2].dropped, 0u);
}

// The display reads the drop count at every refresh; that must not open a new reporting window,
// or the metrics log would see only the items since the last refresh.
TEST(Pipeline, ReadingTheDropCountLeavesTheReportingWindowWhole) {
  Pipeline p;
  auto& source = p.add<CountingSource>(1'000);
  auto& sink = p.add<Collector>();
  p.connect(source, sink, {4, EdgePolicy::block});
  p.start();
  p.join();
  EXPECT_EQ(p.dropped_total(), 0u);
  const auto reports = p.reports();
  EXPECT_NEAR(reports[1].items_per_s * reports[1].window_s, 1'000.0, 1e-6);
  EXPECT_NEAR(p.reports()[1].items_per_s, 0.0, 1e-9) << "a second reports() starts a new, empty window";
}

TEST(Pipeline, AThrowingStageStopsTheRunAndTheErrorNamesIt) {
  Pipeline p;
  auto& source = p.add<EndlessSource>();  // would run forever unless the error stops it
  auto& doubler = p.add<Doubler>(/*throw_on=*/500);
  auto& sink = p.add<Collector>();
  p.connect(source, doubler, {2, EdgePolicy::block});
  p.connect(doubler, sink, {2, EdgePolicy::block});
  p.start();
  try {
    p.join();
    FAIL() << "join() should rethrow the stage's error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.stage(), "doubler");
    EXPECT_NE(std::string(e.what()).find("stage 'doubler': bad item 500"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(sink.finished) << "an aborted run does not finish (no checkpoint of a broken state)";
}

TEST(Pipeline, AThrowingSourceIsNamedToo) {
  Pipeline p;
  auto& source = p.add<CountingSource>(100, /*throw_at=*/3);
  auto& sink = p.add<Collector>();
  p.connect(source, sink);
  p.start();
  EXPECT_THROW(p.join(), StageError);
}

TEST(Pipeline, StopRequestDrainsItemsInFlightFinishesAndJoinsEveryThread) {
  Pipeline p;
  auto& source = p.add<EndlessSource>();
  auto& doubler = p.add<Doubler>();
  Latch reached, gate;
  auto& sink = p.add<Collector>(&reached, &gate);
  p.connect(source, doubler, {8, EdgePolicy::block});
  p.connect(doubler, sink, {8, EdgePolicy::block});
  p.start();
  reached.wait();
  p.request_stop();
  gate.open();
  p.join();
  EXPECT_TRUE(sink.finished);
  const auto reports = p.reports();
  EXPECT_EQ(sink.items.size(), reports[0].items_out) << "every item emitted before the stop was drained";
  for (std::size_t i = 0; i < sink.items.size(); ++i) ASSERT_EQ(sink.items[i], 2 * static_cast<int>(i));
}

TEST(Pipeline, CancelWithItemsInFlightJoinsEveryThread) {
  Pipeline p;
  auto& source = p.add<EndlessSource>();
  auto& doubler = p.add<Doubler>();
  Latch reached, gate;
  auto& sink = p.add<Collector>(&reached, &gate);
  p.connect(source, doubler, {2, EdgePolicy::block});
  p.connect(doubler, sink, {2, EdgePolicy::block});
  p.start();
  reached.wait();
  p.cancel();  // the source and the doubler fill their edges and block; the sink is held
  gate.open();
  p.join();
  EXPECT_FALSE(sink.finished);
  EXPECT_TRUE(p.wait_for(std::chrono::milliseconds(0)));
}

// A sink that ends the run after `budget` items, as a train stage does after its step budget.
class BudgetSink final : public Stage<int> {
 public:
  explicit BudgetSink(int budget) : Stage<int>("budget"), budget_(budget) {}
  int seen = 0;
  bool finished = false;

 protected:
  void process(int, Outputs<NoOutput>&) override {
    if (++seen == budget_) stop_pipeline();
  }
  void finish(Outputs<NoOutput>&) override { finished = true; }

 private:
  int budget_;
};

TEST(Pipeline, AStageCanEndTheRunAndEverythingDrains) {
  Pipeline p;
  auto& source = p.add<EndlessSource>();
  auto& sink = p.add<BudgetSink>(1000);
  p.connect(source, sink, {4, EdgePolicy::block});
  p.start();
  p.join();
  EXPECT_TRUE(sink.finished);
  EXPECT_GE(sink.seen, 1000);
  EXPECT_EQ(static_cast<std::uint64_t>(sink.seen), p.reports()[0].items_out) << "what was in flight was drained";
}

// A source that emits `n` items and then blocks in its next read until released, as a source does
// on a FIFO whose writer stopped sending. It owns its latch: the stage outlives the test's scope
// when its thread is left behind.
class StuckSource final : public Source<int> {
 public:
  explicit StuckSource(int n) : Source<int>("stuck source"), n_(n) {}
  void release() { release_.open(); }
  Latch stuck;  // open once it is blocked
  bool finished = false;

 protected:
  bool process(Outputs<int>& out) override {
    if (next_ == n_) {
      stuck.open();
      release_.wait();
    }
    return out.emit(next_++);
  }
  void finish(Outputs<int>&) override { finished = true; }

 private:
  int n_;
  int next_ = 0;
  Latch release_;
};

// A sink that never returns from its first item until released.
class StuckSink final : public Stage<int> {
 public:
  StuckSink() : Stage<int>("stuck sink") {}
  void release() { release_.open(); }
  Latch reached;

 protected:
  void process(int, Outputs<NoOutput>&) override {
    reached.open();
    release_.wait();
  }

 private:
  Latch release_;
};

TEST(Pipeline, InterruptEndsTheRunAfterTheItemInHandWhileTheSourceIsBlockedInARead) {
  Pipeline p;
  auto& source = p.add<StuckSource>(6);
  Latch reached, gate;
  auto& sink = p.add<Collector>(&reached, &gate);
  p.connect(source, sink, {8, EdgePolicy::block});
  p.start();
  reached.wait();       // the sink holds item 0
  source.stuck.wait();  // the source emitted 6 and is stuck in its 7th read
  p.interrupt();
  gate.open();
  const auto left = p.join_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
  EXPECT_EQ(left, std::vector<std::string>{"stuck source"});
  EXPECT_TRUE(sink.finished);
  EXPECT_EQ(sink.items, std::vector<int>{0}) << "the items queued behind the one in hand are left";
  EXPECT_FALSE(source.finished);
  source.release();  // its next emit finds the edge closed: the detached thread ends on its own
}

TEST(Pipeline, EndingAStalledSourceLetsTheRestDrainAndFinish) {
  Pipeline p;
  auto& source = p.add<StuckSource>(5);
  auto& doubler = p.add<Doubler>();
  auto& sink = p.add<Collector>();
  p.connect(source, doubler, {8, EdgePolicy::block});
  p.connect(doubler, sink, {8, EdgePolicy::block});
  p.start();
  source.stuck.wait();
  p.end_sources();
  const auto left = p.join_until(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(left, std::vector<std::string>{"stuck source"});
  EXPECT_EQ(sink.items, (std::vector<int>{0, 2, 4, 6, 8})) << "what the source gave before it stalled is all used";
  EXPECT_TRUE(sink.finished);
  source.release();
}

TEST(Pipeline, AStageThatNeverReturnsIsLeftBehindAndNamedAtTheDeadline) {
  Pipeline p;
  auto& source = p.add<EndlessSource>();
  auto& sink = p.add<StuckSink>();
  p.connect(source, sink, {2, EdgePolicy::block});
  p.start();
  sink.reached.wait();
  p.interrupt();
  const auto left = p.join_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  EXPECT_EQ(left, std::vector<std::string>{"stuck sink"});
  EXPECT_EQ(p.busy_stages(), std::vector<std::string>{"stuck sink"});
  sink.release();
}

TEST(Pipeline, AStageWithoutAnInputIsRefusedAtStart) {
  Pipeline p;
  p.add<Collector>();
  EXPECT_THROW(p.start(), std::logic_error);
}

TEST(Pipeline, TapDeliversTheNewestValueAndClosesAtTheEnd) {
  Pipeline p;
  auto& source = p.add<CountingSource>(100);
  auto& sink = p.add<Collector>();
  p.connect(source, sink);
  auto box = p.tap(source);
  p.start();
  p.join();
  std::uint64_t seen = 0;
  EXPECT_EQ(box->take_newer(seen), 99);
  EXPECT_TRUE(box->closed());
}

}  // namespace
}  // namespace vidssl
