// The pooling layers on their own, forward and backward, at the sizes of the models' steps at 320×240:
// - phase pooling and unpooling (DESIGN §7) of Model B's 64 code maps, 4×4×4 blocks; arguments:
//   width, height, feature stride (4: blocks tile the features, 2: they overlap);
// - L2 pooling (DESIGN §6) of Model A's 32 code maps of a frame pair, 4×2×2 blocks; arguments: width,
//   height, path (0: the CPU loops, 1: the torch ops, what they replaced on the CPU).
//   build/bench/vidssl_microbench --benchmark_filter=Pool
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "models/layers/l2_pool.h"
#include "models/layers/phase_pool.h"

namespace vidssl {
namespace {

void BM_PhasePoolUnpoolForwardBackward(benchmark::State& state) {
  const auto width = state.range(0), height = state.range(1), stride = state.range(2);
  constexpr std::int64_t kFeatures = 64;
  torch::manual_seed(1);
  const auto block = PhaseBlockOptions().features(4).space(4).feature_stride(stride);
  PhasePool pool(PhasePoolOptions().block(block));
  PhaseUnpool unpool(block);
  const auto z = torch::randn({1, kFeatures, height, width}).requires_grad_(true);
  const auto target = torch::randn({1, kFeatures, height, width});
  for (auto _ : state) {
    const auto pooled = pool->forward(z);
    const auto back = unpool->forward(pooled.magnitude, pooled.phase, kFeatures);
    (back * target).sum().backward();
    benchmark::DoNotOptimize(z.grad().data_ptr<float>());
    z.mutable_grad().reset();
  }
  state.SetLabel(std::to_string(width) + "x" + std::to_string(height) + " " + std::to_string(kFeatures) + " maps, stride " +
                 std::to_string(stride) + ", " + std::to_string(at::get_num_threads()) + " thread(s)");
}
BENCHMARK(BM_PhasePoolUnpoolForwardBackward)->Args({320, 240, 4})->Args({320, 240, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_L2PoolForwardBackward(benchmark::State& state) {
  const auto width = state.range(0), height = state.range(1);
  const OpPath path = state.range(2) == 0 ? OpPath::automatic : OpPath::reference;
  constexpr std::int64_t kFeatures = 32, kFrames = 2;
  torch::manual_seed(1);
  L2Pool pool(L2PoolOptions().features(4).space(2));
  const auto h = torch::randn({kFrames, kFeatures, height, width}).requires_grad_(true);
  const auto target = torch::randn({kFrames, kFeatures / 4, height / 2, width / 2});
  for (auto _ : state) {
    (pool->forward(h, path) * target).sum().backward();
    benchmark::DoNotOptimize(h.grad().data_ptr<float>());
    h.mutable_grad().reset();
  }
  state.SetLabel(std::to_string(width) + "x" + std::to_string(height) + " " + std::to_string(kFrames) + "x" +
                 std::to_string(kFeatures) + " maps, " + (path == OpPath::automatic ? "CPU loops" : "torch ops") + ", " +
                 std::to_string(at::get_num_threads()) + " thread(s)");
}
BENCHMARK(BM_L2PoolForwardBackward)->Args({320, 240, 0})->Args({320, 240, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vidssl
