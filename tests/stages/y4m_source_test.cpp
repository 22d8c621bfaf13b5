#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <ostream>
#include <string>
#include <thread>
#include <utility>

#include <torch/torch.h>

#include "stages/y4m_source.h"
#include "stages/y4m_writer.h"
#include "tests/stages/read_frames.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

torch::Tensor random_frames(int n, int channels, int height, int width, int seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {n, channels, height, width}, torch::kUInt8);
}

void expect_round_trip(int channels) {
  const std::string path = test::scratch_dir("y4m-round-trip") + "/clip.y4m";
  const torch::Tensor frames = random_frames(4, channels, 13, 17, channels);  // odd sizes on purpose
  Y4mWriter writer(path, {.fps_num = 30000, .fps_den = 1001});
  for (int k = 0; k < frames.size(0); ++k) writer.write(frames[k]);
  writer.close();

  Y4mSource source({.path = path, .channels = channels});
  EXPECT_EQ(source.info().width, 17);
  EXPECT_EQ(source.info().height, 13);
  EXPECT_EQ(source.info().channels, channels);
  EXPECT_NEAR(source.info().fps, 29.97, 0.01);
  const auto read = test::read_frames(source);
  ASSERT_EQ(read.size(), 4u);
  for (int k = 0; k < 4; ++k) {
    EXPECT_TRUE(torch::equal(read[k].image, frames[k])) << "frame " << k;
    EXPECT_EQ(read[k].index, k);
    EXPECT_EQ(read[k].clip_id, 0);
    EXPECT_EQ(read[k].clip_frame, k);
    EXPECT_EQ(read[k].timestamp_us, std::llround(k * 1001e6 / 30000));  // rounded to the µs
  }
  EXPECT_TRUE(source.take_warnings().empty());
}

TEST(Y4mSource, MonoRoundTripIsExact) { expect_round_trip(1); }
TEST(Y4mSource, Yuv444RoundTripIsExact) { expect_round_trip(3); }

// A 3×3 4:2:0 frame (chroma 2×2) written by hand: every 420 flavour reads the same way.
TEST(Y4mSource, Reads420ByChromaReplication) {
  const std::string dir = test::scratch_dir("y4m-420");
  const std::string y = "\x01\x02\x03\x04\x05\x06\x07\x08\x09", u = "\x10\x11\x12\x13", v = "\x20\x21\x22\x23";
  for (const std::string tag : {"420jpeg", "420paldv", "420mpeg2", "420", ""}) {
    SCOPED_TRACE(tag);
    const std::string path = dir + "/c" + tag + ".y4m";
    const std::string colour = tag.empty() ? "" : " C" + tag;  // no C: 420jpeg by default
    write_file(path, "YUV4MPEG2 W3 H3 F10:1 Ip A1:1" + colour + "\nFRAME\n" + y + u + v);

    Y4mSource yuv({.path = path, .channels = 3});
    Frame frame;
    ASSERT_TRUE(yuv.read(frame));
    const auto expected = torch::tensor({1, 2, 3, 4, 5, 6, 7, 8, 9,               //
                                         0x10, 0x10, 0x11, 0x10, 0x10, 0x11, 0x12, 0x12, 0x13,  //
                                         0x20, 0x20, 0x21, 0x20, 0x20, 0x21, 0x22, 0x22, 0x23},
                                        torch::kUInt8)
                              .view({3, 3, 3});
    EXPECT_TRUE(torch::equal(frame.image, expected)) << frame.image;
    EXPECT_FALSE(yuv.read(frame));

    Y4mSource luma({.path = path, .channels = 1});
    ASSERT_TRUE(luma.read(frame));
    EXPECT_TRUE(torch::equal(frame.image, expected.slice(0, 0, 1)));
  }
}

TEST(Y4mSource, MonoAsYuvHasNeutralChroma) {
  const std::string path = test::scratch_dir("y4m-mono-yuv") + "/grey.y4m";
  Y4mWriter writer(path);
  writer.write(torch::full({1, 4, 6}, 77, torch::kUInt8));
  writer.close();
  Y4mSource source({.path = path, .channels = 3});
  Frame frame;
  ASSERT_TRUE(source.read(frame));
  EXPECT_TRUE(torch::equal(frame.image[0], torch::full({4, 6}, 77, torch::kUInt8)));
  EXPECT_TRUE(torch::equal(frame.image.slice(0, 1, 3), torch::full({2, 4, 6}, 128, torch::kUInt8)));
}

TEST(Y4mSource, ResizesBilinearlyAndStopsAtMaxFrames) {
  const std::string path = test::scratch_dir("y4m-resize") + "/ramp.y4m";
  Y4mWriter writer(path);
  // A horizontal ramp stays a ramp under bilinear resizing; a constant stays constant.
  const auto ramp = torch::arange(0, 240, 30, torch::kInt64).to(torch::kUInt8).view({1, 1, 8}).expand({1, 6, 8}).contiguous();
  for (int k = 0; k < 5; ++k) writer.write(torch::cat({ramp, torch::full({2, 6, 8}, 50, torch::kUInt8)}));
  writer.close();

  Y4mSource source({.path = path, .width = 4, .height = 3, .channels = 3, .max_frames = 2});
  EXPECT_EQ(source.info().width, 4);
  EXPECT_EQ(source.info().height, 3);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].image.sizes(), (std::vector<std::int64_t>{3, 3, 4}));
  EXPECT_TRUE(torch::equal(frames[0].image.slice(0, 1, 3), torch::full({2, 3, 4}, 50, torch::kUInt8)));
  // Halving a linear ramp samples it between pairs of pixels: 15, 75, 135, 195.
  EXPECT_TRUE(torch::equal(frames[0].image[0][1], torch::tensor({15, 75, 135, 195}, torch::kUInt8))) << frames[0].image[0];

  Y4mSource aspect({.path = path, .width = 4});  // height follows the native aspect (8×6 → 4×3)
  EXPECT_EQ(aspect.info().height, 3);
}

// source.fit: crop keeps the middle, pad adds black bars (neutral chroma), both unscaled here.
TEST(Y4mSource, CropAndPadKeepThePicture) {
  const std::string path = test::scratch_dir("y4m-fit") + "/wide.y4m";
  const torch::Tensor frame = random_frames(1, 3, 4, 8, 3)[0];
  {
    Y4mWriter writer(path);
    writer.write(frame);
  }
  Y4mSource crop({.path = path, .width = 4, .height = 4, .channels = 3});
  const auto cropped = test::read_frames(crop);
  ASSERT_EQ(cropped.size(), 1u);
  EXPECT_TRUE(torch::equal(cropped[0].image, frame.narrow(2, 2, 4)));
  Y4mSource pad({.path = path, .width = 8, .height = 8, .channels = 3, .fit = Fit::pad});
  const auto padded = test::read_frames(pad);
  ASSERT_EQ(padded.size(), 1u);
  EXPECT_TRUE(torch::equal(padded[0].image.narrow(1, 2, 4), frame));
  for (const int row : {0, 1, 6, 7}) {
    EXPECT_TRUE(padded[0].image[0][row].eq(0).all().item<bool>()) << row;
    EXPECT_TRUE(padded[0].image.narrow(0, 1, 2).select(1, row).eq(128).all().item<bool>()) << row;
  }
}

TEST(Y4mSource, ShortLastFrameDeliversFullFramesThenWarns) {
  const std::string path = test::scratch_dir("y4m-short") + "/short.y4m";
  const std::string frame_bytes(4 * 2 + 2 * 2 * 1, '\x40');  // 4×2 4:2:0: 8 + 2 + 2 bytes
  write_file(path, "YUV4MPEG2 W4 H2 F25:1 C420\n" + ("FRAME\n" + frame_bytes) + ("FRAME\n" + frame_bytes) + "FRAME\n" +
                       frame_bytes.substr(0, 5));
  Y4mSource source({.path = path});
  EXPECT_EQ(test::read_frames(source).size(), 2u);
  const auto warnings = source.take_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("short.y4m"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("frame 2: got 5 of 12 bytes (file truncated?)"), std::string::npos) << warnings[0];
  EXPECT_EQ(warnings[0].find('\n'), std::string::npos);
  Frame frame;
  EXPECT_FALSE(source.read(frame));
  EXPECT_TRUE(source.take_warnings().empty()) << "the damage is reported once";
}

TEST(Y4mSource, GarbageFrameHeaderEndsTheStreamWithAWarning) {
  const std::string path = test::scratch_dir("y4m-garbage") + "/garbage.y4m";
  write_file(path, "YUV4MPEG2 W2 H2 Cmono\nFRAME\nabcdFRAMX\nabcd");
  Y4mSource source({.path = path});
  EXPECT_EQ(test::read_frames(source).size(), 1u);
  const auto warnings = source.take_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("garbage.y4m: stream ended after 1 frames: frame 1: expected a 'FRAME' header"),
            std::string::npos)
      << warnings[0];
}

// Streams written one after the other (`cat a.y4m b.y4m`): each is its own clip, read on its own
// header's terms (another size is fitted to the first).
TEST(Y4mSource, ConcatenatedStreamsAreClipsOneAfterTheOther) {
  const std::string dir = test::scratch_dir("y4m-concat");
  const torch::Tensor first = random_frames(3, 1, 8, 12, 1), second = random_frames(2, 1, 16, 24, 2);
  for (const auto& [name, frames] : {std::pair{"a.y4m", first}, std::pair{"b.y4m", second}}) {
    Y4mWriter writer(dir + "/" + name);
    for (int k = 0; k < frames.size(0); ++k) writer.write(frames[k]);
    writer.close();
  }
  {
    std::ofstream both(dir + "/both.y4m", std::ios::binary);
    both << std::ifstream(dir + "/a.y4m", std::ios::binary).rdbuf() << std::ifstream(dir + "/b.y4m", std::ios::binary).rdbuf();
  }
  Y4mSource source({.path = dir + "/both.y4m"});
  EXPECT_FALSE(source.info().live);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].index, i);
    EXPECT_EQ(frames[i].clip_id, i < 3 ? 0 : 1);
    EXPECT_EQ(frames[i].clip_frame, i < 3 ? i : i - 3);
    EXPECT_EQ(frames[i].image.sizes(), (std::vector<std::int64_t>{1, 8, 12}));
  }
  EXPECT_TRUE(torch::equal(frames[2].image, first[2]));
  EXPECT_EQ(frames[3].timestamp_us, 0) << "each clip's clock starts at 0";
  EXPECT_TRUE(source.take_warnings().empty());
}

// A FIFO is a live input: when its writer closes it, the source waits for the next writer and
// goes on with a new clip. The second writer opens once the source says it waits
// (reconnecting()), so the two writers never share the pipe.
TEST(Y4mSource, AFifoWhoseWriterRestartsGoesOnWithANewClip) {
  const std::string path = test::scratch_dir("y4m-fifo") + "/live.y4m";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  const torch::Tensor first = random_frames(3, 1, 8, 12, 3), second = random_frames(2, 1, 8, 12, 4);
  std::unique_ptr<Y4mSource> source;
  std::atomic<bool> opened{false};
  std::thread writer([&] {
    Y4mWriter one(path);  // waits for the source to open the FIFO
    for (int k = 0; k < 3; ++k) one.write(first[k]);
    one.close();
    while (!opened.load() || !source->reconnecting()) std::this_thread::yield();
    Y4mWriter two(path);
    for (int k = 0; k < 2; ++k) two.write(second[k]);
    two.close();
  });
  source = std::make_unique<Y4mSource>(SourceOptions{.path = path, .max_frames = 5});
  opened = true;
  EXPECT_TRUE(source->info().live);
  const auto frames = test::read_frames(*source);
  writer.join();
  ASSERT_EQ(frames.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(frames[i].index, i);
    EXPECT_EQ(frames[i].clip_id, i < 3 ? 0 : 1);
    EXPECT_TRUE(torch::equal(frames[i].image, i < 3 ? first[i] : second[i - 3])) << i;
  }
  EXPECT_FALSE(source->reconnecting());
  EXPECT_GT(source->reconnected_at_ns(), 0);
  const auto warnings = source->take_warnings();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], path + ": the writer closed the stream after 3 frames; waiting for the next one (a live input is reopened)");
  EXPECT_EQ(warnings[1].rfind(path + ": reopened after ", 0), 0u) << warnings[1];
}

// What `vidssl eval --source` asks of a pipe: read it once, its writer's close ends the stream.
TEST(Y4mSource, AFifoNotReopenedEndsWhenItsWriterCloses) {
  const std::string path = test::scratch_dir("y4m-fifo-once") + "/once.y4m";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  const torch::Tensor first = random_frames(3, 1, 8, 12, 5);
  std::thread writer([&] {
    Y4mWriter one(path);
    for (int k = 0; k < 3; ++k) one.write(first[k]);
    one.close();
  });
  Y4mSource source(SourceOptions{.path = path, .reopen_live = false});
  const auto frames = test::read_frames(source);
  writer.join();
  ASSERT_EQ(frames.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(frames[i].image, first[i])) << i;
  EXPECT_TRUE(source.take_warnings().empty());
}

TEST(Y4mSource, MissingFileIsASourceError) {
  const std::string path = test::scratch_dir("y4m-missing") + "/none.y4m";
  try {
    Y4mSource source({.path = path});
    FAIL() << "opened a missing file";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("none.y4m: cannot open"), std::string::npos) << e.what();
  }
}

struct BadHeader {
  const char* name;
  std::string bytes;
  const char* expected;  // part of the message
};

// Names the case in ctest's listing instead of dumping its bytes.
void PrintTo(const BadHeader& header, std::ostream* os) { *os << header.name; }

class Y4mBadHeader : public testing::TestWithParam<BadHeader> {};

TEST_P(Y4mBadHeader, IsAOneLineSourceErrorSayingWhatWasExpected) {
  const BadHeader& bad = GetParam();
  const std::string path = test::scratch_dir("y4m-bad") + "/" + bad.name + ".y4m";
  write_file(path, bad.bytes);
  try {
    Y4mSource source({.path = path});
    FAIL() << "accepted " << bad.bytes;
  } catch (const SourceError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path + ": bad Y4M header: ", 0), 0u) << message;
    EXPECT_NE(message.find(bad.expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, Y4mBadHeader,
    testing::Values(
        BadHeader{"wrong_magic", "YUV4MPEG W4 H4\nFRAME\n", "expected 'YUV4MPEG2' at the start of the file"},
        BadHeader{"png", "\x89PNG\r\n\x1a\n", "expected 'YUV4MPEG2' at the start of the file"},
        BadHeader{"empty", "", "expected 'YUV4MPEG2' at the start of the file"},
        BadHeader{"missing_w", "YUV4MPEG2 H4 F25:1\n", "expected W<width> (missing W)"},
        BadHeader{"missing_h", "YUV4MPEG2 W4 F25:1\n", "expected H<height> (missing H)"},
        BadHeader{"absurd_size", "YUV4MPEG2 W100000 H4\n", "expected W<width> with 1 <= width <= 16384"},
        BadHeader{"zero_height", "YUV4MPEG2 W4 H0\n", "expected H<height> with 1 <= height <= 16384"},
        BadHeader{"negative_width", "YUV4MPEG2 W-4 H4\n", "expected W<width>"},
        BadHeader{"overflowing_width", "YUV4MPEG2 W99999999999999999999 H4\n", "expected W<width>"},
        BadHeader{"unknown_colour", "YUV4MPEG2 W4 H4 C422\n", "unsupported colour space C'422' (expected mono, 420jpeg"},
        BadHeader{"bad_rate", "YUV4MPEG2 W4 H4 F25\n", "expected F<num>:<den>"},
        BadHeader{"half_rate", "YUV4MPEG2 W4 H4 F25:0\n", "expected F<num>:<den>"},
        BadHeader{"bad_interlace", "YUV4MPEG2 W4 H4 Ix\n", "expected I followed by one of p, t, b, m, ?"},
        BadHeader{"bad_aspect", "YUV4MPEG2 W4 H4 A1\n", "expected A<num>:<den>"},
        BadHeader{"unknown_field", "YUV4MPEG2 W4 H4 Z9\n", "unknown field 'Z9'"},
        BadHeader{"twice", "YUV4MPEG2 W4 H4 W8\n", "field W given twice"},
        BadHeader{"no_newline", "YUV4MPEG2 W4 H4", "expected a header line ending in a newline"},
        BadHeader{"endless_line", "YUV4MPEG2 W4 H4 X" + std::string(5000, 'x'), "header line longer than 4096 bytes"}),
    [](const testing::TestParamInfo<BadHeader>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vidssl
