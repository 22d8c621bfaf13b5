// One online training step of Model B (DESIGN §7): k gradient steps on the latent δ per sample
// through unpooling and the decoder, then the weight update at δ_k, as LinearizeLearner::train
// does beside the live pipeline. Arguments: width, height, filters, batch, k.
//   build/bench/vidssl_microbench --benchmark_filter=Linearize
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "models/linearize/linearize_learner.h"

namespace vidssl {
namespace {

void BM_LinearizeTrainStep(benchmark::State& state) {
  const auto width = state.range(0), height = state.range(1), filters = state.range(2), batch = state.range(3);
  const auto delta_steps = state.range(4);
  torch::manual_seed(1);
  LinearizeLearner learner(LinearizeOptions().filters(filters).delta_steps(delta_steps), OptimizerOptions{}, ClipLearnerOptions{}, torch::kCPU);
  // Smooth random frames moving one pixel per frame.
  const auto wide = torch::avg_pool2d(torch::randn({batch, 1, height, width + 2}), 5, 1, 2);
  const auto triplets = torch::stack({wide.slice(3, 2, width + 2), wide.slice(3, 1, width + 1), wide.slice(3, 0, width)}, 1);
  for (int i = 0; i < 2; ++i) learner.train(triplets);
  for (auto _ : state) {
    learner.train(triplets);
    benchmark::DoNotOptimize(learner.read_steps());  // as a run on the CPU reads them: every step
  }
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(width) + "x" + std::to_string(height) + " " + std::to_string(filters) + " filters batch " +
                 std::to_string(batch) + " k " + std::to_string(delta_steps) + ", " + std::to_string(at::get_num_threads()) +
                 " thread(s)");
}
BENCHMARK(BM_LinearizeTrainStep)
    ->Args({160, 120, 64, 1, 5})
    ->Args({160, 120, 64, 1, 0})
    ->Args({320, 240, 64, 1, 5})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace vidssl
