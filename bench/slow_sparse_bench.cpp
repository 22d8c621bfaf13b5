// One online training step of Model A (DESIGN §6): a batch of contrast-normalized frame pairs
// through encoder, decoder, pooling, the loss, backward, Adam and the decoder renormalization, as
// SlowSparseLearner::train does beside the live pipeline. Time per iteration is ms per step; the
// counter steps_per_s is its inverse, page_faults_per_step counts the pages malloc mapped afresh
// (minor faults: a freed buffer handed back to the kernel). Arguments: width, height, filters, batch.
//   build/bench/vidssl_microbench --benchmark_filter=SlowSparse --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <string>

#include "models/slow/slow_sparse_learner.h"

namespace vidssl {
namespace {

long minor_page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

void BM_SlowSparseTrainStep(benchmark::State& state) {
  const auto width = state.range(0), height = state.range(1), filters = state.range(2), batch = state.range(3);
  torch::manual_seed(1);
  OptimizerOptions adam;
  adam.lr = 2e-3;
  SlowSparseLearner learner(SlowSparseOptions().filters(filters).kernel(9), adam, ClipLearnerOptions{}, torch::kCPU);
  // Smooth random frames, then a one-pixel shift: a pair that looks like slow motion.
  auto frame = torch::avg_pool2d(torch::randn({batch, 1, height + 8, width + 8}), 5, 1, 2);
  const auto pairs = torch::stack({frame.slice(2, 0, height).slice(3, 0, width), frame.slice(2, 1, height + 1).slice(3, 1, width + 1)}, 1);
  for (int i = 0; i < 3; ++i) learner.train(pairs);
  const long faults_before = minor_page_faults();
  for (auto _ : state) {
    learner.train(pairs);
    benchmark::DoNotOptimize(learner.read_steps());  // as a run on the CPU reads them: every step
  }
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["page_faults_per_step"] =
      benchmark::Counter(static_cast<double>(minor_page_faults() - faults_before), benchmark::Counter::kAvgIterations);
  state.SetLabel(std::to_string(width) + "x" + std::to_string(height) + " " + std::to_string(filters) + " filters batch " +
                 std::to_string(batch) + ", " + std::to_string(at::get_num_threads()) + " thread(s)");
}
BENCHMARK(BM_SlowSparseTrainStep)
    ->Args({160, 120, 32, 1})
    ->Args({320, 240, 32, 1})
    ->Args({160, 120, 32, 4})
    ->Args({640, 480, 64, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace vidssl
