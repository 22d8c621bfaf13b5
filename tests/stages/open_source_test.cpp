#include <gtest/gtest.h>

#include <torch/torch.h>

#include "stages/ffmpeg_source.h"
#include "stages/open_source.h"
#include "stages/synthetic_source.h"
#include "stages/y4m_source.h"
#include "stages/y4m_writer.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

TEST(OpenSource, ChoosesTheSourceByPath) {
  const std::string y4m = test::scratch_dir("open-source") + "/clip.Y4M";
  {
    Y4mWriter writer(y4m);
    writer.write(torch::zeros({1, 4, 4}, torch::kUInt8));
  }
  EXPECT_NE(dynamic_cast<Y4mSource*>(open_source({.path = y4m}).get()), nullptr);
  EXPECT_NE(dynamic_cast<SyntheticSource*>(open_source({.path = "synthetic:gratings"}).get()), nullptr);
  EXPECT_NE(dynamic_cast<FfmpegSource*>(open_source({.path = "lavfi:testsrc=size=32x24"}).get()), nullptr);
  EXPECT_THROW(open_source({.path = "synthetic:nothing"}), SourceError);
}

TEST(OpenSource, PassesTheOptionsOn) {
  auto source = open_source({.path = "synthetic:sprites", .width = 20, .height = 10, .channels = 3, .max_frames = 2});
  const auto frames = test::read_frames(*source);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].image.sizes(), (std::vector<std::int64_t>{3, 10, 20}));
}

// FFmpeg reads the Y4M files Y4mWriter writes: the two agree on the format.
TEST(OpenSource, FfmpegReadsWhatY4mWriterWrites) {
  const std::string path = test::scratch_dir("open-source-y4m") + "/mono.y4m";
  torch::manual_seed(0);
  const auto frames = torch::randint(0, 256, {3, 1, 6, 8}, torch::kUInt8);
  {
    Y4mWriter writer(path);
    for (int k = 0; k < 3; ++k) writer.write(frames[k]);
  }
  FfmpegSource source({.path = path});
  const auto read = test::read_frames(source);
  ASSERT_EQ(read.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(torch::equal(read[k].image, frames[k])) << k;
}

}  // namespace
}  // namespace vidssl
