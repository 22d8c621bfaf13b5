#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "pipeline/clock.h"
#include "stages/resampled_source.h"
#include "tests/stages/pacing_harness.h"
#include "tests/stages/read_frames.h"

namespace vidssl {
namespace {

// Frames with the timestamps (µs) and clip ids a test gives; each image holds its frame's number.
class ScriptedSource final : public FrameSource {
 public:
  struct Item {
    std::int64_t timestamp_us;
    std::int32_t clip_id = 0;
  };
  explicit ScriptedSource(std::vector<Item> items, std::string warning_after_first = {})
      : items_(std::move(items)), warning_(std::move(warning_after_first)) {
    info_.description = "scripted";
    info_.width = 2;
    info_.height = 1;
    info_.fps = 30;
    info_.frame_count = static_cast<std::int64_t>(items_.size());
  }
  bool read(Frame& frame) override {
    if (next_ >= items_.size()) return false;
    const Item& item = items_[next_];
    frame.index = static_cast<std::int64_t>(next_);
    frame.timestamp_us = item.timestamp_us;
    frame.clip_id = item.clip_id;
    frame.clip_frame = 0;
    frame.image = torch::full({1, 1, 2}, static_cast<std::int64_t>(next_ % 256), torch::kUInt8);
    if (next_++ == 0 && !warning_.empty()) warn(warning_);
    return true;
  }
  const SourceInfo& info() const override { return info_; }

 private:
  std::vector<Item> items_;
  std::string warning_;
  SourceInfo info_;
  std::size_t next_ = 0;
};

std::vector<ScriptedSource::Item> regular(int frames, double fps, std::int32_t clip_id = 0) {
  std::vector<ScriptedSource::Item> items;
  for (int k = 0; k < frames; ++k) items.push_back({std::llround(k * 1e6 / fps), clip_id});
  return items;
}

std::vector<Frame> resample(std::vector<ScriptedSource::Item> items, double fps, std::int64_t max_frames = -1) {
  ResampledSource source(std::make_unique<ScriptedSource>(std::move(items)), fps, max_frames);
  return test::read_frames(source);
}

// The source frame each delivered frame is (its image holds the number).
std::vector<int> source_frames(const std::vector<Frame>& frames) {
  std::vector<int> numbers;
  for (const Frame& f : frames) numbers.push_back(f.image[0][0][0].item<int>());
  return numbers;
}

void expect_consecutive(const std::vector<Frame>& frames) {
  for (std::size_t k = 0; k < frames.size(); ++k) EXPECT_EQ(frames[k].index, static_cast<std::int64_t>(k));
}

TEST(ResampledSource, SameRateDeliversEveryFrame) {
  const auto frames = resample(regular(10, 30), 30);
  EXPECT_EQ(source_frames(frames), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  expect_consecutive(frames);
}

TEST(ResampledSource, FasterSourceDropsFrames) {
  const auto frames = resample(regular(12, 60), 20);  // every third frame: ticks at 0, 50, 100, … ms
  EXPECT_EQ(source_frames(frames), (std::vector<int>{0, 3, 6, 9}));
  expect_consecutive(frames);
  EXPECT_EQ(frames[1].timestamp_us, 50000);  // the source's own timestamp
}

// 10 fps to 30: ticks at 0, 33, 67, 100, … ms take the nearest frame: 0, 0, 1, 1, 1, 2, … and the
// repeats are copies (a stage may change a frame it was given).
TEST(ResampledSource, SlowerSourceRepeatsFramesAsCopies) {
  const auto frames = resample(regular(4, 10), 30);
  EXPECT_EQ(source_frames(frames), (std::vector<int>{0, 0, 1, 1, 1, 2, 2, 2, 3, 3}));
  expect_consecutive(frames);
  EXPECT_EQ(frames[0].timestamp_us, frames[1].timestamp_us);
  EXPECT_NE(frames[0].image.data_ptr(), frames[1].image.data_ptr());
  EXPECT_EQ(frames[9].timestamp_us, 300000);  // the last tick is at the last frame
}

// A phone's variable rate: frames 25–65 ms apart. Every delivered timestamp is within half the
// gap around its tick (the nearest frame), ticks are Δt apart.
TEST(ResampledSource, VariableRateLandsNearTheTicks) {
  std::vector<ScriptedSource::Item> items;
  std::int64_t t = 1000000;  // clocks rarely start at 0
  const int gaps_ms[] = {25, 65, 40, 33, 50, 27, 61, 38, 45, 30};
  for (int k = 0; k < 60; ++k) {
    items.push_back({t});
    t += 1000 * gaps_ms[k % 10];
  }
  const std::vector<ScriptedSource::Item> source = items;
  const auto frames = resample(items, 25);
  ASSERT_GT(frames.size(), 50u);
  expect_consecutive(frames);
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const double tick = 1000000 + k * 40000.0;
    EXPECT_LE(std::abs(frames[k].timestamp_us - tick), 65000 / 2) << k;
    // No other source frame is nearer the tick.
    for (const auto& item : source)
      EXPECT_LE(std::abs(frames[k].timestamp_us - tick), std::abs(item.timestamp_us - tick)) << k;
  }
  EXPECT_LE(frames.back().timestamp_us, source.back().timestamp_us);
}

// Ticks restart at each clip's first frame; clip_frame restarts, index goes on; no frame of one
// clip stands in for a tick of another.
TEST(ResampledSource, EachClipOnItsOwnTicks) {
  auto items = regular(6, 30, 0);  // 0 … 167 ms
  for (const auto& item : regular(4, 10, 1)) items.push_back({item.timestamp_us + 7000, 1});  // 7, 107, 207, 307 ms
  const auto frames = resample(items, 15);
  ASSERT_EQ(frames.size(), 3u + 5u);  // clip 0: ticks 0, 67, 133 ms; clip 1: 7, 73, 140, 207, 273 ms
  EXPECT_EQ(source_frames(frames), (std::vector<int>{0, 2, 4, 6, 7, 7, 8, 9}));
  expect_consecutive(frames);
  std::vector<std::int32_t> clips;
  std::vector<std::int64_t> clip_frames;
  for (const Frame& f : frames) {
    clips.push_back(f.clip_id);
    clip_frames.push_back(f.clip_frame);
  }
  EXPECT_EQ(clips, (std::vector<std::int32_t>{0, 0, 0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(clip_frames, (std::vector<std::int64_t>{0, 1, 2, 0, 1, 2, 3, 4}));
}

TEST(ResampledSource, MaxFramesCountsDeliveredFramesAndWarningsPassOn) {
  ResampledSource source(std::make_unique<ScriptedSource>(regular(10, 10), "clip.mp4: something"), 30, 5);
  EXPECT_EQ(test::read_frames(source).size(), 5u);
  EXPECT_EQ(source.take_warnings(), (std::vector<std::string>{"clip.mp4: something"}));
  EXPECT_EQ(source.info().fps, 30);
  EXPECT_EQ(source.info().frame_count, -1);
  EXPECT_NE(source.info().description.find("resampled to 30 fps"), std::string::npos);
}

// --realtime: frames go out at their ticks, repeats included (a 10 fps source at 20 fps gives a
// frame every 50 ms, not two at once every 100 ms).
TEST(ResampledSource, RealtimePacesTheTicks) {
  SimulatedClock clock(1000000);
  ResampledSource source(std::make_unique<ScriptedSource>(regular(3, 10)), 20, -1, true, &clock);
  const auto released = test::paced_release_times(source, clock, 4, 3, 50000);
  EXPECT_EQ(released, (std::vector<std::int64_t>{1000000, 1050000, 1100000, 1150000}));
}

TEST(ResampledSource, RateMustBePositive) {
  EXPECT_THROW(ResampledSource(std::make_unique<ScriptedSource>(regular(1, 10)), 0), SourceError);
}

}  // namespace
}  // namespace vidssl
