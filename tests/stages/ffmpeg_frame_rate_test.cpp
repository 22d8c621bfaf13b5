#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "stages/open_source.h"
#include "tests/stages/ffmpeg_cli.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

// source.fps on real clips: time, not frame index. The frame times the clips hold come from
// ffprobe, FFmpeg's own reader.

namespace vidssl {
namespace {

// A phone-like variable frame rate: frames 4 to 76 ms apart (40 ms on average), made with setpts.
TEST(FfmpegFrameRate, VariableRateClipResampledToFixedSteps) {
  const std::string path = test::scratch_dir("ffmpeg-vfr") + "/phone.mp4";
  ASSERT_NO_FATAL_FAILURE(test::make_clip(path, "-f lavfi -i testsrc=size=32x24:rate=1000 -frames:v 40 "
                                                "-vf \"settb=1/1000,setpts='floor(N*40+18*sin(N*1.7))'\" "
                                                "-fps_mode vfr -c:v libx264 -pix_fmt yuv420p"));
  std::vector<std::int64_t> times = test::frame_times_us(path);
  ASSERT_EQ(times.size(), 40u);
  for (auto& t : times) t -= times.front();  // the source's clock starts at its first frame
  std::vector<std::int64_t> gaps;
  for (std::size_t k = 1; k < times.size(); ++k) gaps.push_back(times[k] - times[k - 1]);
  const std::int64_t widest = *std::max_element(gaps.begin(), gaps.end());
  EXPECT_GT(widest, 2 * *std::min_element(gaps.begin(), gaps.end())) << "the clip should have a variable rate";

  constexpr double kStep = 1e6 / 20;
  auto source = open_source({.path = path, .fps = 20});
  EXPECT_EQ(source->info().fps, 20);
  const auto frames = test::read_frames(*source);
  ASSERT_GE(frames.size(), static_cast<std::size_t>(times.back() / kStep));
  for (std::size_t k = 0; k < frames.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(frames[k].index, static_cast<std::int64_t>(k));
    // The frame's own time, one the clip holds, the nearest to its tick: within half the gap
    // around the tick, so within one source frame period.
    const std::int64_t t = frames[k].timestamp_us;
    ASSERT_NE(std::find(times.begin(), times.end(), t), times.end());
    const double tick = k * kStep;
    const auto after = std::lower_bound(times.begin(), times.end(), static_cast<std::int64_t>(std::ceil(tick)));
    const std::int64_t gap = after == times.begin() || after == times.end() ? 0 : *after - *(after - 1);
    EXPECT_LE(std::abs(t - tick), gap / 2.0 + 1) << "tick " << tick;
    EXPECT_LE(std::abs(t - tick), widest);
  }
}

// A 60 fps and a 24 fps clip at source.fps 12: each delivers a frame every 1/12 s of its own
// time (every fifth and every second frame), where frame indices would have given motions 2.5×
// apart.
TEST(FfmpegFrameRate, ClipsOfDifferentRatesGiveTheSameStep) {
  const std::string dir = test::scratch_dir("ffmpeg-rates");
  ASSERT_NO_FATAL_FAILURE(test::make_clip(dir + "/a60.mp4", "-f lavfi -i testsrc=size=32x24:rate=60 -frames:v 30 -c:v libx264 -pix_fmt yuv420p"));
  ASSERT_NO_FATAL_FAILURE(test::make_clip(dir + "/b24.webm", "-f lavfi -i testsrc=size=32x24:rate=24 -frames:v 12 -c:v libvpx-vp9 -deadline realtime -cpu-used 8"));
  auto source = open_source({.path = dir, .max_frames = 100, .fps = 12});
  const auto frames = test::read_frames(*source);
  std::vector<int> per_clip(2, 0);
  for (const Frame& frame : frames) {
    ASSERT_LT(frame.clip_id, 2);
    const int k = per_clip[frame.clip_id]++;
    EXPECT_EQ(frame.clip_frame, k);
    // WebM keeps times in milliseconds.
    EXPECT_NEAR(frame.timestamp_us, k * 1e6 / 12, 1000) << "clip " << frame.clip_id;
  }
  EXPECT_EQ(per_clip, (std::vector<int>{6, 6}));  // 0.5 s and 0.46 s: ticks 0 … 5/12 s
}

}  // namespace
}  // namespace vidssl
