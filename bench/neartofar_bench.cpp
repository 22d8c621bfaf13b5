// Model C's stereo geometry and labels for one half-size KITTI frame (620×188, DESIGN §8.1-8.3), on
// the ray-cast box scene of the tests with 0.25 px of disparity noise: 3-D points from disparities,
// the ground-plane fit on the lower image's points within 20 m, heights above the plane, and the
// labels of 3000 footprint windows. Time per iteration is ms per frame.
//   build/bench/vidssl_microbench --benchmark_filter=NearToFar --benchmark_repetitions=5
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <vector>

#include "models/neartofar/ground_plane.h"
#include "models/neartofar/stereo_points.h"
#include "models/neartofar/traversability_labels.h"
#include "tests/models/neartofar/box_scene.h"

namespace vidssl {
namespace {

struct Frame {
  test::BoxScene scene;
  torch::Tensor points;
  torch::Tensor candidates;
};

Frame noisy_frame() {
  Frame frame;
  torch::manual_seed(1);
  torch::Tensor disparity = frame.scene.render().disparity;
  disparity = torch::where(disparity > 0, disparity + 0.25 * torch::randn(disparity.sizes()), disparity);
  frame.points = disparity_to_points(disparity, frame.scene.camera);
  frame.candidates = ground_candidates(frame.points, 20.0, frame.scene.camera.height / 2);
  return frame;
}

// Windows 12 to 36 rows tall and twice as wide, every 6 rows and 10 columns below row 60 (3124): about
// what the footprints of the near range cover.
torch::Tensor footprint_windows(std::int64_t height, std::int64_t width) {
  std::vector<std::int64_t> flat;
  for (std::int64_t rows : {12, 24, 36})
    for (std::int64_t top = 60; top + rows <= height; top += 6)
      for (std::int64_t left = 0; left + 2 * rows <= width; left += 10)
        flat.insert(flat.end(), {top, top + rows, left, left + 2 * rows});
  return torch::tensor(flat, torch::kInt64).view({-1, 4});
}

void BM_NearToFarDisparityToPoints(benchmark::State& state) {
  const test::BoxScene scene;
  const torch::Tensor disparity = scene.render().disparity;
  for (auto _ : state) benchmark::DoNotOptimize(disparity_to_points(disparity, scene.camera));
}

void BM_NearToFarGroundPlaneFit(benchmark::State& state) {
  const Frame frame = noisy_frame();
  const GroundPlane ground;
  for (auto _ : state) benchmark::DoNotOptimize(ground.fit(frame.candidates));
  state.SetLabel(std::to_string(frame.candidates.size(0)) + " candidates");
}

void BM_NearToFarLabelWindows(benchmark::State& state) {
  const Frame frame = noisy_frame();
  const GroundPlane ground;
  const torch::Tensor heights = ground.heights(frame.points, ground.fit(frame.candidates).plane);
  const torch::Tensor boxes = footprint_windows(heights.size(0), heights.size(1));
  for (auto _ : state) benchmark::DoNotOptimize(label_windows(heights, boxes, LabelOptions{}));
  state.SetLabel(std::to_string(boxes.size(0)) + " windows");
}

BENCHMARK(BM_NearToFarDisparityToPoints)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NearToFarGroundPlaneFit)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NearToFarLabelWindows)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vidssl
