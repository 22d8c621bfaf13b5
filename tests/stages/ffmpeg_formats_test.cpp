#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <torch/torch.h>

#include "stages/ffmpeg_source.h"
#include "tests/stages/ffmpeg_cli.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

// What users download and shoot: VP9 in WebM, AV1 in Matroska, H.264 in MP4 with an audio track,
// and a folder mixing them at different sizes and orientations. Clips are made here by the ffmpeg
// tool, a few frames each.

namespace fs = std::filesystem;

namespace vidssl {
namespace {

struct Format {
  const char* file;
  const char* encode;   // ffmpeg output options
  const char* codec;    // what the stream says
  const char* decoder;  // the decoder FFmpeg picks for it
};

// 4:2:0, as downloads are (from testsrc's RGB, the encoders would otherwise keep RGB or 4:4:4).
const Format kVp9{"clip.webm", "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k -pix_fmt yuv420p", "vp9", "vp9"};
// Debian's FFmpeg 5.1 has two AV1 decoders, libdav1d and libaom-av1 (its own "av1" needs a GPU);
// FFmpeg picks libdav1d.
const Format kAv1{"clip.mkv", "-c:v libaom-av1 -cpu-used 8 -b:v 200k -pix_fmt yuv420p", "av1", "libdav1d"};
const Format kH264WithAudio{"clip.mp4", "-c:v libx264 -pix_fmt yuv420p -c:a aac -shortest", "h264", "h264"};

std::string make_format_clip(const std::string& dir, const Format& format, int width, int height, int frames) {
  const std::string path = dir + "/" + format.file;
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  const bool audio = std::string(format.encode).find("-c:a") != std::string::npos;
  test::make_clip(path, "-f lavfi -i testsrc=size=" + size + ":rate=25" +
                            (audio ? " -f lavfi -i sine=frequency=440:sample_rate=48000" : "") +
                            " -frames:v " + std::to_string(frames) + " " + format.encode);
  return path;
}

// Every frame, as ffmpeg's own player decodes it (the same decoders, so the same pixels).
void expect_reads_like_ffmpeg(const Format& format) {
  const std::string dir = test::scratch_dir("ffmpeg-format");
  std::string path;
  ASSERT_NO_FATAL_FAILURE(path = make_format_clip(dir, format, 96, 54, 6));
  FfmpegSource source({.path = path});
  EXPECT_EQ(source.clip_info().codec, format.codec);
  EXPECT_EQ(source.clip_info().decoder, format.decoder);
  EXPECT_EQ(source.info().width, 96);
  EXPECT_EQ(source.info().height, 54);
  EXPECT_NEAR(source.info().fps, 25, 1e-9);
  const auto frames = test::read_frames(source);
  const torch::Tensor shown = test::shown_luma(path, 96, 54);
  ASSERT_TRUE(shown.defined());
  ASSERT_EQ(static_cast<std::int64_t>(frames.size()), shown.size(0));
  EXPECT_EQ(frames.size(), 6u);
  for (std::size_t k = 0; k < frames.size(); ++k) {
    EXPECT_TRUE(torch::equal(frames[k].image, shown[k])) << "frame " << k;
    EXPECT_EQ(frames[k].timestamp_us, static_cast<std::int64_t>(k) * 40000) << "frame " << k;
  }
  EXPECT_TRUE(source.take_warnings().empty());
}

TEST(FfmpegFormats, Vp9InWebm) { expect_reads_like_ffmpeg(kVp9); }
TEST(FfmpegFormats, H264InMp4WithAudio) { expect_reads_like_ffmpeg(kH264WithAudio); }

TEST(FfmpegFormats, Av1InMatroska) { expect_reads_like_ffmpeg(kAv1); }

// A researcher's folder: a 16:9 WebM, a 4:3 AV1 Matroska, a portrait phone MP4 with sound (stored
// landscape, turned by its display matrix) and a download that broke. Each clip is its own clip,
// read to its end at the run's size; the broken one is a one-line warning naming it.
TEST(FfmpegFormats, MixedFolderReadsEveryClipToItsEnd) {
  const std::string dir = test::scratch_dir("ffmpeg-mixed");
  std::string webm, mkv, mp4;
  ASSERT_NO_FATAL_FAILURE(webm = make_format_clip(dir, kVp9, 96, 54, 5));
  ASSERT_NO_FATAL_FAILURE(mkv = make_format_clip(dir, kAv1, 64, 48, 4));
  ASSERT_NO_FATAL_FAILURE(mp4 = make_format_clip(dir, kH264WithAudio, 80, 48, 3));
  const std::string folder = dir + "/clips";
  fs::create_directory(folder);
  fs::rename(webm, folder + "/a_youtube.webm");
  fs::rename(mkv, folder + "/b_av1.mkv");
  ASSERT_NO_FATAL_FAILURE(test::make_clip(folder + "/c_phone.mp4", "-i '" + mp4 + "' -c copy -metadata:s:v:0 rotate=90"));
  std::ofstream(folder + "/d_broken.mp4", std::ios::binary) << std::string(5000, 'x');
  ASSERT_NO_FATAL_FAILURE(make_format_clip(dir, kVp9, 96, 54, 2));
  fs::rename(dir + "/clip.webm", folder + "/e_after.webm");

  FfmpegSource source({.path = folder, .width = 64, .height = 48});
  std::vector<int> per_clip(4, 0);
  Frame frame;
  std::int64_t index = 0;
  while (source.read(frame)) {
    ASSERT_LT(frame.clip_id, 4);
    ASSERT_EQ(frame.index, index++);
    ASSERT_EQ(frame.clip_frame, per_clip[frame.clip_id]++);
    ASSERT_EQ(frame.image.sizes(), (std::vector<std::int64_t>{1, 48, 64}));
    if (frame.clip_id == 2) {
      EXPECT_EQ(source.clip_info().orientation.rotation() % 180, 90);
    }
  }
  EXPECT_EQ(per_clip, (std::vector<int>{5, 4, 3, 2}));
  int naming_broken = 0;
  for (const auto& warning : source.take_warnings()) {
    std::printf("warning: %s\n", warning.c_str());
    EXPECT_EQ(warning.find('\n'), std::string::npos) << warning;
    if (warning.rfind(folder + "/d_broken.mp4: ", 0) == 0) ++naming_broken;
  }
  EXPECT_EQ(naming_broken, 1);
}

}  // namespace
}  // namespace vidssl
