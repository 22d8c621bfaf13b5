// Several models on one stream through the vidssl binary: all three on the KITTI sequence, a run
// resumed after N frames against one run of N + M, and the config errors of the multi-model form.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "models/training/checkpoint.h"
#include "tests/apps/command_line.h"
#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

using Result = test::CommandResult;
using test::config;
using test::count_lines_with;
using test::vidssl;
Result run(const std::string& command) { return test::run_command_line(command); }

// configs/kitti-all.yaml end to end, small: every learner writes its checkpoints and metrics, Model C
// its per-frame log; Models A and B share one preprocessing; eval picks a learner with --model.
TEST(MultiModelCli, AllThreeModelsTrainOnOneStereoStream) {
  if (test::kitti_dir().empty()) GTEST_SKIP() << "../shared/data/kitti-rural-stereo is absent";
  const std::string out = test::scratch_dir("multi-kitti");
  const Result r = run(vidssl() + " run " + config("kitti-all.yaml") + " --max-frames 3 --out " + out + " --display none --set source.path=" +
                       test::kitti_dir() + " --set models.slow.filters=8 --set models.linearize.filters=8 --set run.report_every=0.2");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* learner : {"slow", "linearize", "neartofar"}) {
    EXPECT_TRUE(CheckpointStore::newest(out + "/" + learner).has_value()) << learner;
    EXPECT_NE(r.err.find(std::string(learner) + " | frame 2/3"), std::string::npos) << "a status line per learner\n" << r.err;
  }
  const std::string metrics = test::read_all(out + "/metrics.jsonl");
  EXPECT_EQ(count_lines_with(metrics, "\"model\": \"slow\", \"kind\": \"slow\""), 2) << "3 frames make 2 pairs";
  EXPECT_EQ(count_lines_with(metrics, "\"model\": \"linearize\", \"kind\": \"linearize\""), 1) << "and 1 triplet";
  EXPECT_EQ(count_lines_with(metrics, "\"model\": \"neartofar\", \"steps\""), 3) << "Model C: a line per frame";
  EXPECT_GE(count_lines_with(metrics, "\"stage\": \"preprocess\""), 1) << "one preprocessing, shared by slow and linearize";
  EXPECT_EQ(count_lines_with(metrics, "\"stage\": \"preprocess:"), 0);
  EXPECT_EQ(count_lines_with(test::read_all(out + "/neartofar/predictions.jsonl"), "\"frame\": "), 3);
  EXPECT_TRUE(fs::exists(out + "/neartofar/overlay.avi"));

  const Result pick = run(vidssl() + " eval --checkpoint " + out + " --source " + test::opencv_clip("tree.avi") + " --max-frames 30");
  EXPECT_EQ(pick.status, 1);
  EXPECT_NE(pick.err.find("several learners (linearize, neartofar, slow)"), std::string::npos) << pick.err;
  if (test::opencv_clip("tree.avi").empty()) return;
  const Result e =
      run(vidssl() + " eval --checkpoint " + out + " --model slow --source " + test::opencv_clip("tree.avi") + " --max-frames 30");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.out.find("\"tcr\": "), std::string::npos) << e.out;
}

// Two models on sprites: N frames, a checkpoint, --resume to N + M frames equals one run of N + M.
TEST(MultiModelCli, AResumedMultiModelRunEqualsOneUnbrokenRun) {
  const std::string dir = test::scratch_dir("multi-resume");
  std::ofstream(dir + "/two.yaml") << "source: {path: 'synthetic:sprites', width: 48, height: 32}\n"
                                      "models:\n"
                                      "  slow: {filters: 8, kernel: 5, train: {batch: 2, checkpoint_every: 0}}\n"
                                      "  linearize: {filters: 8, kernel: 5, delta_steps: 2, train: {batch: 2, checkpoint_every: 0}}\n"
                                      "run: {display: none, threads: 1}\n";
  const std::string base = vidssl() + " run " + dir + "/two.yaml --out ";
  ASSERT_EQ(run(base + dir + "/whole --max-frames 14").status, 0);
  ASSERT_EQ(run(base + dir + "/split --max-frames 8").status, 0);
  const Result resumed = run(base + dir + "/split --max-frames 14 --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  for (const char* learner : {"slow", "linearize"}) {
    const auto whole = CheckpointStore::load(*CheckpointStore::newest(dir + "/whole/" + learner));
    const auto split = CheckpointStore::load(*CheckpointStore::newest(dir + "/split/" + learner));
    EXPECT_EQ(whole.step, split.step) << learner;
    EXPECT_EQ(whole.step, std::string(learner) == "slow" ? 13 : 12) << learner;
    ASSERT_EQ(whole.weights.size(), split.weights.size());
    for (const auto& [name, tensor] : whole.weights) EXPECT_TRUE(torch::equal(tensor, split.weights.at(name))) << learner << " " << name;
  }
}

TEST(MultiModelCli, TwoModelsOfOneKindTrainSideBySide) {
  const std::string dir = test::scratch_dir("multi-same-kind");
  std::ofstream(dir + "/ablation.yaml") << "source: {path: 'synthetic:sprites', width: 32, height: 32, max_frames: 5}\n"
                                           "models:\n"
                                           "  slow: {filters: 4, kernel: 5, beta: 2}\n"
                                           "  sparse_only: {kind: slow, filters: 4, kernel: 5, beta: 0}\n"
                                           "run: {display: none, threads: 1}\n";
  const Result r = run(vidssl() + " run " + dir + "/ablation.yaml --out " + dir + "/run");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* learner : {"slow", "sparse_only"}) {
    const auto data = CheckpointStore::load(*CheckpointStore::newest(dir + "/run/" + learner));
    EXPECT_EQ(data.model, "slow");
    EXPECT_EQ(data.learner, learner);
  }
}

// A clip at its native size whose sides do not divide by the models' pooling (854×480: 854 is not a
// multiple of Model B's 4-pixel blocks) trains both: their shared preprocessing crops, centred,
// to 852×480.
TEST(MultiModelCli, AClipOfAnySizeTrainsEveryModelAtItsNativeSize) {
  const std::string dir = test::scratch_dir("multi-any-size");
  if (std::system(("ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=854x480:rate=25 -frames:v 5 -pix_fmt yuv420p -y " + dir +
                   "/clip_854x480.mp4")
                      .c_str()) != 0)
    GTEST_SKIP() << "the ffmpeg command-line tool cannot make the clip";
  std::ofstream(dir + "/native.yaml") << "source: {path: " << dir << "/clip_854x480.mp4, width: 0, height: 0}\n"
                                         "models:\n"
                                         "  slow: {filters: 4, kernel: 5, train: {batch: 1}}\n"
                                         "  linearize: {filters: 4, kernel: 5, delta_steps: 1, train: {batch: 1}}\n"
                                         "run: {display: none}\n";
  const Result r = run(vidssl() + " run " + dir + "/native.yaml --out " + dir + "/run");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(CheckpointStore::load(*CheckpointStore::newest(dir + "/run/slow")).step, 4);
  EXPECT_EQ(CheckpointStore::load(*CheckpointStore::newest(dir + "/run/linearize")).step, 3);
}

TEST(MultiModelCli, ConfigErrorsOfTheMultiModelFormAreOneLineNamingTheKey) {
  const std::string dir = test::scratch_dir("multi-errors");
  std::ofstream(dir + "/old.yaml") << "source: {path: x.avi}\nmodel: {kind: slow, filters: 8}\ntrain: {lr: 0.01}\n";
  Result r = run(vidssl() + " run " + dir + "/old.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines_with(r.err, ""), 1) << r.err;
  EXPECT_NE(r.err.find("error: model: configs now name their models under `models:`"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("models: {slow: {filters: 32, train: {lr: 0.002}}}"), std::string::npos) << r.err;

  std::ofstream(dir + "/none.yaml") << "source: {path: x.avi}\n";
  r = run(vidssl() + " run " + dir + "/none.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("error: models: expected the models this run trains"), std::string::npos) << r.err;

  r = run(vidssl() + " run " + config("clip-slow.yaml") + " --set models.slow.kind=fast");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: models.slow.kind: expected a model kind (slow, linearize, neartofar), got 'fast'\n");

  r = run(vidssl() + " run " + config("clip-slow.yaml") + " --set models.slow.edge.capacity=0");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: models.slow.edge.capacity: expected an integer in [1, 4096]\n");

  if (!test::opencv_clip("vtest.avi").empty()) {
    r = run(vidssl() + " run " + config("kitti-traverse.yaml") + " --display none --out " + dir + "/mono --set source.path=" +
            test::opencv_clip("vtest.avi"));
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(count_lines_with(r.err, "error:"), 1) << r.err;
    EXPECT_NE(r.err.find("error: models.neartofar: needs a stereo source"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace vidssl
