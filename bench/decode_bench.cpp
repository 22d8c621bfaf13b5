#include <benchmark/benchmark.h>

#include <string>

#include "stages/ffmpeg_source.h"
#include "tests/test_data.h"

// Decode throughput of FfmpegSource, single-threaded, luma at native size: the figure to hold
// against `ffmpeg -threads 1 -i FILE -an -f null -` (the source must stay within 10 % of it).
// Each iteration decodes the whole clip; items are frames, so items_per_second is frames/s.
//
//   build/bench/vidssl_microbench --benchmark_filter=Decode

namespace vidssl {
namespace {

void DecodeOneThreadLuma(benchmark::State& state, const char* name) {
  // Debian's opencv-doc clips, found (and box.mp4 unpacked) as the tests do.
  const std::string path = test::opencv_clip(name);
  if (path.empty()) {
    state.SkipWithError((std::string(name) + " missing (opencv-doc not installed)").c_str());
    return;
  }
  std::int64_t frames = 0;
  for (auto _ : state) {
    try {
      FfmpegSource source({.path = path, .channels = 1}, {.decoder_threads = 1});
      Frame frame;
      while (source.read(frame)) ++frames;
    } catch (const SourceError& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  state.SetItemsProcessed(frames);
}

BENCHMARK_CAPTURE(DecodeOneThreadLuma, vtest_avi, "vtest.avi")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(DecodeOneThreadLuma, box_mp4, "box.mp4")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vidssl
