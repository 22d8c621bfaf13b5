#include "models/distributed/data_parallel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "models/linearize/linearize_learner.h"
#include "models/slow/slow_sparse_learner.h"
#include "tests/models/distributed/loopback_ranks.h"

namespace vidssl {
namespace {

using std::chrono::milliseconds;

#define SKIP_WITHOUT_GLOO() \
  if (!in_build(DistBackend::gloo)) GTEST_SKIP() << "Gloo is not in this build (no Gloo headers)"

// Smooth random clips B×K×1×16×16, one set per rank and step (from a generator of their own: the
// ranks run on threads, and the global one would interleave them).
torch::Tensor clips_of(int rank, int step, std::int64_t batch, std::int64_t length) {
  auto generator = at::detail::createCPUGenerator(static_cast<std::uint64_t>(1000 * rank + step));
  return torch::avg_pool2d(torch::randn({batch * length, 1, 20, 20}, generator), 5, 1, 0).view({batch, length, 1, 16, 16});
}

std::unique_ptr<ClipLearner> make_learner(const std::string& kind, OptimizerOptions optimizer, std::uint64_t seed) {
  torch::manual_seed(seed);
  if (kind == "slow")
    return std::make_unique<SlowSparseLearner>(SlowSparseOptions().filters(8).kernel(5), optimizer, ClipLearnerOptions{}, torch::kCPU);
  if (kind == "slow_greedy")  // two layers, the first alone for 2 steps, then the second alone
    return std::make_unique<SlowSparseLearner>(
        SlowSparseOptions().filters(8).kernel(5).second_layer_filters(4).second_layer_kernel(3).second_layer_after(2), optimizer,
        ClipLearnerOptions{}, torch::kCPU);
  return std::make_unique<LinearizeLearner>(LinearizeOptions().filters(8), optimizer, ClipLearnerOptions{}, torch::kCPU);
}

std::vector<torch::Tensor> weights_of(ClipLearner& learner) {
  CheckpointData data;
  learner.save(data);
  std::vector<torch::Tensor> out;
  for (const auto& [key, value] : data.weights) out.push_back(value.clone());
  return out;
}

// Every rank trains `steps` steps on clips of its own; returns each rank's weights and reported steps.
struct RankResult {
  std::vector<torch::Tensor> weights;
  std::vector<LearnerStep> steps;
  std::size_t buckets = 0;
  std::int64_t sent_in_backward = 0;
};
std::vector<RankResult> train_ranks(const std::string& kind, int world, int steps, DataParallelOptions options,
                                    OptimizerOptions optimizer = {}, std::int64_t batch = 2) {
  std::vector<std::unique_ptr<ClipLearner>> learners;
  for (int r = 0; r < world; ++r) learners.push_back(make_learner(kind, optimizer, 7 + static_cast<std::uint64_t>(r)));  // unlike weights
  std::vector<RankResult> results(static_cast<std::size_t>(world));
  test::run_ranks(world, [&](int rank, Rendezvous& rendezvous) {
    ClipLearner& learner = *learners[static_cast<std::size_t>(rank)];
    auto group = std::make_shared<DataParallel>(rendezvous.group(kind), options, kind);
    learner.join(group);
    for (int s = 0; s < steps; ++s) learner.train(clips_of(rank, s, batch, learner.clip_length()));
    results[static_cast<std::size_t>(rank)] = {weights_of(learner), learner.read_steps(), group->buckets(), group->buckets_sent_in_backward()};
  });
  return results;
}

// Buckets of `bytes` (a bucket holds at least one tensor): 512 puts each weight of the test models
// in a bucket of its own, all but the last sent from within backward().
DataParallelOptions small_buckets(double bytes = 512) {
  DataParallelOptions options;
  options.bucket_mb = bytes / (1 << 20);
  return options;
}

// The ranks' weights, bit for bit, and (`figures`) the figures they report.
void expect_bit_identical(const std::vector<RankResult>& ranks, bool figures = true) {
  for (std::size_t r = 1; r < ranks.size(); ++r) {
    ASSERT_EQ(ranks[r].weights.size(), ranks[0].weights.size());
    for (std::size_t i = 0; i < ranks[0].weights.size(); ++i)
      EXPECT_TRUE(torch::equal(ranks[r].weights[i], ranks[0].weights[i])) << "rank " << r;
    ASSERT_EQ(ranks[r].steps.size(), ranks[0].steps.size());
    if (!figures) continue;
    for (std::size_t i = 0; i < ranks[0].steps.size(); ++i) EXPECT_EQ(ranks[r].steps[i].values, ranks[0].steps[i].values) << "rank " << r;
  }
}

// Issue 15: two and three ranks that start from unlike weights and see unlike clips end with the
// same weights, bit for bit, and report the same (mean) figures.
TEST(DataParallel, RanksEndWithBitIdenticalWeightsAndFigures) {
  SKIP_WITHOUT_GLOO();
  for (const std::string kind : {"slow", "linearize"})
    for (const int world : {2, 3}) {
      SCOPED_TRACE(kind + " on " + std::to_string(world) + " ranks");
      const auto ranks = train_ranks(kind, world, 4, DataParallelOptions{});
      ASSERT_EQ(ranks[0].steps.size(), 4u);
      expect_bit_identical(ranks);
      expect_bit_identical(train_ranks(kind, world, 4, small_buckets()));  // buckets sent from backward() too
      // The ranks did learn from their clips: the weights moved from rank 0's initial ones.
      auto initial = make_learner(kind, OptimizerOptions{}, 7);
      EXPECT_FALSE(torch::equal(weights_of(*initial)[0], ranks[0].weights[0]));
    }
}

// With sync_every 1 a step is the step of one process on the union of the ranks' batches (the
// losses are means over the batch, so the mean of the ranks' gradients is the union's), to float
// tolerance. SGD keeps the comparison a comparison of gradients (Adam's first steps are ±lr for
// any gradient well above its ε).
TEST(DataParallel, TwoRanksEqualOneProcessOnTheUnionOfTheirBatches) {
  SKIP_WITHOUT_GLOO();
  OptimizerOptions sgd;
  sgd.kind = OptimizerKind::sgd;
  sgd.lr = 0.05;
  for (const std::string kind : {"slow", "linearize"})
    for (const auto& [buckets, options] : {std::pair{"one bucket", DataParallelOptions{}}, std::pair{"a bucket per tensor", small_buckets()}}) {
      SCOPED_TRACE(kind + ", " + buckets);
      const int steps = 3;
      const auto ranks = train_ranks(kind, 2, steps, options, sgd);
      auto single = make_learner(kind, sgd, 7);  // rank 0's initial weights
      for (int s = 0; s < steps; ++s)
        single->train(torch::cat({clips_of(0, s, 2, single->clip_length()), clips_of(1, s, 2, single->clip_length())}));
      const auto expected = weights_of(*single);
      const auto single_steps = single->read_steps();
      for (std::size_t i = 0; i < expected.size(); ++i) {
        const double scale = expected[i].abs().max().item<double>();
        EXPECT_LT((ranks[0].weights[i] - expected[i]).abs().max().item<double>(), 1e-4 * scale + 1e-6) << "tensor " << i;
      }
      // The logged loss is the mean of the ranks' losses: the union's.
      EXPECT_NEAR(ranks[0].steps.back().values[0].second, single_steps.back().values[0].second,
                  1e-4 * std::abs(single_steps.back().values[0].second));
    }
}

// Issue 15, "overlapped with the rest of the step": with several buckets, every one but the last
// (which waits for the step's figures) is sent from within backward(), on every step and rank.
TEST(DataParallel, EveryBucketButTheLastIsSentFromWithinBackward) {
  SKIP_WITHOUT_GLOO();
  for (const std::string kind : {"slow", "linearize"}) {
    SCOPED_TRACE(kind);
    const int steps = 3;
    const auto ranks = train_ranks(kind, 2, steps, small_buckets());
    for (const auto& rank : ranks) {
      ASSERT_GE(rank.buckets, 3u);
      EXPECT_EQ(rank.sent_in_backward, steps * static_cast<std::int64_t>(rank.buckets - 1));
    }
    for (const auto& rank : train_ranks(kind, 2, steps, DataParallelOptions{})) EXPECT_EQ(rank.sent_in_backward, 0);
  }
}

// Two backward() calls in one step would leave the second's gradients out of the buckets the first
// sent: step() refuses it, on every rank, instead of averaging a partial gradient.
TEST(DataParallel, ASecondBackwardInOneStepIsRefused) {
  SKIP_WITHOUT_GLOO();
  std::vector<std::string> errors(2);
  test::run_ranks(2, [&](int rank, Rendezvous& rendezvous) {
    torch::manual_seed(3);
    torch::nn::Linear layer(4, 3);
    torch::optim::SGD optimizer(layer->parameters(), 0.1);
    DataParallel group(rendezvous.group("linear"), small_buckets(1), "linear");  // the bias's bucket, then the weight's
    group.join(optimizer);
    ASSERT_TRUE(group.begin_step());
    optimizer.zero_grad();
    const auto x = torch::randn({2, 4});
    layer->forward(x).sum().backward();
    layer->forward(x).square().sum().backward();
    torch::Tensor figures = torch::zeros({1});
    try {
      group.step(optimizer, figures, torch::tensor(true));
    } catch (const std::logic_error& e) {
      errors[static_cast<std::size_t>(rank)] = e.what();
    }
  });
  for (const auto& e : errors) EXPECT_NE(e.find("a parameter's gradient arrived twice in step 1"), std::string::npos) << e;
}

// Local SGD: with sync_every 3 the ranks step on their own gradients and agree again every third step.
TEST(DataParallel, SyncEveryKAveragesTheWeightsEveryKSteps) {
  SKIP_WITHOUT_GLOO();
  DataParallelOptions every3;
  every3.sync_every = 3;
  expect_bit_identical(train_ranks("slow", 2, 6, every3), /*figures=*/false);  // a local step's figures are the rank's own
  const auto apart = train_ranks("slow", 2, 4, every3);
  EXPECT_FALSE(torch::equal(apart[0].weights[0], apart[1].weights[0])) << "a local step after the exchange";
  // The exchange is the mean of the ranks' weights (then the decoder's renormalization): it sits
  // between them, nearer than they are to each other.
  const auto at3 = train_ranks("slow", 2, 3, every3);
  DataParallelOptions never;
  never.sync_every = 1000;
  const auto alone = train_ranks("slow", 2, 3, never);
  const auto mean = (alone[0].weights[1] + alone[1].weights[1]) / 2;  // the encoder: not renormalized
  EXPECT_LT((at3[0].weights[1] - mean).abs().max().item<double>(), 1e-6);
}

// Greedy training with local SGD: the first layer is frozen after step 2, between two exchanges, so
// each rank froze its own. The exchange at step 3 averages the frozen layer too, and the ranks
// agree again at step 6, bit for bit (they did not when the put-back of the frozen layer also
// undid the average).
TEST(DataParallel, SyncEveryKAveragesAGreedyLearnersFrozenLayerToo) {
  SKIP_WITHOUT_GLOO();
  DataParallelOptions every3;
  every3.sync_every = 3;
  expect_bit_identical(train_ranks("slow_greedy", 2, 6, every3), /*figures=*/false);
}

// A non-finite loss on one rank skips the step on every rank: the weights stay equal, and the step
// reads as skipped everywhere.
TEST(DataParallel, ANonFiniteLossOnOneRankSkipsTheStepOnEveryRank) {
  SKIP_WITHOUT_GLOO();
  std::vector<std::unique_ptr<ClipLearner>> learners;
  for (int r = 0; r < 2; ++r) learners.push_back(make_learner("slow", OptimizerOptions{}, 7));
  std::vector<RankResult> results(2);
  std::vector<std::vector<torch::Tensor>> before(2);
  test::run_ranks(2, [&](int rank, Rendezvous& rendezvous) {
    ClipLearner& learner = *learners[static_cast<std::size_t>(rank)];
    learner.join(std::make_shared<DataParallel>(rendezvous.group("slow"), DataParallelOptions{}, "slow"));
    learner.train(clips_of(rank, 0, 2, 2));
    before[static_cast<std::size_t>(rank)] = weights_of(learner);
    auto bad = clips_of(rank, 1, 2, 2);
    if (rank == 1) bad[0][0][0][0][0] = std::numeric_limits<float>::quiet_NaN();
    learner.train(bad);
    results[static_cast<std::size_t>(rank)] = {weights_of(learner), learner.read_steps()};
  });
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(results[static_cast<std::size_t>(r)].steps.size(), 2u);
    EXPECT_FALSE(results[static_cast<std::size_t>(r)].steps[0].skipped);
    EXPECT_TRUE(results[static_cast<std::size_t>(r)].steps[1].skipped) << "rank " << r;
    for (std::size_t i = 0; i < before[0].size(); ++i)
      EXPECT_TRUE(torch::equal(results[static_cast<std::size_t>(r)].weights[i], before[static_cast<std::size_t>(r)][i]));
  }
  EXPECT_EQ(learners[0]->steps(), 1);
}

// A rank whose stream ends leaves; the others learn it at their next exchange and take no more
// steps: with sync_every 1 at once, with the same weights; with sync_every 2 after the local step
// that precedes the next exchange, the weights apart by that step.
TEST(DataParallel, WhenARankLeavesTheOthersStopAtTheirNextExchange) {
  SKIP_WITHOUT_GLOO();
  for (const std::int64_t every : {1, 2}) {
    SCOPED_TRACE("sync_every " + std::to_string(every));
    std::vector<std::unique_ptr<ClipLearner>> learners;
    for (int r = 0; r < 2; ++r) learners.push_back(make_learner("slow", OptimizerOptions{}, 7));
    std::vector<std::vector<torch::Tensor>> weights(2);
    std::array<bool, 2> ended{};  // not vector<bool>: its elements share a word the two rank threads would both write
    DataParallelOptions options;
    options.sync_every = every;
    test::run_ranks(2, [&](int rank, Rendezvous& rendezvous) {
      ClipLearner& learner = *learners[static_cast<std::size_t>(rank)];
      auto group = std::make_shared<DataParallel>(rendezvous.group("slow"), options, "slow");
      learner.join(group);
      const int frames = rank == 1 ? 4 : 10;  // rank 1's stream is shorter
      for (int s = 0; s < frames; ++s) learner.train(clips_of(rank, s, 2, 2));
      group->leave();
      learner.read_steps();
      weights[static_cast<std::size_t>(rank)] = weights_of(learner);
      ended[static_cast<std::size_t>(rank)] = group->ended();
    });
    EXPECT_EQ(learners[1]->steps(), 4);
    EXPECT_EQ(learners[0]->steps(), every == 1 ? 4 : 5);
    EXPECT_TRUE(ended[0] && ended[1]);
    for (std::size_t i = 0; i < weights[0].size(); ++i) EXPECT_EQ(torch::equal(weights[0][i], weights[1][i]), every == 1) << "tensor " << i;
  }
}

// Ranks whose models differ (another config on one of them) are refused at join, on every rank.
TEST(DataParallel, RanksWithDifferentModelsAreRefusedAtJoin) {
  SKIP_WITHOUT_GLOO();
  std::vector<std::string> errors(2);
  test::run_ranks(2, [&](int rank, Rendezvous& rendezvous) {
    torch::manual_seed(1);
    SlowSparseLearner learner(SlowSparseOptions().filters(rank == 0 ? 8 : 16).kernel(5), OptimizerOptions{}, ClipLearnerOptions{}, torch::kCPU);
    try {
      learner.join(std::make_shared<DataParallel>(rendezvous.group("slow"), DataParallelOptions{}, "slow"));
    } catch (const DataParallelError& e) {
      errors[static_cast<std::size_t>(rank)] = e.what();
    }
  });
  for (const auto& e : errors) EXPECT_NE(e.find("is not every rank's: run every rank with the same config"), std::string::npos) << e;
}

// A rank that stalls past the timeout, or dies, fails the others' step with an error naming it.
TEST(DataParallel, AStalledOrDeadRankFailsTheOthersWithinTheTimeout) {
  SKIP_WITHOUT_GLOO();
  for (const bool dies : {false, true}) {
    SCOPED_TRACE(dies ? "dies" : "stalls");
    std::vector<std::unique_ptr<ClipLearner>> learners;
    for (int r = 0; r < 2; ++r) learners.push_back(make_learner("slow", OptimizerOptions{}, 7));
    std::atomic<bool> rank0_done{false};
    std::string error;
    double seconds = 0;
    test::run_ranks(
        2,
        [&](int rank, Rendezvous& rendezvous) {
          ClipLearner& learner = *learners[static_cast<std::size_t>(rank)];
          {
            auto group = std::make_shared<DataParallel>(rendezvous.group("slow"), DataParallelOptions{}, "slow");
            learner.join(group);
            learner.train(clips_of(rank, 0, 2, 2));
            if (rank == 0) {
              const auto started = std::chrono::steady_clock::now();
              try {
                learner.train(clips_of(rank, 1, 2, 2));
              } catch (const DataParallelError& e) {
                error = e.what();
              }
              seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
              rank0_done = true;
              return;
            }
            if (dies) return;                               // its group goes with it: its connections close
            while (!rank0_done) std::this_thread::yield();  // stalls: takes part in nothing
          }
        },
        milliseconds(2000));
    EXPECT_NE(error.find("rank 0 of 2"), std::string::npos) << error;
    EXPECT_NE(error.find("rank 1 died, stalled"), std::string::npos) << error;
    EXPECT_NE(error.find("step 2"), std::string::npos) << error;
    EXPECT_LT(seconds, 10.0);
  }
}

}  // namespace
}  // namespace vidssl
