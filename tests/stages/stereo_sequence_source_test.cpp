#include "stages/stereo_sequence_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "stages/open_source.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

constexpr double kKittiFx = 718.856, kKittiCx = 607.1928, kKittiCy = 185.2157, kKittiBaseline = 0.537;

// KITTI's two lines without names (the shipped sequence's calib.txt).
const char* const kBareCalib =
    "7.188560000000e+02 0 6.071928000000e+02 0 0 7.188560000000e+02 1.852157000000e+02 0 0 0 1 0\n"
    "7.188560000000e+02 0 6.071928000000e+02 -3.861448000000e+02 0 7.188560000000e+02 1.852157000000e+02 0 0 0 1 0\n";

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// A grey frame whose pixels tell pair k and the camera apart.
cv::Mat grey_frame(int width, int height, int k, int camera) {
  cv::Mat image(height, width, CV_8UC1);
  for (int v = 0; v < height; ++v)
    for (int u = 0; u < width; ++u) image.at<std::uint8_t>(v, u) = static_cast<std::uint8_t>(10 * k + 100 * camera + u + v);
  return image;
}

// DIR/left/00000k.png, DIR/right/…, calib.txt: a small sequence for one test.
std::string make_sequence(const std::string& name, int pairs, int width = 8, int height = 6,
                          const std::string& calib = kBareCalib) {
  const fs::path dir = test::scratch_dir(name);
  fs::create_directories(dir / "left");
  fs::create_directories(dir / "right");
  for (int k = 0; k < pairs; ++k) {
    const std::string file = "00000" + std::to_string(k) + ".png";
    cv::imwrite((dir / "left" / file).string(), grey_frame(width, height, k, 0));
    cv::imwrite((dir / "right" / file).string(), grey_frame(width, height, k, 1));
  }
  write_text(dir / "calib.txt", calib);
  return dir.string();
}

// Expects open(options) to throw SourceError with a one-line message naming `names` and containing
// `expected`; open is StereoSequenceSource's constructor unless given.
template <class Open>
void expect_source_error(const SourceOptions& options, const std::string& names, const std::string& expected, Open open) {
  try {
    open(options);
    ADD_FAILURE() << "no SourceError for " << options.path << "; expected one mentioning '" << expected << "'";
  } catch (const SourceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(names), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  }
}

void expect_source_error(const SourceOptions& options, const std::string& names, const std::string& expected) {
  expect_source_error(options, names, expected, [](const SourceOptions& o) { StereoSequenceSource source(o); });
}

TEST(StereoSequenceSource, ReadsTheKittiSequence) {
  const std::string kitti = test::kitti_dir();
  if (kitti.empty()) GTEST_SKIP() << "KITTI stereo excerpt not found (../shared/data/kitti-rural-stereo or $VIDSSL_KITTI_DIR)";
  StereoSequenceSource source({.path = kitti});
  const StereoCamera& camera = source.camera();
  EXPECT_NEAR(camera.fx, kKittiFx, 1e-6);
  EXPECT_NEAR(camera.fy, kKittiFx, 1e-6);
  EXPECT_NEAR(camera.cx, kKittiCx, 1e-6);
  EXPECT_NEAR(camera.cy, kKittiCy, 1e-6);
  EXPECT_NEAR(camera.baseline, kKittiBaseline, 1e-3);
  EXPECT_EQ(camera.width, 1241);
  EXPECT_EQ(camera.height, 376);
  EXPECT_EQ(source.info().frame_count, 51);
  EXPECT_DOUBLE_EQ(source.info().fps, 10);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 51u);
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const Frame& f = frames[k];
    EXPECT_EQ(f.index, static_cast<std::int64_t>(k));
    EXPECT_EQ(f.clip_frame, static_cast<std::int64_t>(k));
    EXPECT_EQ(f.clip_id, 0);
    EXPECT_EQ(f.timestamp_us, static_cast<std::int64_t>(k) * 100000);
    EXPECT_EQ(f.image.sizes(), torch::IntArrayRef({1, 376, 1241}));
    EXPECT_EQ(f.right.sizes(), torch::IntArrayRef({1, 376, 1241}));
    EXPECT_EQ(f.image.scalar_type(), torch::kUInt8);
  }
  // The decoded pixels are the PNG's.
  const cv::Mat first = cv::imread(kitti + "/right/000000.png", cv::IMREAD_GRAYSCALE);
  EXPECT_TRUE(torch::equal(frames[0].right[0], torch::from_blob(first.data, {376, 1241}, torch::kUInt8)));
  EXPECT_FALSE(torch::equal(frames[0].image, frames[0].right));
  EXPECT_TRUE(source.take_warnings().empty());
}

TEST(StereoSequenceSource, HalfSizeKittiScalesTheCamera) {
  const std::string kitti = test::kitti_dir();
  if (kitti.empty()) GTEST_SKIP() << "KITTI stereo excerpt not found (../shared/data/kitti-rural-stereo or $VIDSSL_KITTI_DIR)";
  // stretch: each axis by its own factor (crop would cut a column off 1241 for 620×188's aspect ratio).
  StereoSequenceSource source({.path = kitti, .width = 620, .height = 188, .channels = 3, .max_frames = 3, .fit = Fit::stretch});
  const double sx = 620.0 / 1241, sy = 188.0 / 376;
  const StereoCamera& camera = source.camera();
  EXPECT_NEAR(camera.fx, kKittiFx * sx, 1e-9);
  EXPECT_NEAR(camera.fy, kKittiFx * sy, 1e-9);
  EXPECT_NEAR(camera.cx, (kKittiCx + 0.5) * sx - 0.5, 1e-9);
  EXPECT_NEAR(camera.cy, (kKittiCy + 0.5) * sy - 0.5, 1e-9);
  EXPECT_NEAR(camera.baseline, kKittiBaseline, 1e-3);  // metres: not scaled
  EXPECT_EQ(camera.width, 620);
  EXPECT_EQ(camera.height, 188);
  EXPECT_EQ(source.info().frame_count, 3);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2].image.sizes(), torch::IntArrayRef({3, 188, 620}));
  EXPECT_EQ(frames[2].right.sizes(), torch::IntArrayRef({3, 188, 620}));
  // Grey PNGs: neutral chroma.
  EXPECT_TRUE(frames[2].image.narrow(0, 1, 2).eq(128).all().item<bool>());
  EXPECT_TRUE(frames[2].right.narrow(0, 1, 2).eq(128).all().item<bool>());
}

TEST(StereoSequenceSource, ResizeScalesBothImagesAndTheCamera) {
  const std::string dir = make_sequence("stereo-resize", 2, 40, 20);
  StereoSequenceSource native({.path = dir});
  EXPECT_EQ(native.camera().width, 40);
  EXPECT_EQ(native.camera().height, 20);
  StereoSequenceSource half({.path = dir, .width = 20});  // the height follows the aspect ratio
  const StereoCamera expected = native.camera().scaled(0.5);
  EXPECT_DOUBLE_EQ(half.camera().fx, expected.fx);
  EXPECT_DOUBLE_EQ(half.camera().fy, expected.fy);
  EXPECT_DOUBLE_EQ(half.camera().cx, expected.cx);
  EXPECT_DOUBLE_EQ(half.camera().cy, expected.cy);
  EXPECT_EQ(half.camera().width, 20);
  EXPECT_EQ(half.camera().height, 10);
  Frame frame;
  ASSERT_TRUE(half.read(frame));
  EXPECT_EQ(frame.image.sizes(), torch::IntArrayRef({1, 10, 20}));
  EXPECT_EQ(frame.right.sizes(), torch::IntArrayRef({1, 10, 20}));
  // Another aspect ratio, stretched: each axis by its own factor.
  StereoSequenceSource stretched({.path = dir, .width = 80, .height = 10, .fit = Fit::stretch});
  EXPECT_DOUBLE_EQ(stretched.camera().fx, native.camera().scaled(2).fx);
  EXPECT_DOUBLE_EQ(stretched.camera().cx, native.camera().scaled(2).cx);
  EXPECT_DOUBLE_EQ(stretched.camera().fy, native.camera().scaled(0.5).fy);
  EXPECT_DOUBLE_EQ(stretched.camera().cy, native.camera().scaled(0.5).cy);
  ASSERT_TRUE(stretched.read(frame));
  EXPECT_EQ(frame.image.sizes(), torch::IntArrayRef({1, 10, 80}));
}

// crop and pad move the principal point with the picture: the ray through a delivered pixel is
// the ray through the native pixel it shows (grey_frame's values say which one that is).
TEST(StereoSequenceSource, CropAndPadMoveThePrincipalPoint) {
  const std::string dir = make_sequence("stereo-fit", 1, 40, 20);
  StereoSequenceSource native({.path = dir});
  const StereoCamera n = native.camera();
  const auto native_pixel = [&](const StereoCamera& c, double u, double v) {
    return std::pair{std::lround((u - c.cx) / c.fx * n.fx + n.cx), std::lround((v - c.cy) / c.fy * n.fy + n.cy)};
  };
  Frame frame;
  // crop to 20×20: the middle columns 10…29, unscaled.
  StereoSequenceSource crop({.path = dir, .width = 20, .height = 20});
  EXPECT_DOUBLE_EQ(crop.camera().fx, n.fx);
  EXPECT_DOUBLE_EQ(crop.camera().cx, n.cx - 10);
  EXPECT_DOUBLE_EQ(crop.camera().cy, n.cy);
  ASSERT_TRUE(crop.read(frame));
  for (const auto& [u, v] : {std::pair{0, 0}, std::pair{19, 7}, std::pair{5, 19}}) {
    const auto [nu, nv] = native_pixel(crop.camera(), u, v);
    EXPECT_EQ(frame.image[0][v][u].item<int>(), nu + nv) << u << "," << v;
    EXPECT_EQ(frame.right[0][v][u].item<int>(), 100 + nu + nv) << u << "," << v;
  }
  // pad to 40×40: the picture unscaled between 10 black rows above and below.
  StereoSequenceSource pad({.path = dir, .width = 40, .height = 40, .fit = Fit::pad});
  EXPECT_DOUBLE_EQ(pad.camera().fx, n.fx);
  EXPECT_DOUBLE_EQ(pad.camera().cx, n.cx);
  EXPECT_DOUBLE_EQ(pad.camera().cy, n.cy + 10);
  EXPECT_EQ(pad.camera().height, 40);
  ASSERT_TRUE(pad.read(frame));
  EXPECT_TRUE(frame.image[0].narrow(0, 0, 10).eq(0).all().item<bool>());
  EXPECT_TRUE(frame.image[0].narrow(0, 30, 10).eq(0).all().item<bool>());
  for (const auto& [u, v] : {std::pair{0, 10}, std::pair{39, 29}, std::pair{17, 20}}) {
    const auto [nu, nv] = native_pixel(pad.camera(), u, v);
    EXPECT_EQ(frame.image[0][v][u].item<int>(), nu + nv) << u << "," << v;
  }
  // Halved and cropped to 10×10: the centre 20×20 at half scale, the ray rule with its half pixels.
  StereoSequenceSource small({.path = dir, .width = 10, .height = 10});
  EXPECT_DOUBLE_EQ(small.camera().fx, n.fx / 2);
  EXPECT_DOUBLE_EQ(small.camera().cx, (n.cx + 0.5 - 10) / 2 - 0.5);
  EXPECT_DOUBLE_EQ(small.camera().cy, (n.cy + 0.5) / 2 - 0.5);
}

// `--source DIR` picks the stereo source for a sequence folder, so Models A and B learn from its
// left images; one without its calib.txt is a broken sequence, and the error says so.
TEST(StereoSequenceSource, OpenSourcePicksItForASequenceFolder) {
  const std::string dir = make_sequence("stereo-open", 2);
  auto source = open_source({.path = dir});
  ASSERT_NE(dynamic_cast<StereoSequenceSource*>(source.get()), nullptr);
  const auto frames = test::read_frames(*source);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[1].right.defined());
  fs::remove(dir + "/calib.txt");
  expect_source_error({.path = dir}, "calib.txt", "cannot open", [](const SourceOptions& o) { open_source(o); });
}

TEST(StereoSequenceSource, PairsFramesByNameWithTheirTimes) {
  const std::string dir = make_sequence("stereo-times", 4);
  write_text(dir + "/times.txt", "0.000000e+00\n1.036100e-01\n2.072200e-01\n3.108300e-01\n");
  StereoSequenceSource source({.path = dir, .max_frames = 3});
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 3u);
  const std::int64_t times[] = {0, 103610, 207220};
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(frames[k].timestamp_us, times[k]);
    const cv::Mat left = grey_frame(8, 6, k, 0), right = grey_frame(8, 6, k, 1);
    EXPECT_TRUE(torch::equal(frames[k].image[0], torch::from_blob(left.data, {6, 8}, torch::kUInt8)));
    EXPECT_TRUE(torch::equal(frames[k].right[0], torch::from_blob(right.data, {6, 8}, torch::kUInt8)));
  }
  // Without times.txt: k / fps.
  fs::remove(dir + "/times.txt");
  StereoSequenceSource paced({.path = dir}, 25);
  const auto at_25 = test::read_frames(paced);
  ASSERT_EQ(at_25.size(), 4u);
  EXPECT_EQ(at_25[3].timestamp_us, 120000);
}

TEST(StereoSequenceSource, ColourPngsGiveYuv) {
  const std::string dir = make_sequence("stereo-colour", 1, 4, 2);
  cv::Mat colour(2, 4, CV_8UC3, cv::Scalar(255, 0, 0));  // BGR: pure blue
  cv::imwrite(dir + "/left/000000.png", colour);
  StereoSequenceSource source({.path = dir, .channels = 3});
  Frame frame;
  ASSERT_TRUE(source.read(frame));
  // BT.601: Y = 0.114·255 ≈ 29, U = 0.492·(255 − 29) + 128 ≈ 239, V = 0.877·(0 − 29) + 128 ≈ 102.
  EXPECT_NEAR(frame.image[0][0][0].item<int>(), 29, 1);
  EXPECT_NEAR(frame.image[1][0][0].item<int>(), 239, 1);
  EXPECT_NEAR(frame.image[2][0][0].item<int>(), 102, 1);
  StereoSequenceSource luma({.path = dir, .channels = 1});
  ASSERT_TRUE(luma.read(frame));
  EXPECT_EQ(frame.image.sizes(), torch::IntArrayRef({1, 2, 4}));
  EXPECT_NEAR(frame.image[0][0][0].item<int>(), 29, 1);
}

TEST(StereoSequenceSource, ReadsKittiNamedCalibrationLines) {
  // KITTI's odometry layout, shuffled: the lines are found by name, not position.
  const std::string calib =
      "P2: 7.0e+02 0 6.0e+02 4.5e+01 0 7.0e+02 1.8e+02 -3.4e-01 0 0 1 4.9e-03\n"
      "P1: 7.0e+02 0 6.0e+02 -3.5e+02 0 7.0e+02 1.8e+02 0 0 0 1 0\n"
      "P0: 7.0e+02 0 6.0e+02 0 0 7.1e+02 1.8e+02 0 0 0 1 0\n"
      "P3: 7.0e+02 0 6.0e+02 -3.3e+02 0 7.0e+02 1.8e+02 2.3e+00 0 0 1 3.7e-03\n"
      "Tr: 4.2e-04 -9.9e-01 -8.1e-03 -1.1e-02 7.2e-03 8.1e-03 -9.9e-01 -5.4e-02 9.9e-01 4.8e-04 7.2e-03 -2.9e-01\n";
  const std::string dir = make_sequence("stereo-named-calib", 1, 8, 6, calib);
  StereoSequenceSource source({.path = dir});
  EXPECT_DOUBLE_EQ(source.camera().fx, 700);
  EXPECT_DOUBLE_EQ(source.camera().fy, 710);
  EXPECT_DOUBLE_EQ(source.camera().cx, 600);
  EXPECT_DOUBLE_EQ(source.camera().cy, 180);
  EXPECT_DOUBLE_EQ(source.camera().baseline, 0.5);
}

TEST(StereoSequenceSource, NonPositiveBaselineIsTheConsumersCall) {
  const std::string dir = make_sequence("stereo-no-baseline", 1, 8, 6,
                                        "7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n");
  StereoSequenceSource source({.path = dir});
  EXPECT_EQ(source.camera().baseline, 0);
  Frame frame;
  EXPECT_TRUE(source.read(frame));
}

TEST(StereoSequenceSource, FoldersThatAreNoSequenceThrowNamingTheProblem) {
  const std::string missing = test::scratch_dir("stereo-missing") + "/nothing";
  expect_source_error({.path = missing}, missing, "no such folder");

  const std::string no_right = make_sequence("stereo-no-right", 2);
  fs::remove_all(no_right + "/right");
  expect_source_error({.path = no_right}, no_right + "/right", "no such folder");

  const std::string no_left = make_sequence("stereo-no-left", 2);
  fs::remove_all(no_left + "/left");
  expect_source_error({.path = no_left}, no_left + "/left", "no such folder");

  const std::string empty = make_sequence("stereo-empty", 0);
  write_text(empty + "/left/notes.txt", "not a frame");
  expect_source_error({.path = empty}, empty + "/left", "no PNG frames");

  const std::string extra = make_sequence("stereo-extra", 2);
  cv::imwrite(extra + "/right/000007.png", grey_frame(8, 6, 7, 1));
  expect_source_error({.path = extra}, extra + "/left", "no 000007.png to pair with right/000007.png");

  const std::string renamed = make_sequence("stereo-renamed", 2);
  fs::rename(renamed + "/right/000001.png", renamed + "/right/frame1.png");
  expect_source_error({.path = renamed}, renamed + "/right", "no 000001.png to pair with left/000001.png");

  const std::string undecodable = make_sequence("stereo-undecodable", 2);
  write_text(undecodable + "/left/000000.png", "not a png");
  cv::imwrite(undecodable + "/right/000001.png", grey_frame(9, 6, 1, 1));
  expect_source_error({.path = undecodable}, undecodable, "none of the 2 pairs decodes");
}

TEST(StereoSequenceSource, BadCalibrationThrowsNamingTheLine) {
  const std::string no_calib = make_sequence("stereo-no-calib", 1);
  fs::remove(no_calib + "/calib.txt");
  expect_source_error({.path = no_calib}, no_calib + "/calib.txt", "cannot open");

  const struct {
    const char* name;
    std::string calib;
    std::string names;
    std::string expected;
  } cases[] = {
      {"one-line", "7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n", "calib.txt", "expected two lines of 12 numbers"},
      {"eleven", "7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n7e2 0 6e2 -3e2 0 7e2 1.8e2 0 0 0 1\n", "calib.txt: line 2 (P1)",
       "expected 12 numbers (a 3x4 projection matrix), got 11"},
      {"thirteen", "7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0 5\n7e2 0 6e2 -3e2 0 7e2 1.8e2 0 0 0 1 0\n",
       "calib.txt: line 1 (P0)", "got 13"},
      {"word", "7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n7e2 0 6e2 abc 0 7e2 1.8e2 0 0 0 1 0\n", "line 2 (P1)",
       "'abc' is not a number"},
      {"half-number", "7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0x\n7e2 0 6e2 -3e2 0 7e2 1.8e2 0 0 0 1 0\n", "line 1 (P0)",
       "'0x' is not a number"},
      {"zero-fx", "0 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n7e2 0 6e2 -3e2 0 7e2 1.8e2 0 0 0 1 0\n", "calib.txt",
       "focal lengths must be positive"},
      {"negative-fx", "-7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\n7e2 0 6e2 -3e2 0 7e2 1.8e2 0 0 0 1 0\n", "calib.txt",
       "focal lengths must be positive"},
      {"named-without-p1", "P0: 7e2 0 6e2 0 0 7e2 1.8e2 0 0 0 1 0\nP2: 7e2 0 6e2 -3e2 0 7e2 1.8e2 0 0 0 1 0\n",
       "calib.txt", "no line P1:"},
      {"empty", "", "calib.txt", "0 line(s)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string dir = make_sequence(std::string("stereo-calib-") + c.name, 1, 8, 6, c.calib);
    expect_source_error({.path = dir}, c.names, c.expected);
  }

  const std::string short_times = make_sequence("stereo-short-times", 3);
  write_text(short_times + "/times.txt", "0\n0.1\n");
  expect_source_error({.path = short_times}, short_times + "/times.txt", "2 times for 3 frames");
}

// One bad file of a long sequence is skipped, named and counted; the pairs after it are delivered
// as a new clip, so no learner pairs frames across the hole.
TEST(StereoSequenceSource, ABadPairIsSkippedWithAWarningAndTheSequenceGoesOn) {
  const std::string dir = make_sequence("stereo-bad-pairs", 6);
  cv::imwrite(dir + "/right/000002.png", grey_frame(8, 7, 2, 1));  // another size
  write_text(dir + "/left/000003.png", "truncated");                // undecodable
  StereoSequenceSource source({.path = dir});
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 4u);
  const std::int64_t index[] = {0, 1, 4, 5}, clip_frame[] = {0, 1, 0, 1};
  const std::int32_t clip[] = {0, 0, 1, 1};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, index[i]);
    EXPECT_EQ(frames[i].clip_id, clip[i]);
    EXPECT_EQ(frames[i].clip_frame, clip_frame[i]);
    EXPECT_EQ(frames[i].timestamp_us, index[i] * 100000) << "pair k keeps its own time";
    EXPECT_TRUE(frames[i].image.equal(torch::from_blob(grey_frame(8, 6, static_cast<int>(index[i]), 0).data, {1, 6, 8}, torch::kUInt8)));
  }
  const auto warnings = source.take_warnings();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find(dir + "/right/000002.png: 8x7 (expected 8x6 as the first pair); pair 2 skipped (1 so far)"),
            std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find(dir + "/left/000003.png: cannot decode (expected a whole 8-bit PNG); pair 3 skipped (2 so far)"),
            std::string::npos) << warnings[1];
  Frame frame;
  EXPECT_FALSE(source.read(frame));

  // A bad first pair: the first good one sets the size and starts the stream.
  const std::string first = make_sequence("stereo-bad-first", 3);
  cv::imwrite(first + "/right/000000.png", grey_frame(9, 6, 0, 1));
  StereoSequenceSource from_second({.path = first});
  EXPECT_EQ(from_second.info().width, 8);
  const auto rest = test::read_frames(from_second);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].index, 1);
  EXPECT_EQ(rest[0].clip_id, 0);
  EXPECT_EQ(rest[0].clip_frame, 0);
  const auto first_warnings = from_second.take_warnings();
  ASSERT_EQ(first_warnings.size(), 1u);
  EXPECT_NE(first_warnings[0].find("left/000000.png is 8x6, right/000000.png is 9x6"), std::string::npos) << first_warnings[0];
}

}  // namespace
}  // namespace vidssl
