#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "stages/ffmpeg_source.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

// Damaged input never throws mid-stream, never crashes or hangs: the frames before the damage
// come out, then a one-line warning names the file and says what was expected. An input that
// cannot start at all is a one-line SourceError.

namespace fs = std::filesystem;

namespace vidssl {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

// Top-level MP4 boxes: (offset, type). Enough of an atom walk to find the index (moov).
std::vector<std::pair<std::size_t, std::string>> top_level_boxes(const std::string& bytes) {
  std::vector<std::pair<std::size_t, std::string>> boxes;
  std::size_t at = 0;
  while (at + 8 <= bytes.size()) {
    const auto byte = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[at + i])); };
    std::uint64_t size = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
    boxes.emplace_back(at, bytes.substr(at + 4, 4));
    if (size == 1 && at + 16 <= bytes.size()) {
      size = 0;
      for (int i = 8; i < 16; ++i) size = size << 8 | byte(i);
    }
    if (size < 8) break;  // 0: to the end of the file
    at += size;
  }
  return boxes;
}

void expect_one_line_naming(const std::string& message, const std::string& path, const std::string& says) {
  EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(says), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

std::string source_error(const SourceOptions& options) {
  try {
    FfmpegSource source(options);
  } catch (const SourceError& e) {
    return e.what();
  }
  return {};
}

TEST(FfmpegDamagedInput, MissingFile) {
  const std::string path = test::scratch_dir("ffmpeg-missing") + "/gone.mp4";
  expect_one_line_naming(source_error({.path = path}), path,
                         "cannot open: No such file or directory (expected a video file FFmpeg can read)");
}

// The declared frame count tells a truncated file from a short one.
void expect_truncated_clip_warns(const std::string& name) {
  const std::string original = test::opencv_clip(name);
  if (original.empty()) GTEST_SKIP() << name << " missing";
  const std::int64_t declared = FfmpegSource({.path = original}).info().frame_count;
  ASSERT_GT(declared, 0);
  const std::string bytes = read_bytes(original);
  const std::string path = test::scratch_dir("ffmpeg-truncated") + "/half_" + name;
  write_bytes(path, bytes.substr(0, bytes.size() / 2));

  FfmpegSource source({.path = path, .width = 64, .height = 48});
  const auto frames = test::read_frames(source);
  EXPECT_GT(frames.size(), static_cast<std::size_t>(declared) / 4);
  EXPECT_LT(frames.size(), static_cast<std::size_t>(declared));
  const auto warnings = source.take_warnings();
  ASSERT_FALSE(warnings.empty());
  expect_one_line_naming(warnings.back(), path,
                         "stream ended after " + std::to_string(frames.size()) + " of " + std::to_string(declared) +
                             " frames (file truncated?)");
  std::printf("%s: %zu frames, then: %s\n", name.c_str(), frames.size(), warnings.back().c_str());
}

TEST(FfmpegDamagedInput, VtestTruncatedAtHalf) { expect_truncated_clip_warns("vtest.avi"); }

// An MP4 cut in half keeps its index only when moov comes before the media data (as in box.mp4,
// written for streaming); otherwise the cut removes it and the file cannot be opened at all.
TEST(FfmpegDamagedInput, BoxTruncatedAtHalf) {
  const std::string original = test::opencv_clip("box.mp4");
  if (original.empty()) GTEST_SKIP() << "box.mp4 missing";
  const std::string bytes = read_bytes(original);
  std::size_t moov = std::string::npos;
  for (const auto& [offset, type] : top_level_boxes(bytes))
    if (type == "moov") moov = offset;
  ASSERT_NE(moov, std::string::npos) << "box.mp4 has no moov box";
  if (moov < bytes.size() / 2) {
    std::printf("box.mp4: moov at byte %zu of %zu, before the cut: the index survives, frames then a warning\n", moov,
                bytes.size());
    expect_truncated_clip_warns("box.mp4");
  } else {
    std::printf("box.mp4: moov at byte %zu of %zu, after the cut: the index is lost, a SourceError\n", moov, bytes.size());
    const std::string path = test::scratch_dir("ffmpeg-truncated-mp4") + "/half_box.mp4";
    write_bytes(path, bytes.substr(0, bytes.size() / 2));
    expect_one_line_naming(source_error({.path = path}), path, "moov atom not found (an MP4 without its index?)");
  }
}

TEST(FfmpegDamagedInput, Mp4WithoutItsIndex) {
  const std::string original = test::opencv_clip("box.mp4");
  if (original.empty()) GTEST_SKIP() << "box.mp4 missing";
  // The moov box is cut out. (Renaming it to 'free' is not enough: FFmpeg finds a moov hidden
  // in a free box and reads the file as usual.)
  std::string bytes = read_bytes(original);
  const auto boxes = top_level_boxes(bytes);
  bool removed = false;
  for (std::size_t i = 0; i + 1 < boxes.size(); ++i)
    if (boxes[i].second == "moov") {
      bytes.erase(boxes[i].first, boxes[i + 1].first - boxes[i].first);
      removed = true;
    }
  ASSERT_TRUE(removed) << "no moov box followed by another box";
  const std::string path = test::scratch_dir("ffmpeg-no-moov") + "/no_index.mp4";
  write_bytes(path, bytes);
  expect_one_line_naming(source_error({.path = path}), path, "cannot open: moov atom not found (an MP4 without its index?)");
}

// Random bytes may be refused at open, or (if some demuxer claims them) yield no frame and a
// warning; either way the file is named and nothing crashes or spins.
TEST(FfmpegDamagedInput, RandomBytesWithVideoExtensions) {
  const std::string dir = test::scratch_dir("ffmpeg-random");
  unsigned seed = 1;
  for (const std::string extension : {".mp4", ".avi", ".mkv", ".webm", ".mpg", ".ts"}) {
    const std::string path = dir + "/noise" + extension;
    write_bytes(path, random_bytes(200000, seed++));
    SCOPED_TRACE(path);
    try {
      FfmpegSource source({.path = path});
      const auto frames = test::read_frames(source);
      const auto warnings = source.take_warnings();
      ASSERT_FALSE(warnings.empty()) << frames.size() << " frames from noise and no warning";
      expect_one_line_naming(warnings.back(), path, "");
      std::printf("%zu frames, then: %s\n", frames.size(), warnings.back().c_str());
    } catch (const SourceError& e) {
      const std::string message = e.what();
      std::printf("refused: %s\n", message.c_str());
      expect_one_line_naming(message, path, "cannot open: ");
      // What was expected: a readable file, or for .mp4 (whose reader looks for boxes) an index.
      EXPECT_TRUE(message.find("(expected a video file FFmpeg can read)") != std::string::npos ||
                  message.find("(an MP4 without its index?)") != std::string::npos)
          << message;
    }
  }
}

TEST(FfmpegDamagedInput, FolderGoesOnPastABadClip) {
  const std::string vtest = test::opencv_clip("vtest.avi"), box = test::opencv_clip("box.mp4");
  if (vtest.empty() || box.empty()) GTEST_SKIP() << "clips missing";
  const std::string dir = test::scratch_dir("ffmpeg-folder-bad");
  fs::create_symlink(box, dir + "/1_box.mp4");
  write_bytes(dir + "/2_bad.mp4", random_bytes(100000, 42));
  fs::create_symlink(vtest, dir + "/3_vtest.avi");
  const std::int64_t box_frames = 455, vtest_frames = 795;  // what FFmpeg decodes (see FfmpegSource tests)

  FfmpegSource source({.path = dir, .width = 32, .height = 24});
  std::vector<std::int64_t> per_clip(2, 0);
  Frame frame;
  while (source.read(frame)) {
    ASSERT_LT(frame.clip_id, 2);
    ++per_clip[frame.clip_id];
  }
  EXPECT_EQ(per_clip, (std::vector<std::int64_t>{box_frames, vtest_frames}));
  bool named_bad = false;
  for (const auto& warning : source.take_warnings()) {
    if (warning.rfind(dir + "/2_bad.mp4: ", 0) != 0) continue;
    named_bad = true;
    EXPECT_NE(warning.find("; skipped"), std::string::npos) << warning;
    EXPECT_EQ(warning.find('\n'), std::string::npos) << warning;
  }
  EXPECT_TRUE(named_bad);
}

TEST(FfmpegDamagedInput, FoldersWithNothingToPlay) {
  const std::string empty = test::scratch_dir("ffmpeg-folder-empty");
  std::ofstream(empty + "/readme.txt") << "no clips here";
  expect_one_line_naming(source_error({.path = empty}), empty, "no video files in the folder (expected files such as .mp4");

  const std::string bad = test::scratch_dir("ffmpeg-folder-all-bad");
  write_bytes(bad + "/a.mp4", random_bytes(1000, 1));
  write_bytes(bad + "/b.avi", "");
  expect_one_line_naming(source_error({.path = bad}), bad, "none of the 2 video files could be opened (last: ");
}

}  // namespace
}  // namespace vidssl
