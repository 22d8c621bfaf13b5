// Preprocessing of one frame (DESIGN §5): contrast normalization, the 3-level Gaussian pyramid,
// and both, on one grey frame, through the hand-written CPU loops (fast) and the torch-ops path
// (torch), on one thread or on all cores (threads:0, as configure_torch_runtime() sets them). Time per
// iteration is ms per frame. Both paths run OpenMP parallel regions, which stall when another
// process holds a core: on a shared machine compare the threads:1 rows, and read the minimum.
//   build/bench/vidssl_microbench --benchmark_filter=Preprocess --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "bench/intra_op_threads.h"
#include "models/ops/contrast_normalizer.h"
#include "models/ops/gaussian_pyramid.h"

namespace vidssl {
namespace {

torch::Tensor grey_frame(const benchmark::State& state) {
  torch::manual_seed(1);
  return torch::rand({1, 1, state.range(1), state.range(0)});
}

OpPath path_of(const benchmark::State& state) { return state.range(2) == 0 ? OpPath::automatic : OpPath::reference; }

void label(benchmark::State& state) {
  state.SetLabel(std::string(state.range(2) == 0 ? "fast" : "torch") + " " + std::to_string(state.range(0)) + "x" +
                 std::to_string(state.range(1)) + " " + std::to_string(at::get_num_threads()) + " thread(s)");
}

void BM_PreprocessContrastNormalizer(benchmark::State& state) {
  const ContrastNormalizer normalize;
  const torch::Tensor frame = grey_frame(state);
  const OpPath path = path_of(state);
  const bench::IntraOpThreads threads(static_cast<int>(state.range(3)));
  for (auto _ : state) benchmark::DoNotOptimize(normalize(frame, path));
  label(state);
}

void BM_PreprocessGaussianPyramid(benchmark::State& state) {
  const GaussianPyramid pyramid({/*levels=*/3});
  const torch::Tensor frame = grey_frame(state);
  const OpPath path = path_of(state);
  const bench::IntraOpThreads threads(static_cast<int>(state.range(3)));
  for (auto _ : state) benchmark::DoNotOptimize(pyramid(frame, path));
  label(state);
}

void BM_PreprocessNormalizeThenPyramid(benchmark::State& state) {
  const ContrastNormalizer normalize;
  const GaussianPyramid pyramid({/*levels=*/3});
  const torch::Tensor frame = grey_frame(state);
  const OpPath path = path_of(state);
  const bench::IntraOpThreads threads(static_cast<int>(state.range(3)));
  for (auto _ : state) benchmark::DoNotOptimize(pyramid(normalize(frame, path), path));
  label(state);
}

// {width, height, path: 0 fast, 1 torch, threads: 0 all cores}
void frame_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"w", "h", "torch", "threads"});
  for (int threads : {1, 0})
    for (int path : {0, 1})
      for (auto [w, h] : {std::pair{320, 240}, std::pair{640, 480}}) b->Args({w, h, path, threads});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_PreprocessContrastNormalizer)->Apply(frame_sizes);
BENCHMARK(BM_PreprocessGaussianPyramid)->Apply(frame_sizes);
BENCHMARK(BM_PreprocessNormalizeThenPyramid)->Apply(frame_sizes);

}  // namespace
}  // namespace vidssl
