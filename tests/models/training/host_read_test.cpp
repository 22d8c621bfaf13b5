#include "models/training/host_read.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/linearize/linearize_learner.h"
#include "models/slow/slow_sparse_learner.h"
#include "models/torch_runtime.h"
#include "tests/models/host_sync_counter.h"

namespace vidssl {
namespace {

// Frames of a smooth pattern moving one pixel per frame, on the device.
LearnerFrame moving_frame(std::int64_t index, torch::Device device) {
  torch::manual_seed(5);
  const auto wide = torch::avg_pool2d(torch::randn({1, 1, 16, 64}), 5, 1, 2)[0];
  LearnerFrame f;
  f.index = index;
  f.image = wide.slice(2, index, index + 16).contiguous().to(device);
  f.decoded = torch::zeros({1, 16, 16}, torch::kByte);
  return f;
}

// Trains through consume() for 16 steps after a first one (which sets up the optimizer's state),
// reading every 8: every step is reported, in two reads, and no op waits for the device.
void expect_two_reads_in_sixteen_steps(ClipLearner& learner, torch::Device device) {
  const std::int64_t clip_length = learner.clip_length();
  for (std::int64_t i = 0; i < clip_length; ++i) learner.consume(moving_frame(i, device));
  learner.read_steps();
  const std::int64_t steps_before = learner.steps(), reads_before = host_reads_on_this_thread();
  std::int64_t reported = 0;
  HostSyncCounter syncs;
  for (std::int64_t i = clip_length; i < clip_length + 16; ++i)
    reported += static_cast<std::int64_t>(learner.consume(moving_frame(i, device)).steps.size());
  EXPECT_EQ(syncs.total(), 0) << syncs.report();
  EXPECT_EQ(learner.steps() - steps_before, 16);
  EXPECT_EQ(reported, 16);
  EXPECT_EQ(host_reads_on_this_thread() - reads_before, 2);
}

ClipLearnerOptions read_every(std::int64_t n) {
  ClipLearnerOptions o;
  o.replay.batch = 2;
  o.metrics_every = n;
  return o;
}

// Issue 13: a training step waits for nothing; its figures come back in one read every
// metrics_every steps.
TEST(HostReads, ModelAReadsOnceEveryMetricsEveryStepsAndNothingElseWaits) {
  for (const auto device : available_devices())
    for (const auto encoder : {SlowEncoder::relu, SlowEncoder::psd, SlowEncoder::lista}) {
      SCOPED_TRACE(device.str() + " " + to_string(encoder));
      SlowSparseLearner learner(SlowSparseOptions().filters(8).kernel(5).encoder(encoder).fista_steps(5), OptimizerOptions{}, read_every(8),
                                device);
      expect_two_reads_in_sixteen_steps(learner, device);
    }
}

TEST(HostReads, ModelBReadsOnceEveryMetricsEveryStepsAndNothingElseWaits) {
  for (const auto device : available_devices()) {
    SCOPED_TRACE(device.str());
    LinearizeLearner learner(LinearizeOptions().filters(8), OptimizerOptions{}, read_every(8), device);
    expect_two_reads_in_sixteen_steps(learner, device);
  }
}

// The counter itself: a scalar read is seen, a device-side reduction is not.
TEST(HostReads, TheSyncCounterSeesAScalarReadAndNotADeviceReduction) {
  const auto x = torch::randn({4});
  HostSyncCounter syncs;
  const auto sum = x.sum();
  EXPECT_EQ(syncs.total(), 0);
  (void)sum.item<float>();
  EXPECT_EQ(syncs.total(), 1) << syncs.report();
  const std::int64_t reads = host_reads_on_this_thread();
  (void)read_to_host(sum);
  EXPECT_EQ(host_reads_on_this_thread(), reads + 1);
}

}  // namespace
}  // namespace vidssl
