#include "models/training/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

CheckpointData sample_data(int64_t step, int64_t size = 4) {
  CheckpointData d;
  d.step = step;
  d.model = "slow";
  d.learner = "slow";
  d.weights["decoder.weight"] = torch::full({size}, static_cast<float>(step));
  d.state["learner.step"] = torch::tensor(step);
  d.optimizer = std::string("optimizer bytes \0 with a zero", 29);
  d.config = "model:\n  filters: 8\n";
  return d;
}

TEST(Checkpoint, RoundTripKeepsEveryField) {
  const auto run = test::scratch_dir("ckpt-roundtrip");
  CheckpointStore store(run);
  const auto folder = store.save(sample_data(42));
  auto loaded = CheckpointStore::load(folder);
  EXPECT_EQ(loaded.step, 42);
  EXPECT_EQ(loaded.model, "slow");
  EXPECT_TRUE(torch::equal(loaded.weights.at("decoder.weight"), torch::full({4}, 42.f)));
  EXPECT_EQ(loaded.state.at("learner.step").item<int64_t>(), 42);
  EXPECT_EQ(loaded.optimizer, std::string("optimizer bytes \0 with a zero", 29));
  EXPECT_EQ(loaded.config, "model:\n  filters: 8\n");
  EXPECT_EQ(loaded.learner, "slow");
  EXPECT_EQ(CheckpointStore::newest(run), folder) << "the store's folder gives its newest checkpoint";
}

TEST(Checkpoint, KeepsOnlyTheLastN) {
  const auto run = test::scratch_dir("ckpt-keep");
  CheckpointStore store(run, /*keep_last=*/2);
  for (int64_t step : {10, 20, 30, 40}) store.save(sample_data(step));
  int count = 0;
  for (const auto& entry : fs::directory_iterator(store.folder())) count += entry.is_directory();
  EXPECT_EQ(count, 2);
  EXPECT_EQ(CheckpointStore::load(*store.latest()).step, 40);
}

// A store that finds checkpoints of higher steps (another history in the same folder) prunes only
// below the step it writes: what it has just written is never the one removed.
TEST(Checkpoint, PruningNeverRemovesTheCheckpointJustWrittenNorHigherSteps) {
  const auto run = test::scratch_dir("ckpt-keep-other");
  {
    CheckpointStore old_run(run, /*keep_last=*/2);
    for (int64_t step : {100, 200}) old_run.save(sample_data(step));
  }
  CheckpointStore store(run, /*keep_last=*/2);
  for (int64_t step : {10, 20, 30}) EXPECT_EQ(CheckpointStore::load(store.save(sample_data(step))).step, step);
  std::vector<std::int64_t> steps;
  for (const auto& path : CheckpointStore::all(run)) steps.push_back(CheckpointStore::load(path).step);
  EXPECT_EQ(steps, (std::vector<std::int64_t>{20, 30, 100, 200}));
}

TEST(Checkpoint, ACheckpointSetAsideIsKeptButNoLongerCountsAndItsStepIsWrittenAnew) {
  const auto run = test::scratch_dir("ckpt-aside");
  CheckpointStore store(run, /*keep_last=*/3);
  store.save(sample_data(10));
  const auto newest = store.save(sample_data(20));
  const auto aside = CheckpointStore::set_aside(newest);
  EXPECT_EQ(fs::path(aside).filename(), "damaged-step-0000000020");
  EXPECT_TRUE(fs::exists(fs::path(aside) / "weights.pt"));
  EXPECT_EQ(CheckpointStore::load(*store.latest()).step, 10);
  auto again = sample_data(20);
  again.weights["decoder.weight"] = torch::full({4}, -1.0f);
  EXPECT_TRUE(CheckpointStore::load(store.save(again)).weights.at("decoder.weight").equal(torch::full({4}, -1.0f)));
  EXPECT_EQ(fs::path(CheckpointStore::set_aside(*store.latest())).filename(), "damaged-step-0000000020-2");
}

TEST(Checkpoint, StaleTemporaryFoldersAreRemovedWhenAStoreOpens) {
  const auto run = test::scratch_dir("ckpt-stale");
  fs::create_directories(fs::path(run) / "checkpoints" / ".tmp-step-7-12345");
  std::ofstream(fs::path(run) / "checkpoints" / ".tmp-step-7-12345" / "weights.pt") << "half";
  CheckpointStore store(run);
  EXPECT_FALSE(fs::exists(fs::path(run) / "checkpoints" / ".tmp-step-7-12345"));
  EXPECT_FALSE(store.latest().has_value());
}

// A write that fails for real (the file size limit is hit in a child process, as on a full disk)
// leaves the previous checkpoint whole and loadable, and no temporary folder behind.
TEST(Checkpoint, AFailedWriteKeepsThePreviousCheckpoint) {
  const auto run = test::scratch_dir("ckpt-fail");
  CheckpointStore store(run);
  const auto good = store.save(sample_data(1));
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      CheckpointStore(run).save(sample_data(2, /*size=*/100000));  // 400 kB of weights
    } catch (const std::runtime_error&) {
      _exit(0);  // the expected failure
    }
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the oversized write should have failed with an exception";
  EXPECT_EQ(*store.latest(), good);
  EXPECT_EQ(CheckpointStore::load(good).step, 1);
  for (const auto& entry : fs::directory_iterator(store.folder()))
    EXPECT_EQ(entry.path().filename().string().rfind(".tmp", 0), std::string::npos) << entry.path();
}

TEST(Checkpoint, DamagedOrMissingFilesAreNamed) {
  const auto run = test::scratch_dir("ckpt-damaged");
  CheckpointStore store(run);
  const auto folder = store.save(sample_data(5));
  std::ofstream(fs::path(folder) / "weights.pt", std::ios::trunc) << "not a pickle";
  try {
    CheckpointStore::load(folder);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("weights.pt"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(CheckpointStore::newest(test::scratch_dir("ckpt-empty")).has_value());
}

}  // namespace
}  // namespace vidssl
