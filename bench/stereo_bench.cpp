// Stereo matching of one rectified pair (DESIGN §8.1), the first step of the near-to-far model,
// whose whole step must fit 250 ms per frame: StereoMatcher through the hand-written CPU loops
// (fast) and the torch-ops path (torch), and OpenCV's StereoSGBM, at half KITTI size (620×188,
// 64 disparities, the pipeline's) and full size (1241×376, 128). The pair is KITTI's first when
// the excerpt is there (tests/test_data.h), else a random texture shifted by 8 px. Time per
// iteration is ms per pair.
//   build/bench/vidssl_microbench --benchmark_filter=Stereo --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <string>

#include "bench/intra_op_threads.h"
#include "models/ops/stereo_matcher.h"
#include "stages/stereo_sequence_source.h"
#include "stages/stereo_sgbm.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

struct StereoPair {
  torch::Tensor left, right;  // H×W uint8
  std::string what;
};

StereoPair stereo_pair(const benchmark::State& state) {
  const int width = static_cast<int>(state.range(0)), height = static_cast<int>(state.range(1));
  if (const std::string kitti = test::kitti_dir(); !kitti.empty()) {
    StereoSequenceSource source({.path = kitti, .width = width, .height = height, .max_frames = 1});
    Frame frame;
    if (source.read(frame)) return {frame.image[0], frame.right[0], "KITTI"};
  }
  torch::manual_seed(1);
  const torch::Tensor texture = torch::randint(0, 256, {height, width + 8}, torch::kUInt8);
  return {texture.narrow(1, 0, width).contiguous(), texture.narrow(1, 8, width).contiguous(), "random"};
}

std::string size_label(const benchmark::State& state, const StereoPair& pair) {
  return pair.what + " " + std::to_string(state.range(0)) + "x" + std::to_string(state.range(1)) + " d" +
         std::to_string(state.range(2));
}

// {width, height, max_disparity, path: 0 fast, 1 torch, threads: 0 all cores}
void BM_StereoMatcher(benchmark::State& state) {
  const StereoPair pair = stereo_pair(state);
  const StereoMatcher match({.max_disparity = static_cast<int>(state.range(2))});
  const OpPath path = state.range(3) == 0 ? OpPath::automatic : OpPath::reference;
  const bench::IntraOpThreads threads(static_cast<int>(state.range(4)));
  torch::Tensor d;
  for (auto _ : state) d = match(pair.left, pair.right, path);
  state.counters["valid"] = d.ge(0).to(torch::kFloat64).mean().item<double>();
  state.SetLabel(std::string(path == OpPath::automatic ? "fast " : "torch ") + size_label(state, pair) + " " +
                 std::to_string(at::get_num_threads()) + " thread(s)");
}

// {width, height, max_disparity}; OpenCV's own thread pool, all cores.
void BM_StereoSgbm(benchmark::State& state) {
  const StereoPair pair = stereo_pair(state);
  const StereoSgbm sgbm({.max_disparity = static_cast<int>(state.range(2))});
  torch::Tensor d;
  for (auto _ : state) d = sgbm(pair.left, pair.right);
  state.counters["valid"] = d.ge(0).to(torch::kFloat64).mean().item<double>();
  state.SetLabel("OpenCV " + size_label(state, pair) + " " + std::to_string(cv::getNumThreads()) + " thread(s)");
}

void matcher_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"w", "h", "d", "torch", "threads"});
  for (int path : {0, 1})
    for (int threads : {1, 0}) {
      if (path == 1 && threads == 1) continue;  // the reference is for comparison, not for tuning
      b->Args({620, 188, 64, path, threads});
      b->Args({1241, 376, 128, path, threads});
    }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void sgbm_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"w", "h", "d"});
  b->Args({620, 188, 64});
  b->Args({1241, 376, 128});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_StereoMatcher)->Apply(matcher_args);
BENCHMARK(BM_StereoSgbm)->Apply(sgbm_args);

}  // namespace
}  // namespace vidssl
