#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <torch/torch.h>

#include "stages/ffmpeg_source.h"
#include "tests/stages/ffmpeg_cli.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

// Geometry that keeps the picture: every frame upright (the display matrix applied), fitted to
// the delivered size without distortion (crop, pad) unless stretch is asked, each clip on its own.

namespace fs = std::filesystem;

namespace vidssl {
namespace {

torch::Tensor all_frames(FfmpegSource& source) {
  std::vector<torch::Tensor> images;
  for (const Frame& f : test::read_frames(source)) images.push_back(f.image);
  return torch::stack(images);
}

// testsrc at 64×48: no two pixels of a row or column alike, so any wrong turn shows.
std::string plain_clip(const std::string& dir) {
  const std::string path = dir + "/plain.mp4";
  test::make_clip(path, "-f lavfi -i testsrc=size=64x48:rate=10 -frames:v 3 -c:v libx264 -pix_fmt yuv420p");
  return path;
}

// A phone's portrait clip: the same pictures, stored as they are, with a rotation in the stream's
// display matrix (ffmpeg writes it from the rotate tag when copying into an MP4).
TEST(FfmpegGeometry, RotatedClipsAreDeliveredAsFfmpegShowsThem) {
  const std::string dir = test::scratch_dir("ffmpeg-rotated");
  std::string plain;
  ASSERT_NO_FATAL_FAILURE(plain = plain_clip(dir));
  for (const int degrees : {90, 180, 270}) {
    SCOPED_TRACE(degrees);
    const std::string path = dir + "/rotate" + std::to_string(degrees) + ".mp4";
    ASSERT_NO_FATAL_FAILURE(test::make_clip(path, "-i '" + plain + "' -c copy -metadata:s:v:0 rotate=" + std::to_string(degrees)));
    const bool turned = degrees != 180;
    const int width = turned ? 48 : 64, height = turned ? 64 : 48;
    FfmpegSource source({.path = path});
    EXPECT_EQ(source.info().width, width);
    EXPECT_EQ(source.info().height, height);
    EXPECT_EQ(source.clip_info().width, 64);  // as stored
    EXPECT_FALSE(source.clip_info().orientation.is_identity());
    const torch::Tensor shown = test::shown_luma(path, width, height);
    ASSERT_TRUE(shown.defined());
    const torch::Tensor delivered = all_frames(source);
    ASSERT_EQ(delivered.sizes(), shown.sizes());
    EXPECT_TRUE(torch::equal(delivered, shown));
    EXPECT_NE(source.info().description.find("turned"), std::string::npos) << source.info().description;
  }
}

// The display matrix of the (only) track: tkhd's 3×3 matrix, rewritten in place.
void write_display_matrix(const std::string& from, const std::string& to, const std::int32_t (&matrix)[9]) {
  std::ifstream in(from, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::size_t type = bytes.find("tkhd");
  ASSERT_NE(type, std::string::npos) << from << " has no tkhd box";
  // After the type: version (1 byte), flags (3), then times, track id, duration (4 or 8 bytes
  // each by version), 8 reserved, layer, group, volume, reserved (2 each), then the matrix.
  const bool version1 = bytes[type + 4] == 1;
  std::size_t at = type + 4 + 4 + (version1 ? 8 + 8 + 4 + 4 + 8 : 4 + 4 + 4 + 4 + 4) + 8 + 8;
  for (const std::int32_t value : matrix) {
    const auto u = static_cast<std::uint32_t>(value);
    for (int shift = 24; shift >= 0; shift -= 8) bytes[at++] = static_cast<char>((u >> shift) & 0xff);
  }
  std::ofstream(to, std::ios::binary) << bytes;
}

// Mirrors: ffmpeg 5.1's own player ignores them, so the reference is the plain clip's frames
// mirrored or transposed here.
TEST(FfmpegGeometry, MirroredClipsAreDeliveredMirrored) {
  const std::string dir = test::scratch_dir("ffmpeg-mirrored");
  std::string plain;
  ASSERT_NO_FATAL_FAILURE(plain = plain_clip(dir));
  FfmpegSource plain_source({.path = plain});
  const torch::Tensor stored = all_frames(plain_source);  // T×1×48×64
  constexpr std::int32_t kOne = 1 << 16, kW = 1 << 30;
  struct Case {
    const char* name;
    std::int32_t matrix[9];
    torch::Tensor expected;
    int rotation;
  };
  const Case cases[] = {
      {"hflip", {-kOne, 0, 0, 0, kOne, 0, 64 * kOne, 0, kW}, stored.flip({3}), 0},
      {"vflip", {kOne, 0, 0, 0, -kOne, 0, 0, 48 * kOne, kW}, stored.flip({2}), 180},
      {"transpose", {0, kOne, 0, kOne, 0, 0, 0, 0, kW}, stored.transpose(2, 3), 270},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = dir + "/" + c.name + ".mp4";
    ASSERT_NO_FATAL_FAILURE(write_display_matrix(plain, path, c.matrix));
    FfmpegSource source({.path = path});
    EXPECT_TRUE(source.clip_info().orientation.mirrored());
    EXPECT_EQ(source.clip_info().orientation.rotation(), c.rotation);
    EXPECT_TRUE(torch::equal(all_frames(source), c.expected));
  }
}

// The white square's width and height in a luma frame, to a fraction of a pixel: the brightness
// summed along its middle row and column, with black (16) as 0 and white (235) as 1, so scaled
// and coded edges count by how much of them is square.
struct Extent {
  double width = 0, height = 0;
};
Extent bright_extent(const torch::Tensor& image) {
  const torch::Tensor white = ((image[0].to(torch::kFloat32) - 16) / (235 - 16)).clamp(0, 1);
  return {white.sum(1).max().item<double>(), white.sum(0).max().item<double>()};
}

// A white 40×40 square in the middle of a black width × height clip.
std::string square_clip(const std::string& dir, int width, int height, const std::string& extra = "") {
  const std::string path = dir + "/square" + std::to_string(width) + "x" + std::to_string(height) + ".mp4";
  test::make_clip(path, "-f lavfi -i color=black:size=" + std::to_string(width) + "x" + std::to_string(height) +
                            ":rate=10 -vf drawbox=x=" + std::to_string(width / 2 - 20) + ":y=" +
                            std::to_string(height / 2 - 20) + ":w=40:h=40:color=white:t=fill -frames:v 2 "
                            "-c:v libx264 -pix_fmt yuv420p " + extra);
  return path;
}

Extent delivered_square(const std::string& path, Fit fit, int width, int height) {
  FfmpegSource source({.path = path, .width = width, .height = height, .max_frames = 1, .fit = fit});
  Frame frame;
  EXPECT_TRUE(source.read(frame));
  EXPECT_EQ(frame.image.sizes(), (std::vector<std::int64_t>{1, height, width}));
  return bright_extent(frame.image);
}

// A 16:9 and a 9:16 clip at 64×64: the square stays square within one pixel under crop and pad,
// at the size one scale factor gives (crop: the short side fills 64; pad: the long side does).
TEST(FfmpegGeometry, CropAndPadKeepTheAspectRatio) {
  const std::string dir = test::scratch_dir("ffmpeg-aspect");
  for (const auto& [w, h] : {std::pair{160, 90}, std::pair{90, 160}}) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    std::string path;
    ASSERT_NO_FATAL_FAILURE(path = square_clip(dir, w, h));
    const Extent crop = delivered_square(path, Fit::crop, 64, 64);
    EXPECT_NEAR(crop.width, 40.0 * 64 / 90, 1.0);
    EXPECT_NEAR(crop.height, 40.0 * 64 / 90, 1.0);
    EXPECT_LE(std::abs(crop.width - crop.height), 1.0);
    const Extent pad = delivered_square(path, Fit::pad, 64, 64);
    EXPECT_NEAR(pad.width, 40.0 * 64 / 160, 1.0);
    EXPECT_NEAR(pad.height, 40.0 * 64 / 160, 1.0);
    EXPECT_LE(std::abs(pad.width - pad.height), 1.0);
    // stretch scales each axis on its own, as before source.fit existed.
    const Extent stretch = delivered_square(path, Fit::stretch, 64, 64);
    EXPECT_NEAR(stretch.width, 40.0 * 64 / w, 1.0);
    EXPECT_NEAR(stretch.height, 40.0 * 64 / h, 1.0);
    std::printf("%dx%d at 64x64, the square: crop %.2f x %.2f, pad %.2f x %.2f, stretch %.2f x %.2f\n", w, h, crop.width,
                crop.height, pad.width, pad.height, stretch.width, stretch.height);
  }
}

// pad's bars are black (luma 0, chroma 128); the picture sits between them, whole.
TEST(FfmpegGeometry, PadBarsAreBlack) {
  const std::string dir = test::scratch_dir("ffmpeg-pad");
  std::string path;
  ASSERT_NO_FATAL_FAILURE(path = square_clip(dir, 160, 90));
  FfmpegSource source({.path = path, .width = 64, .height = 64, .channels = 3, .max_frames = 1, .fit = Fit::pad});
  Frame frame;
  ASSERT_TRUE(source.read(frame));
  // 160×90 at 64 wide is 64×36: 14 rows of bar above and below.
  for (const auto& [first, rows] : {std::pair{0, 14}, std::pair{50, 14}}) {
    EXPECT_TRUE(frame.image[0].narrow(0, first, rows).eq(0).all().item<bool>()) << first;
    EXPECT_TRUE(frame.image.narrow(0, 1, 2).narrow(1, first, rows).eq(128).all().item<bool>()) << first;
  }
  // The picture's own black is video black (luma 16), not a bar.
  EXPECT_TRUE(frame.image[0].narrow(0, 14, 36).ge(10).all().item<bool>());
}

// The turn comes before the fit: a portrait clip stored landscape is cropped as a portrait.
TEST(FfmpegGeometry, RotationComesBeforeTheFit) {
  const std::string dir = test::scratch_dir("ffmpeg-rotate-fit");
  std::string stored;
  ASSERT_NO_FATAL_FAILURE(stored = square_clip(dir, 160, 90));
  const std::string path = dir + "/portrait.mp4";
  ASSERT_NO_FATAL_FAILURE(test::make_clip(path, "-i '" + stored + "' -c copy -metadata:s:v:0 rotate=90"));
  FfmpegSource native({.path = path, .width = 45});  // upright 90×160: the height follows, 80
  EXPECT_EQ(native.info().height, 80);
  const Extent crop = delivered_square(path, Fit::crop, 48, 64);  // 90×160 → 3:4: the middle 90×120
  EXPECT_NEAR(crop.width, 40.0 * 48 / 90, 1.0);
  EXPECT_NEAR(crop.height, 40.0 * 48 / 90, 1.0);
}

// Each clip of a folder is fitted to the run's size on its own: the first clip (16:9) sets the
// native size, the portrait one after it is cropped to it, not stretched.
TEST(FfmpegGeometry, EachClipOfAFolderIsFittedOnItsOwn) {
  const std::string dir = test::scratch_dir("ffmpeg-folder-fit");
  std::string wide, tall;
  ASSERT_NO_FATAL_FAILURE(wide = square_clip(dir, 160, 90));
  ASSERT_NO_FATAL_FAILURE(tall = square_clip(dir, 90, 160));
  const std::string folder = dir + "/clips";
  fs::create_directory(folder);
  fs::rename(wide, folder + "/1_wide.mp4");
  fs::rename(tall, folder + "/2_tall.mp4");
  FfmpegSource source({.path = folder});
  EXPECT_EQ(source.info().width, 160);
  EXPECT_EQ(source.info().height, 90);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 4u);
  for (const Frame& frame : frames) {
    SCOPED_TRACE(frame.clip_id);
    ASSERT_EQ(frame.image.sizes(), (std::vector<std::int64_t>{1, 90, 160}));
    const Extent square = bright_extent(frame.image);
    // The tall clip: its 90 columns fill 160, and its middle 51 rows (90·90/160 = 50.6, whole
    // rows) fill 90.
    EXPECT_NEAR(square.width, frame.clip_id == 0 ? 40.0 : 40.0 * 160 / 90, 1.0);
    EXPECT_NEAR(square.height, frame.clip_id == 0 ? 40.0 : 40.0 * 90 / 51, 1.0);
    EXPECT_LE(std::abs(square.width - square.height), 1.0);
  }
}

}  // namespace
}  // namespace vidssl
