#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "pipeline/clock.h"
#include "stages/ffmpeg_source.h"
#include "tests/stages/ffmpeg_cli.h"
#include "tests/stages/pacing_harness.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// What ffprobe, FFmpeg's own tool, says of a clip's video stream: the reference the source must
// agree with.
struct Probe {
  int width = 0, height = 0;
  double fps = 0;
  std::int64_t decoded_frames = -1;   // nb_read_frames: frames that decode
  std::int64_t declared_frames = -1;  // nb_frames: the container's count
};

Probe ffprobe(const std::string& path) {
  const std::string base = "ffprobe -v error -select_streams v:0 ";
  const std::string tail = " -of csv=p=0 '" + path + "' 2>/dev/null";
  Probe probe;
  std::istringstream counted(test::command_output(base + "-count_frames -show_entries stream=nb_read_frames,width,height,r_frame_rate" + tail));
  char sep;
  int num = 0, den = 1;
  counted >> probe.width >> sep >> probe.height >> sep >> num >> sep >> den >> sep >> probe.decoded_frames;
  probe.fps = static_cast<double>(num) / den;
  std::istringstream(test::command_output(base + "-show_entries stream=nb_frames" + tail)) >> probe.declared_frames;
  return probe;
}

void expect_agrees_with_ffprobe(const std::string& name) {
  const std::string path = test::opencv_clip(name);
  if (path.empty()) GTEST_SKIP() << name << " missing (opencv-doc not installed)";
  const Probe probe = ffprobe(path);
  ASSERT_GT(probe.decoded_frames, 0) << "ffprobe gave nothing for " << path;

  FfmpegSource source({.path = path});
  EXPECT_EQ(source.info().width, probe.width);
  EXPECT_EQ(source.info().height, probe.height);
  EXPECT_NEAR(source.info().fps, probe.fps, 1e-6);
  EXPECT_EQ(source.info().frame_count, probe.declared_frames);
  EXPECT_FALSE(source.info().live);

  std::int64_t count = 0, last_timestamp = -1;
  Frame frame;
  while (source.read(frame)) {
    ASSERT_EQ(frame.index, count);
    ASSERT_EQ(frame.clip_frame, count);
    ASSERT_EQ(frame.clip_id, 0);
    ASSERT_GT(frame.timestamp_us, last_timestamp) << "frame " << count;
    ASSERT_EQ(frame.image.sizes(), (std::vector<std::int64_t>{1, probe.height, probe.width}));
    ASSERT_EQ(frame.image.scalar_type(), torch::kUInt8);
    last_timestamp = frame.timestamp_us;
    ++count;
  }
  EXPECT_EQ(count, probe.decoded_frames);
  // The last frame is shown at about (count − 1) frame periods (box.mp4 loses its first frame
  // and starts on the second).
  EXPECT_NEAR(last_timestamp / 1e6, (count - 1) / probe.fps, 3 / probe.fps);
  for (const auto& warning : source.take_warnings()) std::printf("warning: %s\n", warning.c_str());
}

TEST(FfmpegSource, VtestAgreesWithFfprobe) { expect_agrees_with_ffprobe("vtest.avi"); }
// box.mp4 declares 456 frames, of which FFmpeg decodes 455 (its first packet is damaged).
TEST(FfmpegSource, BoxAgreesWithFfprobe) { expect_agrees_with_ffprobe("box.mp4"); }

TEST(FfmpegSource, ResizesAndDeliversLumaOrYuv) {
  const std::string path = test::opencv_clip("box.mp4");
  if (path.empty()) GTEST_SKIP() << "box.mp4 missing";
  FfmpegSource native_luma({.path = path, .max_frames = 3});
  FfmpegSource native_yuv({.path = path, .channels = 3, .max_frames = 3});
  FfmpegSource small_yuv({.path = path, .width = 160, .height = 120, .channels = 3, .max_frames = 3});
  FfmpegSource small_luma({.path = path, .width = 160, .max_frames = 3});  // height from the aspect
  EXPECT_EQ(small_luma.info().height, 120);

  const auto luma = test::read_frames(native_luma), yuv = test::read_frames(native_yuv);
  const auto small = test::read_frames(small_yuv), small_y = test::read_frames(small_luma);
  ASSERT_EQ(luma.size(), 3u);
  ASSERT_EQ(yuv.size(), 3u);
  ASSERT_EQ(small.size(), 3u);
  ASSERT_EQ(small_y.size(), 3u);
  EXPECT_EQ(yuv[0].image.sizes(), (std::vector<std::int64_t>{3, 480, 640}));
  EXPECT_EQ(small[0].image.sizes(), (std::vector<std::int64_t>{3, 120, 160}));
  EXPECT_EQ(small_y[0].image.sizes(), (std::vector<std::int64_t>{1, 120, 160}));
  for (int k = 0; k < 3; ++k) {
    // The luma fast path and the 4:4:4 conversion see the same Y: no range conversion anywhere.
    EXPECT_TRUE(torch::equal(yuv[k].image[0], luma[k].image[0])) << k;
    // Scaling the luma alone or as part of YUV gives the same picture, up to rounding.
    EXPECT_LE((small[k].image[0].to(torch::kInt32) - small_y[k].image[0].to(torch::kInt32)).abs().max().item<int>(), 2);
  }
}

// A folder is a sequence of clips: clip_id steps at each file, clip_frame restarts, index goes on,
// timestamps restart and rise within each clip, and every clip comes out at one size.
TEST(FfmpegSource, FolderClipsInNameOrder) {
  const std::string vtest = test::opencv_clip("vtest.avi"), box = test::opencv_clip("box.mp4");
  if (vtest.empty() || box.empty()) GTEST_SKIP() << "clips missing";
  const std::string dir = test::scratch_dir("ffmpeg-folder");
  fs::create_symlink(box, dir + "/b_box.mp4");
  fs::create_symlink(vtest, dir + "/a_vtest.avi");
  fs::copy_file(box, dir + "/c_box_copy.MP4");
  std::ofstream(dir + "/notes.txt") << "not a video";
  fs::create_directory(dir + "/sub.mp4");  // a folder named like a video is not one

  FfmpegSource source({.path = dir, .width = 64, .height = 48});
  EXPECT_EQ(source.info().frame_count, -1);
  EXPECT_NEAR(source.info().fps, 10, 1e-9);  // the first clip's
  std::vector<std::int64_t> per_clip(3, 0);
  std::int64_t index = 0, last_timestamp = -1;
  std::int32_t last_clip = 0;
  Frame frame;
  while (source.read(frame)) {
    ASSERT_EQ(frame.index, index++);
    ASSERT_GE(frame.clip_id, last_clip);
    ASSERT_LT(frame.clip_id, 3);
    if (frame.clip_id != last_clip) last_timestamp = -1;
    ASSERT_EQ(frame.clip_frame, per_clip[frame.clip_id]++);
    ASSERT_GT(frame.timestamp_us, last_timestamp);
    ASSERT_EQ(frame.image.sizes(), (std::vector<std::int64_t>{1, 48, 64}));
    last_clip = frame.clip_id;
    last_timestamp = frame.timestamp_us;
  }
  const std::int64_t vtest_frames = ffprobe(vtest).decoded_frames, box_frames = ffprobe(box).decoded_frames;
  EXPECT_EQ(per_clip, (std::vector<std::int64_t>{vtest_frames, box_frames, box_frames}));
}

TEST(FfmpegSource, NativeSizeOfAFolderIsTheFirstClips) {
  const std::string vtest = test::opencv_clip("vtest.avi"), box = test::opencv_clip("box.mp4");
  if (vtest.empty() || box.empty()) GTEST_SKIP() << "clips missing";
  const std::string dir = test::scratch_dir("ffmpeg-folder-native");
  fs::create_symlink(box, dir + "/1.mp4");
  fs::create_symlink(vtest, dir + "/2.avi");
  // max_frames counts over all clips: 455 of box.mp4, then 2 of vtest.avi.
  const std::int64_t box_frames = ffprobe(box).decoded_frames;
  FfmpegSource source({.path = dir, .max_frames = box_frames + 2});
  const auto frames = test::read_frames(source);
  ASSERT_EQ(static_cast<std::int64_t>(frames.size()), box_frames + 2);
  EXPECT_EQ(frames.back().clip_id, 1);
  EXPECT_EQ(frames.back().clip_frame, 1);
  EXPECT_EQ(frames.back().image.sizes(), (std::vector<std::int64_t>{1, 480, 640}));  // vtest's 768×576, resized
}

// source.decoder_threads 0: the clip's native size decides, within the cores training leaves; a
// number given is used as it is. What the decoder was opened with is what VideoClipInfo says.
TEST(FfmpegSource, DecoderThreadsFollowTheNativeSizeAndTheSpareCores) {
  const std::string dir = test::scratch_dir("ffmpeg-decoder-threads");
  const std::string clip = dir + "/720p.mp4";
  test::make_clip(clip, "-f lavfi -i testsrc2=size=1280x720:rate=10 -frames:v 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  const SourceOptions options{.path = clip, .width = 160, .height = 90};
  EXPECT_EQ(FfmpegSource(options, {.decoder_threads = 0, .spare_cores = 8}).clip_info().decoder_threads, 2);
  EXPECT_EQ(FfmpegSource(options, {.decoder_threads = 0, .spare_cores = 0}).clip_info().decoder_threads, 1);
  EXPECT_EQ(FfmpegSource(options, {.decoder_threads = 3, .spare_cores = 0}).clip_info().decoder_threads, 3);
  FfmpegSource source(options, {.decoder_threads = 0, .spare_cores = 8});
  EXPECT_EQ(test::read_frames(source).size(), 3u);
}

// source.device_options reach FFmpeg's input as it opens (a webcam's video_size, framerate,
// input_format); one the input does not take is named, with where its options are listed.
TEST(FfmpegSource, DeviceOptionsReachTheInputAndAForeignOneIsNamed) {
  FfmpegSource graph({.path = "lavfi:testsrc=size=32x24:rate=10", .device_options = {{"dumpgraph", "0"}}});
  EXPECT_EQ(graph.info().width, 32);
  const std::string clip = test::scratch_dir("ffmpeg-device-options") + "/clip.mp4";
  test::make_clip(clip, "-f lavfi -i testsrc2=size=64x48:rate=10 -frames:v 2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p");
  FfmpegSource file({.path = clip, .device_options = {{"probesize", "100000"}}});  // a generic input option
  EXPECT_EQ(file.info().width, 64);
  try {
    FfmpegSource camera_option({.path = clip, .device_options = {{"probesize", "100000"}, {"input_format", "mjpeg"}}});
    FAIL() << "input_format was taken by an MP4 file";
  } catch (const SourceError& e) {
    EXPECT_EQ(std::string(e.what()),
              "source.device_options.input_format: not an option of " + clip + "'s FFmpeg input (its options: ffmpeg -h demuxer=mov)");
  }
}

TEST(FfmpegSource, MaxFramesStopsAFileWithoutWarnings) {
  const std::string path = test::opencv_clip("vtest.avi");
  if (path.empty()) GTEST_SKIP() << "vtest.avi missing";
  FfmpegSource source({.path = path, .max_frames = 4});
  EXPECT_EQ(source.info().frame_count, 4);
  EXPECT_EQ(test::read_frames(source).size(), 4u);
  Frame frame;
  EXPECT_FALSE(source.read(frame));
  EXPECT_TRUE(source.take_warnings().empty());
}

TEST(FfmpegSource, LavfiTestsrcIsALiveSource) {
  FfmpegSource source({.path = "lavfi:testsrc=size=320x240:rate=30", .channels = 3});
  EXPECT_TRUE(source.info().live);
  EXPECT_EQ(source.info().frame_count, -1);
  EXPECT_NEAR(source.info().fps, 30, 1e-9);
  const auto frames = test::read_frames(source, 5);
  ASSERT_EQ(frames.size(), 5u);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(frames[k].image.sizes(), (std::vector<std::int64_t>{3, 240, 320}));
    EXPECT_EQ(frames[k].timestamp_us, std::llround(k * 1e6 / 30));
  }
  EXPECT_FALSE(torch::equal(frames[0].image, frames[1].image)) << "testsrc moves";
}

TEST(FfmpegSource, BadFilterGraphIsASourceError) {
  try {
    FfmpegSource source({.path = "lavfi:nosuchfilter=1"});
    FAIL() << "opened a bad graph";
  } catch (const SourceError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("lavfi:nosuchfilter=1: cannot open: ", 0), 0u) << message;
    EXPECT_NE(message.find("expected a libavfilter graph"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(FfmpegSource, MissingCameraIsAOneLineSourceError) {
  const std::string device = "/dev/video-vidssl-missing";
  try {
    FfmpegSource source({.path = "v4l2:" + device});
    FAIL() << "opened a camera that does not exist";
  } catch (const SourceError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("v4l2:" + device + ": cannot open: ", 0), 0u) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
    EXPECT_NE(message.find("expected a V4L2 camera such as v4l2:/dev/video0"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// --realtime: frame k is released at origin + (pts_k − pts_0) on the source's clock. The test
// owns a SimulatedClock, so the reader blocks until the test moves time; nothing sleeps.
TEST(FfmpegSource, RealtimePacesFramesOnTheClock) {
  const std::string path = test::opencv_clip("vtest.avi");  // 10 fps: one frame per 100 ms
  if (path.empty()) GTEST_SKIP() << "vtest.avi missing";
  constexpr std::int64_t kPeriod = 100000;
  SimulatedClock clock(5000000);
  FfmpegSource source({.path = path, .width = 32, .height = 24, .realtime = true, .max_frames = 3}, {}, &clock);

  const auto released_at = test::paced_release_times(source, clock, 3, 2, kPeriod);
  EXPECT_EQ(released_at, (std::vector<std::int64_t>{5000000, 5000000 + kPeriod, 5000000 + 2 * kPeriod}));
}

}  // namespace
}  // namespace vidssl
