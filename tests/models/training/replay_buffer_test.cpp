#include "models/training/replay_buffer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

namespace vidssl {
namespace {

torch::Tensor clip(int id) { return torch::full({2, 1, 2, 2}, static_cast<float>(id)); }

std::vector<int> ids(const torch::Tensor& batch) {
  std::vector<int> out;
  for (int64_t i = 0; i < batch.size(0); ++i) out.push_back(static_cast<int>(batch[i][0][0][0][0].item<float>()));
  return out;
}

TEST(ReplayBuffer, NewestClipFirstThenDistinctOlderOnes) {
  ReplayBuffer buffer({/*capacity=*/10, /*batch=*/4, /*seed=*/3});
  for (int i = 0; i < 25; ++i) buffer.add(clip(i));
  EXPECT_EQ(buffer.size(), 10);
  for (int trial = 0; trial < 50; ++trial) {
    auto got = ids(buffer.sample());
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], 24);
    std::set<int> distinct(got.begin(), got.end());
    EXPECT_EQ(distinct.size(), 4u);
    for (int id : got) EXPECT_GE(id, 15) << "only the last `capacity` clips are kept";
  }
}

TEST(ReplayBuffer, SmallBufferGivesWhatItHas) {
  ReplayBuffer buffer({10, 8, 1});
  buffer.add(clip(0));
  EXPECT_EQ(buffer.sample().size(0), 1);
  buffer.add(clip(1));
  buffer.add(clip(2));
  auto got = ids(buffer.sample());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], 2);
}

TEST(ReplayBuffer, OlderClipsAreDrawnUniformly) {
  ReplayBuffer buffer({9, 2, 7});
  for (int i = 0; i < 9; ++i) buffer.add(clip(i));
  std::vector<int> counts(9, 0);
  const int trials = 8000;
  for (int t = 0; t < trials; ++t) ++counts[ids(buffer.sample())[1]];
  EXPECT_EQ(counts[8], 0);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(counts[i], trials / 8.0, 5 * std::sqrt(trials / 8.0)) << "clip " << i;
}

TEST(ReplayBuffer, SavedStateContinuesTheSameSequence) {
  ReplayBuffer a({6, 3, 11});
  for (int i = 0; i < 8; ++i) a.add(clip(i));
  a.sample();
  ReplayBuffer b({6, 3, 99});
  b.load_state(a.state(), torch::kCPU);
  for (int t = 0; t < 20; ++t) {
    a.add(clip(100 + t));
    b.add(clip(100 + t));
    EXPECT_EQ(ids(a.sample()), ids(b.sample()));
  }
}

// A long run checkpoints a full buffer again and again: its clips are stacked into the same
// buffer each time once the last state was let go, never into one still held.
TEST(ReplayBuffer, SavedStateReusesItsBufferOnceTheLastIsLetGo) {
  ReplayBuffer buffer({.capacity = 3, .batch = 2, .seed = 1});
  for (int i = 0; i < 4; ++i) buffer.add(clip(i));
  torch::Tensor first = buffer.state().at("replay.clips");
  EXPECT_EQ(ids(first), (std::vector<int>{1, 2, 3}));
  const void* memory = first.data_ptr();
  first = torch::Tensor();
  buffer.add(clip(4));
  const torch::Tensor second = buffer.state().at("replay.clips");
  EXPECT_EQ(second.data_ptr(), memory) << "the first state was let go: its buffer is reused";
  EXPECT_EQ(ids(second), (std::vector<int>{2, 3, 4}));
  buffer.add(clip(5));
  const torch::Tensor third = buffer.state().at("replay.clips");
  EXPECT_NE(third.data_ptr(), memory) << "the second state is still held";
  EXPECT_EQ(ids(second), (std::vector<int>{2, 3, 4})) << "and stays as it was";
  EXPECT_EQ(ids(third), (std::vector<int>{3, 4, 5}));
}

// The clips live in one ring written in place: after it wraps, its state still lists them oldest
// first and samples draw from the newest `capacity`; the caller's clip is copied, not kept; a clip
// of another shape is refused with both shapes named.
TEST(ReplayBuffer, OneRingWrittenInPlaceKeepsTheOrder) {
  ReplayBuffer buffer({.capacity = 4, .batch = 4, .seed = 2});
  auto mine = clip(0);
  buffer.add(mine);
  mine.fill_(-1);
  EXPECT_EQ(ids(buffer.sample())[0], 0) << "the buffer copied the clip";
  for (int i = 1; i < 11; ++i) buffer.add(clip(i));
  EXPECT_EQ(buffer.size(), 4);
  EXPECT_EQ(ids(buffer.state().at("replay.clips")), (std::vector<int>{7, 8, 9, 10}));
  const auto got = ids(buffer.sample());
  EXPECT_EQ(got[0], 10);
  EXPECT_EQ(std::set<int>(got.begin(), got.end()), (std::set<int>{7, 8, 9, 10}));
  try {
    buffer.add(torch::zeros({2, 1, 3, 2}));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("a clip of shape [2, 1, 3, 2]"), std::string::npos) << e.what();
  }
}

// Resumed with a smaller replay_capacity, a run keeps the newest clips it saved.
TEST(ReplayBuffer, ALoadedStateLargerThanTheCapacityKeepsTheNewest) {
  ReplayBuffer big({.capacity = 6, .batch = 2, .seed = 1});
  for (int i = 0; i < 6; ++i) big.add(clip(i));
  ReplayBuffer small({.capacity = 4, .batch = 2, .seed = 1});
  small.load_state(big.state(), torch::kCPU);
  EXPECT_EQ(small.size(), 4);
  EXPECT_EQ(ids(small.state().at("replay.clips")), (std::vector<int>{2, 3, 4, 5}));
}

TEST(ReplayBuffer, BadOptionsNameTheKey) {
  try {
    ReplayBuffer({0, 8, 1});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("train.replay_capacity"), std::string::npos);
  }
}

}  // namespace
}  // namespace vidssl
