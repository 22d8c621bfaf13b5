#include "models/training/clip_learner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "models/training/host_read.h"

namespace vidssl {
namespace {

// Records the batches it is trained on; its loss is NaN on the calls listed in `nan_calls`.
class RecordingClipLearner final : public ClipLearner {
 public:
  explicit RecordingClipLearner(ClipLearnerOptions options) : ClipLearner(options, {"loss", "call"}) {}
  std::vector<torch::Tensor> batches;
  std::set<int> nan_calls;
  int calls = 0;

  const char* kind() const override { return "recording"; }
  torch::Device device() const override { return torch::kCPU; }
  std::int64_t clip_length() const override { return 2; }
  StepFigures train_step(const torch::Tensor& clips) override {
    batches.push_back(clips);
    const double loss = nan_calls.count(calls) ? std::nan("") : 1.0;
    const torch::Tensor figures = torch::tensor({loss, static_cast<double>(calls++)}, torch::kFloat);
    return {figures, torch::isfinite(figures[0])};
  }
  std::string weights_problem() const override { return ""; }
  void set_learning_rate_scale(double) override {}

 private:
  torch::optim::Optimizer& optimizer() override { throw std::logic_error("RecordingClipLearner has no optimizer"); }
  std::int64_t size_multiple() const override { return 1; }
  std::vector<Panel> clip_panels() override { return {}; }
  int clip_panel_count() const override { return 0; }
  void save_model(CheckpointData& data) override { data.state["learner.step"] = torch::tensor(step_); }
  void load_model(const CheckpointData& data) override { step_ = data.state.at("learner.step").item<std::int64_t>(); }
};

// A frame whose image holds its own index, so a batch tells which frames made it.
LearnerFrame frame(std::int64_t index, std::int32_t clip, int level = 0) {
  LearnerFrame f;
  f.index = index;
  f.clip_id = clip;
  f.image = torch::full({1, 2, 2}, static_cast<float>(index));
  f.decoded = torch::full({1, 2, 2}, level, torch::kByte);
  return f;
}

std::vector<std::pair<int, int>> pairs_of(const RecordingClipLearner& learner) {
  std::vector<std::pair<int, int>> pairs;
  for (const auto& b : learner.batches)
    pairs.emplace_back(static_cast<int>(b[0][0][0][0][0].item<float>()), static_cast<int>(b[0][1][0][0][0].item<float>()));
  return pairs;
}

ClipLearnerOptions batch_of_one() {
  ClipLearnerOptions o;
  o.replay.batch = 1;
  return o;
}

TEST(ClipLearner, ClipsNeverSpanAClipBoundaryOrADroppedFrame) {
  RecordingClipLearner learner(batch_of_one());
  // clip 0: frames 0-3; clip 1: frames 4-6, then frame 7 dropped, then 8-9.
  for (auto [index, clip] : std::vector<std::pair<std::int64_t, int>>{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 1}, {5, 1}, {6, 1}, {8, 1}, {9, 1}})
    learner.consume(frame(index, clip));
  EXPECT_EQ(pairs_of(learner), (std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 3}, {4, 5}, {5, 6}, {8, 9}}));
  EXPECT_EQ(learner.steps(), 6);
}

TEST(ClipLearner, AFrameGapPairsFramesThatFarApartAndStillNeverSpansADrop) {
  ClipLearnerOptions options = batch_of_one();
  options.frame_gap = 3;
  RecordingClipLearner learner(options);
  // Frames 0-7, frame 8 dropped, then 9-12: one pair per frame once 3 frames back exist.
  for (std::int64_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12}) learner.consume(frame(i, 0));
  EXPECT_EQ(pairs_of(learner), (std::vector<std::pair<int, int>>{{0, 3}, {1, 4}, {2, 5}, {3, 6}, {4, 7}, {9, 12}}));

  // Its checkpoint holds the 3 frames in progress; a learner at gap 1 continues from the newest.
  CheckpointData data;
  learner.save(data);
  RecordingClipLearner consecutive(batch_of_one());
  consecutive.load(data);
  consecutive.consume(frame(13, 0));
  EXPECT_EQ(pairs_of(consecutive), (std::vector<std::pair<int, int>>{{12, 13}}));

  options.frame_gap = 0;
  try {
    check_options(options);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("train.frame_gap"), std::string::npos) << e.what();
  }
}

TEST(ClipLearner, ClipsNeverSpanASceneCutAndTheCutIsReported) {
  for (const double threshold : {0.0, 0.2}) {
    ClipLearnerOptions options = batch_of_one();
    options.scene_cut = threshold;
    RecordingClipLearner learner(options);
    std::vector<LearnerUpdate> updates;
    // One clip of decoded frames: 0-3 a dark scene, 4-6 a bright one (a cut), with 1-level motion.
    for (std::int64_t i = 0; i < 7; ++i) updates.push_back(learner.consume(frame(i, 0, (i < 4 ? 40 : 200) + static_cast<int>(i))));
    std::vector<std::pair<int, int>> expected = {{0, 1}, {1, 2}, {2, 3}, {4, 5}, {5, 6}};
    if (threshold == 0.0) expected.insert(expected.begin() + 3, {3, 4});  // detection off: the cut is trained across
    EXPECT_EQ(pairs_of(learner), expected) << "scene_cut " << threshold;
    ASSERT_EQ(updates[4].events.size(), threshold > 0 ? 1u : 0u);
    if (threshold > 0) {
      EXPECT_EQ(updates[4].events[0].first, "scene_cut");
      EXPECT_NEAR(updates[4].events[0].second, (204 - 43) / 255.0, 1e-6);
    }
  }
}

TEST(ClipLearner, EveryFrameGivesItsStepsAndSkippedStepsSaySo) {
  ClipLearnerOptions options;
  options.steps_per_frame = 3;
  RecordingClipLearner learner(options);
  learner.nan_calls = {4};
  EXPECT_TRUE(learner.consume(frame(0, 0)).steps.empty()) << "a pair needs two frames";
  const LearnerUpdate first = learner.consume(frame(1, 0));
  ASSERT_EQ(first.steps.size(), 3u);
  EXPECT_EQ(first.steps[2].step, 3);
  const LearnerUpdate second = learner.consume(frame(2, 0));
  ASSERT_EQ(second.steps.size(), 3u);
  EXPECT_TRUE(second.steps[1].skipped);
  EXPECT_EQ(second.steps[2].step, 5) << "the skipped step made no update";
  EXPECT_EQ(second.steps[2].values.back(), (std::pair<std::string, double>{"replay", 2.0}));
}

// On a GPU a learner reads its figures back every metrics_every steps, one read for all of them:
// the steps come out late but all of them, in order, numbered as if read at once, and a skipped
// one found when read is taken back from the count of updates.
TEST(ClipLearner, FiguresAreReadOnceEveryMetricsEveryStepsAndNoneIsLost) {
  ClipLearnerOptions options = batch_of_one();
  options.metrics_every = 4;
  RecordingClipLearner learner(options);
  learner.nan_calls = {5};
  std::vector<LearnerStep> steps;
  std::vector<std::size_t> reported;  // steps reported by each frame
  const std::int64_t reads_before = host_reads_on_this_thread();
  for (std::int64_t i = 0; i < 11; ++i) {  // 10 steps
    const LearnerUpdate update = learner.consume(frame(i, 0));
    reported.push_back(update.steps.size());
    steps.insert(steps.end(), update.steps.begin(), update.steps.end());
  }
  EXPECT_EQ(host_reads_on_this_thread() - reads_before, 2);
  EXPECT_EQ(reported, (std::vector<std::size_t>{0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0}));
  EXPECT_EQ(learner.steps(), 9) << "8 read, one of them skipped, and 2 not yet read";
  for (const auto& step : learner.read_steps()) steps.push_back(step);
  EXPECT_EQ(host_reads_on_this_thread() - reads_before, 3);
  EXPECT_TRUE(learner.read_steps().empty());
  EXPECT_EQ(host_reads_on_this_thread() - reads_before, 3) << "nothing pending: no read";
  ASSERT_EQ(steps.size(), 10u);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].skipped, i == 5) << i;
    EXPECT_EQ(steps[i].step, static_cast<std::int64_t>(i < 5 ? i + 1 : i)) << i;
    EXPECT_EQ(steps[i].values.front().first, "loss");
    if (i != 5) {
      EXPECT_EQ(steps[i].values[1], (std::pair<std::string, double>{"call", static_cast<double>(i)}));
    }
  }
  EXPECT_EQ(learner.steps(), 9);
}

// A rollback loads an older state: the steps made since, read or not, are forgotten.
TEST(ClipLearner, LoadingForgetsTheStepsNotYetRead) {
  ClipLearnerOptions options = batch_of_one();
  options.metrics_every = 100;
  RecordingClipLearner learner(options);
  learner.consume(frame(0, 0));
  CheckpointData data;
  learner.save(data);
  for (std::int64_t i = 1; i < 4; ++i) learner.consume(frame(i, 0));
  EXPECT_EQ(learner.steps(), 3);
  learner.load(data);
  EXPECT_EQ(learner.steps(), 0);
  EXPECT_TRUE(learner.read_steps().empty());
}

TEST(ClipLearner, MetricsEveryOutOfRangeIsRefusedByItsKey) {
  ClipLearnerOptions options;
  options.metrics_every = -1;
  try {
    check_options(options);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("train.metrics_every"), std::string::npos) << e.what();
  }
}

// The frames of the clip in progress and the replay buffer are part of the checkpoint: a learner
// loaded from it forms the same next pair as the one that saved it.
TEST(ClipLearner, TheClipInProgressIsSavedAndLoaded) {
  RecordingClipLearner a(batch_of_one());
  for (std::int64_t i = 0; i < 4; ++i) a.consume(frame(i, 0));
  CheckpointData data;
  a.save(data);
  RecordingClipLearner b(batch_of_one());
  b.load(data);
  EXPECT_EQ(b.steps(), 3);
  EXPECT_EQ(b.replay().size(), 3);
  b.consume(frame(4, 0));
  EXPECT_EQ(pairs_of(b), (std::vector<std::pair<int, int>>{{3, 4}}));
  EXPECT_THROW(RecordingClipLearner(ClipLearnerOptions{.replay = {.capacity = 0}}), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
