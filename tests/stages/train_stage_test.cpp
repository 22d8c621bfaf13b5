#include "stages/train_stage.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/slow/slow_sparse_learner.h"
#include "models/training/module_state.h"
#include "pipeline/pipeline.h"
#include "stages/source_stage.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

// Frames given in advance; each image holds its own index so a learner can tell what it got.
class ListSource final : public FrameSource {
 public:
  explicit ListSource(std::vector<Frame> frames) : frames_(std::move(frames)) { info_.description = "list"; }
  bool read(Frame& frame) override {
    if (next_ >= frames_.size()) return false;
    frame = frames_[next_++];
    return true;
  }
  const SourceInfo& info() const override { return info_; }

 private:
  std::vector<Frame> frames_;
  std::size_t next_ = 0;
  SourceInfo info_;
};

Frame frame_with(std::int64_t index, std::int32_t clip, torch::Tensor image) {
  Frame f;
  f.index = index;
  f.clip_id = clip;
  f.image = std::move(image);
  return f;
}

// Records the clips it is trained on; its loss is NaN on the steps listed in `nan_calls`.
class RecordingLearner final : public OnlineLearner {
 public:
  std::vector<torch::Tensor> batches;
  std::set<int> nan_calls;
  int calls = 0;
  int loads = 0;
  std::int64_t step = 0;

  std::string model_name() const override { return "recording"; }
  std::int64_t clip_length() const override { return 2; }
  torch::Device device() const override { return torch::kCPU; }
  LearnerStep train(const torch::Tensor& clips) override {
    batches.push_back(clips);
    LearnerStep out;
    if (nan_calls.count(calls++)) {
      out.skipped = true;
      out.step = step;
      out.values = {{"loss", std::nan("")}};
      return out;
    }
    out.step = ++step;
    out.values = {{"loss", 1.0}};
    return out;
  }
  std::vector<Panel> panels() override { return {}; }
  void save(CheckpointData& data) override {
    data.model = model_name();
    data.step = step;
    data.state["learner.step"] = torch::tensor(step);
  }
  void load(const CheckpointData& data) override {
    ++loads;
    step = data.state.at("learner.step").item<std::int64_t>();
  }
};

void run(std::vector<Frame> frames, OnlineLearner& learner, TrainStageOptions options,
         const std::string& resume_from = {}) {
  Pipeline p;
  MetricsLog metrics(options.run_dir + "/metrics.jsonl");
  auto& train = p.add<TrainStage>("train", learner, options, &metrics);
  std::int64_t skip = 0;
  if (!resume_from.empty()) skip = train.resume(resume_from);
  auto& source = p.add<SourceStage>("source", std::make_unique<ListSource>(std::move(frames)),
                                    [](const std::string&) {}, skip);
  p.connect(source, train, {4, EdgePolicy::block});
  p.start();
  p.join();
}

TEST(TrainStage, ClipsNeverSpanAClipBoundaryOrADroppedFrame) {
  std::vector<Frame> frames;
  // clip 0: frames 0-3; clip 1: frames 4-6, then frame 7 dropped, then 8-9.
  const std::vector<std::pair<std::int64_t, int>> plan = {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 1},
                                                          {5, 1}, {6, 1}, {8, 1}, {9, 1}};
  for (auto [index, clip] : plan) frames.push_back(frame_with(index, clip, torch::full({1, 2, 2}, float(index))));
  RecordingLearner learner;
  TrainStageOptions options;
  options.run_dir = test::scratch_dir("train-clips");
  options.replay.batch = 1;
  run(frames, learner, options);
  std::vector<std::pair<int, int>> pairs;
  for (auto& b : learner.batches)
    pairs.emplace_back(int(b[0][0][0][0][0].item<float>()), int(b[0][1][0][0][0].item<float>()));
  const std::vector<std::pair<int, int>> expected = {{0, 1}, {1, 2}, {2, 3}, {4, 5}, {5, 6}, {8, 9}};
  EXPECT_EQ(pairs, expected);
}

TEST(TrainStage, ClipsNeverSpanASceneCut) {
  // One clip of decoded frames: 0-3 a dark scene, 4-6 a bright one (a cut), with 1-level motion.
  std::vector<Frame> frames;
  for (std::int64_t i = 0; i < 7; ++i) {
    const int level = (i < 4 ? 40 : 200) + static_cast<int>(i);
    Frame f = frame_with(i, 0, torch::full({1, 2, 2}, float(i)));
    f.original = torch::full({1, 2, 2}, level, torch::kByte);
    frames.push_back(f);
  }
  for (const double threshold : {0.0, 0.2}) {
    RecordingLearner learner;
    TrainStageOptions options;
    options.run_dir = test::scratch_dir("train-cuts");
    options.replay.batch = 1;
    options.scene_cut = threshold;
    run(frames, learner, options);
    std::vector<std::pair<int, int>> pairs;
    for (auto& b : learner.batches)
      pairs.emplace_back(int(b[0][0][0][0][0].item<float>()), int(b[0][1][0][0][0].item<float>()));
    std::vector<std::pair<int, int>> expected = {{0, 1}, {1, 2}, {2, 3}, {4, 5}, {5, 6}};
    if (threshold == 0.0) expected.insert(expected.begin() + 3, {3, 4});  // detection off: the cut is trained across
    EXPECT_EQ(pairs, expected) << "scene_cut " << threshold;
  }
}

TEST(TrainStage, NonFiniteLossesAreSkippedCountedAndRestoredFrom) {
  std::vector<Frame> frames;
  for (int i = 0; i < 30; ++i) frames.push_back(frame_with(i, 0, torch::zeros({1, 2, 2})));
  RecordingLearner learner;
  for (int c = 10; c < 13; ++c) learner.nan_calls.insert(c);  // three in a row
  TrainStageOptions options;
  options.run_dir = test::scratch_dir("train-nan");
  options.checkpoint_every = 5;
  options.max_nonfinite = 3;
  run(frames, learner, options);
  EXPECT_EQ(learner.calls, 29);
  EXPECT_EQ(learner.loads, 1) << "three non-finite steps in a row restore the last checkpoint";
  std::ifstream log(options.run_dir + "/metrics.jsonl");
  int skipped_lines = 0, restored_lines = 0;
  for (std::string line; std::getline(log, line);) {
    skipped_lines += line.find("\"skipped\": true") != std::string::npos;
    restored_lines += line.find("\"event\": \"restored\"") != std::string::npos;
    if (line.find("\"loss\"") != std::string::npos) EXPECT_EQ(line.find("nan"), std::string::npos) << line;
  }
  EXPECT_EQ(skipped_lines, 3);
  EXPECT_EQ(restored_lines, 1);
}

std::vector<Frame> moving_texture(int count) {
  torch::manual_seed(21);
  auto texture = torch::randn({1, 24, 64});
  std::vector<Frame> frames;
  for (int i = 0; i < count; ++i) frames.push_back(frame_with(i, 0, texture.slice(2, i, i + 32).clone()));
  return frames;
}

// N + M steps in one run equal N steps, a checkpoint, --resume, and M more steps: bit for bit.
TEST(TrainStage, ResumeContinuesBitForBitOnCpu) {
  const int n = 12, m = 9;
  const auto frames = moving_texture(n + m + 1);
  auto make_learner = [] {
    torch::manual_seed(5);
    return std::make_unique<SlowSparseLearner>(SlowSparseOptions().filters(8).kernel(5), OptimizerOptions{}, torch::kCPU);
  };
  TrainStageOptions options;
  options.replay.batch = 3;
  options.checkpoint_every = 0;

  auto whole = make_learner();
  options.run_dir = test::scratch_dir("resume-whole");
  options.max_steps = n + m;
  run(frames, *whole, options);

  auto first = make_learner();
  options.run_dir = test::scratch_dir("resume-split");
  options.max_steps = n;
  run(frames, *first, options);
  const auto checkpoint = CheckpointStore::resolve(options.run_dir);
  EXPECT_EQ(CheckpointStore::load(checkpoint).step, n);

  auto second = make_learner();
  options.max_steps = n + m;
  run(frames, *second, options, checkpoint);

  const auto a = module_tensors(*whole->model());
  const auto b = module_tensors(*second->model());
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) EXPECT_TRUE(torch::equal(tensor, b.at(name))) << name;
  EXPECT_FALSE(torch::equal(a.at("decoder.weight"), module_tensors(*first->model()).at("decoder.weight")))
      << "the resumed run did train further";
}

}  // namespace
}  // namespace vidssl
