#include "stages/learner_stage.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <numeric>
#include <set>
#include <utility>

#include "models/slow/slow_sparse_learner.h"
#include "models/training/module_state.h"
#include "pipeline/clock.h"
#include "pipeline/pipeline.h"
#include "stages/source_stage.h"
#include "tests/models/distributed/loopback_ranks.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

// Frames given in advance, or one per period of a SimulatedClock when `clock` is set (a camera
// that the test drives: frame i is read at i periods).
class ListSource final : public FrameSource {
 public:
  explicit ListSource(std::vector<Frame> frames, SimulatedClock* clock = nullptr, std::int64_t period_us = 0)
      : frames_(std::move(frames)), clock_(clock), period_us_(period_us) {
    info_.description = "list";
  }
  bool read(Frame& frame) override {
    if (next_ >= frames_.size()) return false;
    if (clock_) clock_->sleep_until_us(static_cast<std::int64_t>(next_ + 1) * period_us_);
    frame = frames_[next_++];
    return true;
  }
  const SourceInfo& info() const override { return info_; }

 private:
  std::vector<Frame> frames_;
  SimulatedClock* clock_;
  std::int64_t period_us_;
  std::size_t next_ = 0;
  SourceInfo info_;
};

std::vector<Frame> numbered_frames(int count) {
  std::vector<Frame> frames;
  for (int i = 0; i < count; ++i) {
    Frame f;
    f.index = i;
    f.image = torch::full({1, 2, 2}, static_cast<float>(i));
    frames.push_back(f);
  }
  return frames;
}

// A learner that records the frames it gets, one step per frame. Optionally: NaN losses on some
// frames, a LibTorch exception at one frame, or a gate that holds its first frame until the test opens it.
class FakeLearner final : public Learner {
 public:
  std::vector<std::int64_t> frames;
  std::set<std::int64_t> nan_frames;
  std::int64_t throw_at = -1;
  bool gated = false;
  int loads = 0;
  std::int64_t step = 0;

  const char* kind() const override { return "fake"; }
  LearnerNeeds needs() const override { return {false, false, 1}; }
  torch::Device device() const override { return torch::kCPU; }
  LearnerUpdate consume(const LearnerFrame& frame) override {
    TORCH_CHECK(frame.index != throw_at, "cannot learn from frame ", frame.index);  // as LibTorch throws
    if (group && !group->begin_step()) return {};  // another rank's stream ended
    {
      std::unique_lock<std::mutex> lock(mutex_);
      frames.push_back(frame.index);
      consumed_.notify_all();
      if (gated) consumed_.wait(lock, [&] { return open_; });
    }
    LearnerUpdate update;
    LearnerStep s;
    s.skipped = nan_frames.count(frame.index) > 0;
    s.step = s.skipped ? step : ++step;
    const bool diverging = frame.index >= diverge_from && lr_scale >= 1;  // a rate too high from this frame on
    s.values = {{"loss", s.skipped ? std::nan("") : diverging ? 1000.0 : 1.0}};
    if (report_every > 1) {  // kept back, as a learner on a GPU keeps its figures on the device
      late.push_back(s);
      if (static_cast<int>(late.size()) >= report_every) update.steps = read_steps();
      return update;
    }
    update.steps.push_back(s);
    return update;
  }
  std::int64_t steps() const override { return step; }
  std::vector<LearnerStep> read_steps() override { return std::exchange(late, {}); }
  std::vector<Panel> panels() override { return {}; }
  PanelLayout panel_layout() const override { return {}; }
  void save(CheckpointData& data) override {
    data.model = kind();
    data.step = step;
    data.state["learner.step"] = torch::tensor(step);
  }
  void load(const CheckpointData& data) override {
    ++loads;
    late.clear();
    step = data.state.at("learner.step").item<std::int64_t>();
  }
  std::string weights_problem() const override { return step >= bad_weights_from ? "w: |w| up to 3e+37 (above 1e+06)" : ""; }
  void set_learning_rate_scale(double scale) override { lr_scale = scale; }
  // Data-parallel: exchanges only "who goes on" (its one weight never changes).
  void join(std::shared_ptr<DataParallel> g) override {
    g->join(optimizer);
    group = std::move(g);
  }
  torch::Tensor weight = torch::zeros({1}, torch::requires_grad());
  torch::optim::SGD optimizer{std::vector<torch::Tensor>{weight}, torch::optim::SGDOptions(0.1)};
  std::shared_ptr<DataParallel> group;
  std::int64_t bad_weights_from = std::numeric_limits<std::int64_t>::max();
  std::int64_t diverge_from = std::numeric_limits<std::int64_t>::max();
  double lr_scale = 1;
  int report_every = 1;           // > 1: steps are reported every this many, or when read_steps() asks
  std::vector<LearnerStep> late;  // made, not yet reported

  // Waits until the learner has taken `n` frames (no sleeping: it notifies as it takes each).
  void wait_for_frames(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    consumed_.wait(lock, [&] { return frames.size() >= n; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    consumed_.notify_all();
  }
  std::vector<std::int64_t> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return frames;
  }

 private:
  std::mutex mutex_;
  std::condition_variable consumed_;
  bool open_ = false;
};

LearnerStageOptions options_in(const std::string& folder) {
  LearnerStageOptions o;
  o.folder = folder;
  o.checkpoint_every = 0;
  o.panel_interval_s = -1;
  return o;
}

// Two and three learners on one stream, each behind its own block edge, each get every frame, in order.
TEST(LearnerStage, EveryLearnerGetsEveryFrameOnBlockEdges) {
  for (const int learners : {2, 3}) {
    const std::string dir = test::scratch_dir("learners-block-" + std::to_string(learners));
    std::vector<std::unique_ptr<FakeLearner>> fakes;
    Pipeline p;
    auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(20)), [](const std::string&) {});
    for (int i = 0; i < learners; ++i) {
      fakes.push_back(std::make_unique<FakeLearner>());
      const std::string name = "learner" + std::to_string(i);
      auto& stage = p.add<LearnerStage>(name, *fakes.back(), options_in(dir + "/" + name), nullptr);
      p.connect(source, stage, {2, EdgePolicy::block});
    }
    p.start();
    p.join();
    std::vector<std::int64_t> all(20);
    std::iota(all.begin(), all.end(), 0);
    for (auto& f : fakes) EXPECT_EQ(f->seen(), all) << learners << " learners";
  }
}

// A camera (one frame per period of a simulated clock) feeds a fast learner on a block edge and a
// slow one, stuck in its first frame, on a drop_oldest edge of capacity 2. The fast learner takes
// every frame within its period while the slow one is stuck; the slow one's drops are counted
// exactly: it keeps the frame it holds and the newest, and every frame between is a drop.
TEST(LearnerStage, ASlowLearnerOnADropOldestEdgeDropsCountedWithoutSlowingTheOthers) {
  const std::string dir = test::scratch_dir("learners-drop");
  const int frames = 12;
  const std::int64_t period = 33'333;
  SimulatedClock clock;
  FakeLearner fast, slow;
  slow.gated = true;
  Pipeline p;
  auto& source =
      p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(frames), &clock, period), [](const std::string&) {});
  auto& fast_stage = p.add<LearnerStage>("fast", fast, options_in(dir + "/fast"), nullptr);
  auto& slow_stage = p.add<LearnerStage>("slow", slow, options_in(dir + "/slow"), nullptr);
  // The source offers each frame to its edges in the order they were connected: the slow learner's
  // first, so once the fast learner has a frame, the slow learner's edge was offered it too.
  p.connect(source, slow_stage, {2, EdgePolicy::drop_oldest});
  p.connect(source, fast_stage, {4, EdgePolicy::block});
  auto slow_reports = p.tap(slow_stage);
  p.start();
  for (int i = 0; i < frames; ++i) {
    clock.wait_for_sleeper();  // the camera holds frame i until its time
    clock.advance_us(period);
    fast.wait_for_frames(static_cast<std::size_t>(i) + 1);  // taken before the next frame is due
    if (i == 0) slow.wait_for_frames(1);                      // the slow learner is stuck in frame 0
  }
  EXPECT_EQ(slow.seen(), std::vector<std::int64_t>{0}) << "still stuck while the fast learner kept up";
  slow.open();
  p.join();
  std::vector<std::int64_t> all(frames);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(fast.seen(), all);
  EXPECT_EQ(slow.seen(), (std::vector<std::int64_t>{0, frames - 1})) << "the frame it held, then the newest";
  std::uint64_t seen = 0;
  const auto last = slow_reports->take_newer(seen);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->dropped, static_cast<std::uint64_t>(frames - 2)) << "frames 1 … " << frames - 2;
  for (const auto& r : p.reports()) {
    if (r.stage == "slow") {
      EXPECT_EQ(r.dropped, static_cast<std::uint64_t>(frames - 2));
    }
    if (r.stage == "fast") {
      EXPECT_EQ(r.dropped, 0u);
    }
  }
}

TEST(LearnerStage, ALearnerThatThrowsStopsTheRunAndTheErrorNamesIt) {
  const std::string dir = test::scratch_dir("learners-throw");
  FakeLearner good, bad;
  bad.throw_at = 3;
  Pipeline p;
  auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(100)), [](const std::string&) {});
  auto& good_stage = p.add<LearnerStage>("slow", good, options_in(dir + "/slow"), nullptr);
  auto& bad_stage = p.add<LearnerStage>("linearize", bad, options_in(dir + "/linearize"), nullptr);
  p.connect(source, good_stage, {2, EdgePolicy::block});
  p.connect(source, bad_stage, {2, EdgePolicy::block});
  p.start();
  try {
    p.join();
    FAIL() << "the run went on";
  } catch (const StageError& e) {
    EXPECT_EQ(e.stage(), "linearize");
    EXPECT_EQ(std::string(e.what()), "stage 'linearize': cannot learn from frame 3") << "one line, no backtrace";
  }
  EXPECT_LT(good.seen().size(), 100u) << "the others stop too";
}

// Also with a learner that reports its steps late (every 4, as one on a GPU does): every step is
// still logged (the last ones at the end), judged in order and read before each due checkpoint,
// and a rollback among them restores as with steps reported at once.
TEST(LearnerStage, NonFiniteLossesAreSkippedCountedAndRestoredFrom) {
  for (const int report_every : {1, 4}) {
    SCOPED_TRACE("steps reported every " + std::to_string(report_every));
    const std::string dir = test::scratch_dir("learner-nan-" + std::to_string(report_every));
    FakeLearner learner;
    learner.report_every = report_every;
    learner.nan_frames = {10, 11, 12};  // three in a row
    LearnerStageOptions options = options_in(dir + "/fake");
    options.checkpoint_every = 5;
    options.max_nonfinite = 3;
    MetricsLog metrics(dir + "/metrics.jsonl");
    Pipeline p;
    auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(30)), [](const std::string&) {});
    auto& stage = p.add<LearnerStage>("fake", learner, options, &metrics);
    p.connect(source, stage, {4, EdgePolicy::block});
    p.start();
    p.join();
    EXPECT_EQ(learner.seen().size(), 30u);
    EXPECT_EQ(learner.loads, 1) << "three non-finite steps in a row restore the last checkpoint";
    EXPECT_EQ(stage.skipped_steps(), 3);
    EXPECT_TRUE(learner.late.empty()) << "the end of the run reads what is left";
    std::ifstream log(dir + "/metrics.jsonl");
    int step_lines = 0, skipped_lines = 0, restored_lines = 0;
    for (std::string line; std::getline(log, line);) {
      skipped_lines += line.find("\"skipped\": true") != std::string::npos;
      restored_lines += line.find("\"event\": \"restored\"") != std::string::npos;
      if (line.find("\"loss\"") != std::string::npos) {
        EXPECT_EQ(line.find("nan"), std::string::npos) << line;
      }
      if (line.find("\"step\"") != std::string::npos) {
        ++step_lines;
        EXPECT_NE(line.find("\"model\": \"fake\""), std::string::npos) << line;
      }
    }
    EXPECT_EQ(step_lines, 30);
    EXPECT_EQ(skipped_lines, 3);
    EXPECT_EQ(restored_lines, 1);
    ASSERT_TRUE(stage.last_checkpoint().has_value());
    EXPECT_EQ(CheckpointStore::load(*stage.last_checkpoint()).state.at("learner.step").item<std::int64_t>(), learner.steps());
  }
}

std::vector<std::string> lines_with(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

TEST(LearnerStage, ADivergingLossRollsBackToTheLastCheckpointWithALowerRateAndTrainingRecovers) {
  const std::string dir = test::scratch_dir("learner-diverge");
  FakeLearner learner;
  learner.diverge_from = 20;  // losses 1000 where they were 1, until the rate is lowered
  LearnerStageOptions options = options_in(dir + "/fake");
  options.checkpoint_every = 5;
  options.max_nonfinite = 3;
  options.health_window = 10;
  MetricsLog metrics(dir + "/metrics.jsonl");
  Pipeline p;
  auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(40)), [](const std::string&) {});
  auto& stage = p.add<LearnerStage>("fake", learner, options, &metrics);
  p.connect(source, stage, {4, EdgePolicy::block});
  p.start();
  p.join();
  EXPECT_EQ(stage.rollbacks(), 1);
  EXPECT_EQ(learner.loads, 1);
  EXPECT_DOUBLE_EQ(learner.lr_scale, 0.5) << "the rate is lowered by train.rollback_lr_factor";
  const auto restored = lines_with(dir + "/metrics.jsonl", "\"event\": \"restored\"");
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_NE(restored[0].find("step-0000000015"), std::string::npos) << restored[0];
  EXPECT_NE(restored[0].find("above train.divergence (10) x the recent median 1"), std::string::npos) << restored[0];
  // Frames 20-22 diverged (steps 21-23). The checkpoint due at step 20 was never written: the first
  // loss from its state (step 21's) diverged. The rollback went back to step 15, and frames 23-39
  // trained healthily to step 32.
  EXPECT_EQ(learner.step, 32);
  std::vector<std::int64_t> steps;
  for (const auto& path : CheckpointStore::all(dir + "/fake")) steps.push_back(CheckpointStore::load(path).step);
  EXPECT_FALSE(steps.empty());
  EXPECT_EQ(steps.back(), 32) << "the final checkpoint, after the recovery";
  for (const auto step : steps) EXPECT_TRUE(step <= 15 || step >= 20) << "a checkpoint from the diverged stretch: " << step;
  const CheckpointData last = CheckpointStore::load(CheckpointStore::all(dir + "/fake").back());
  EXPECT_DOUBLE_EQ(last.state.at("run.lr_scale").item<double>(), 0.5) << "a resumed run keeps the lowered rate";
}

// Issue 15, two ranks of one run: rank 0 alone writes checkpoints; a divergence ends the run on every
// rank instead of a rollback (the ranks would have to roll back at the same step); a rank whose
// stream ends leaves, and the other stops at its next step.
TEST(LearnerStage, InADataParallelRunRankZeroAloneCheckpointsADivergenceEndsItAndTheShortestStreamEndsIt) {
  if (!in_build(DistBackend::gloo)) GTEST_SKIP() << "Gloo is not in this build";
  const std::string dir = test::scratch_dir("learner-ranks");
  for (const bool diverge : {true, false}) {
    SCOPED_TRACE(diverge ? "diverging" : "rank 1's stream shorter");
    std::vector<std::string> errors(2);
    std::vector<std::int64_t> steps(2);
    test::run_ranks(2, [&](int rank, Rendezvous& rendezvous) {
      FakeLearner learner;
      if (diverge) learner.diverge_from = 20;
      LearnerStageOptions options = options_in(dir + "/" + std::to_string(diverge) + "/rank" + std::to_string(rank));
      options.checkpoint_every = 5;
      options.max_nonfinite = 3;
      Pipeline p;
      const int frames = !diverge && rank == 1 ? 12 : 40;
      auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(frames)), [](const std::string&) {});
      auto& stage = p.add<LearnerStage>("fake", learner, options, nullptr);
      p.connect(source, stage, {4, EdgePolicy::block});
      stage.join(std::make_shared<DataParallel>(rendezvous.group("fake"), DataParallelOptions{}, "fake"));
      p.start();
      try {
        p.join();
      } catch (const StageError& e) {
        errors[static_cast<std::size_t>(rank)] = e.what();
      }
      steps[static_cast<std::size_t>(rank)] = learner.step;
    });
    for (int rank = 0; rank < 2; ++rank) {
      const auto checkpoints = CheckpointStore::all(dir + "/" + std::to_string(diverge) + "/rank" + std::to_string(rank));
      EXPECT_EQ(checkpoints.empty(), rank == 1) << "rank " << rank;
      const std::string& error = errors[static_cast<std::size_t>(rank)];
      if (diverge)
        EXPECT_NE(error.find("a data-parallel run does not roll back"), std::string::npos) << "rank " << rank << ": " << error;
      else
        EXPECT_EQ(error, "") << "rank " << rank;
    }
    if (!diverge) {
      EXPECT_EQ(steps[1], 12);
      EXPECT_EQ(steps[0], 12) << "rank 0 stops at its first step after rank 1 left";
    }
  }
}

TEST(LearnerStage, WeightsUnfitToCheckpointAreNeverWrittenAndTheRunGivesUpAfterMaxRollbacks) {
  const std::string dir = test::scratch_dir("learner-ruined");
  FakeLearner learner;
  learner.bad_weights_from = 1;  // every update ruins the weights, whatever the rate
  LearnerStageOptions options = options_in(dir + "/fake");
  options.checkpoint_every = 1;
  options.max_rollbacks = 2;
  Pipeline p;
  auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(numbered_frames(40)), [](const std::string&) {});
  auto& stage = p.add<LearnerStage>("fake", learner, options, nullptr);
  p.connect(source, stage, {4, EdgePolicy::block});
  p.start();
  try {
    p.join();
    FAIL() << "the run went on";
  } catch (const StageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("stage 'fake': training diverged after 2 rollbacks (train.max_rollbacks)"), std::string::npos) << what;
    EXPECT_NE(what.find("weights unfit to checkpoint: w: |w| up to 3e+37"), std::string::npos) << what;
  }
  EXPECT_EQ(learner.loads, 2) << "each rollback went back to the state the run started from";
  EXPECT_DOUBLE_EQ(learner.lr_scale, 0.25);
  EXPECT_TRUE(CheckpointStore::all(dir + "/fake").empty()) << "no ruined state was written";
  EXPECT_EQ(stage.rollbacks(), 2);
}

std::vector<Frame> moving_texture(int count) {
  torch::manual_seed(21);
  auto texture = torch::randn({1, 24, 64});
  std::vector<Frame> frames;
  for (int i = 0; i < count; ++i) {
    Frame f;
    f.index = i;
    f.image = texture.slice(2, i, i + 32).clone();
    frames.push_back(f);
  }
  return frames;
}

// Runs a Model A learner through a stage until `max_steps`, optionally resumed from a checkpoint.
void run_slow(SlowSparseLearner& learner, const std::vector<Frame>& frames, const std::string& folder, std::int64_t max_steps,
              const std::optional<std::string>& resume_from = std::nullopt) {
  LearnerStageOptions options = options_in(folder);
  options.max_steps = max_steps;
  Pipeline p;
  auto& stage = p.add<LearnerStage>("slow", learner, options, nullptr);
  std::int64_t skip = 0;
  if (resume_from) skip = stage.resume(CheckpointStore::load(*resume_from), *resume_from);
  auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(frames), [](const std::string&) {}, skip);
  p.connect(source, stage, {4, EdgePolicy::block});
  p.start();
  p.join();
}

// N + M steps in one run equal N steps, a checkpoint, a resume, and M more steps: bit for bit.
TEST(LearnerStage, ResumeContinuesBitForBitOnCpu) {
  const int n = 12, m = 9;
  const auto frames = moving_texture(n + m + 1);
  auto make_learner = [] {
    torch::manual_seed(5);
    ClipLearnerOptions clips;
    clips.replay.batch = 3;
    return std::make_unique<SlowSparseLearner>(SlowSparseOptions().filters(8).kernel(5), OptimizerOptions{}, clips, torch::kCPU);
  };
  auto whole = make_learner();
  run_slow(*whole, frames, test::scratch_dir("resume-whole"), n + m);

  auto first = make_learner();
  const std::string split = test::scratch_dir("resume-split");
  run_slow(*first, frames, split, n);
  const auto checkpoint = CheckpointStore::newest(split);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(CheckpointStore::load(*checkpoint).step, n);
  EXPECT_EQ(CheckpointStore::load(*checkpoint).learner, "slow");

  auto second = make_learner();
  run_slow(*second, frames, split, n + m, checkpoint);

  const auto a = module_tensors(*whole->model());
  const auto b = module_tensors(*second->model());
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) EXPECT_TRUE(torch::equal(tensor, b.at(name))) << name;
  EXPECT_FALSE(torch::equal(a.at("decoder.weight"), module_tensors(*first->model()).at("decoder.weight")))
      << "the resumed run did train further";
}

}  // namespace
}  // namespace vidssl
