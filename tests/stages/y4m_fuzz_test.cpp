#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "stages/y4m_reader.h"
#include "stages/y4m_source.h"
#include "tests/test_data.h"

// Deterministic mutation fuzzing of the Y4M parser: thousands of damaged variants of valid files,
// each must either parse or be refused with a message, never crash, hang or allocate beyond what
// it read. (scripts/fuzz_y4m.sh runs the same parser under libFuzzer where clang is installed.)

namespace vidssl {
namespace {

std::string valid_file(const std::string& header, std::size_t frame_bytes, int frames) {
  std::string bytes = header;
  for (int k = 0; k < frames; ++k) {
    bytes += "FRAME\n";
    for (std::size_t i = 0; i < frame_bytes; ++i) bytes += static_cast<char>((i * 7 + k) & 0xff);
  }
  return bytes;
}

const std::string kTokens[] = {"W",  "H",   "F",   "I",   "A",   "C",   "X",   " ",        "\n",       ":",
                               "0",  "-1",  "16384", "16385", "99999999999", "mono", "444", "420paldv", "FRAME", "YUV4MPEG2"};

std::string mutate(std::string bytes, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = bytes.empty() ? 0 : rng() % bytes.size();
    switch (rng() % 6) {
      case 0:  // flip a byte
        if (!bytes.empty()) bytes[at] = static_cast<char>(rng());
        break;
      case 1:  // insert a header-ish token
        bytes.insert(at, kTokens[rng() % std::size(kTokens)]);
        break;
      case 2:  // delete a run
        bytes.erase(at, 1 + rng() % 16);
        break;
      case 3:  // truncate
        bytes.resize(at);
        break;
      case 4:  // duplicate a run
        bytes.insert(at, bytes.substr(at, 1 + rng() % 32));
        break;
      default:  // mutate inside the header, where the parser has the most to get wrong
        if (const std::size_t newline = bytes.find('\n'); newline != std::string::npos && newline > 0)
          bytes[rng() % newline] = "WHFIACX0123456789: :-"[rng() % 21];
        break;
    }
  }
  return bytes;
}

TEST(Y4mFuzz, MutatedStreamsParseOrGiveAMessage) {
  const std::string seeds[] = {
      valid_file("YUV4MPEG2 W8 H6 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n", 8 * 6 + 2 * 4 * 3, 3),
      valid_file("YUV4MPEG2 W5 H3 F25:1 Cmono\n", 15, 3),
      valid_file("YUV4MPEG2 W4 H4 F10:1 C444\n", 48, 2),
      valid_file("YUV4MPEG2 W7 H5 C420mpeg2\n", 35 + 2 * 4 * 3, 2),
  };
  std::mt19937 rng(20240611);
  int parsed = 0, refused = 0, damaged = 0;
  for (int i = 0; i < 6000; ++i) {
    const std::string input = mutate(seeds[i % std::size(seeds)], rng);
    std::istringstream in(input);
    try {
      Y4mReader reader(in);
      ++parsed;
      while (reader.read_frame()) {
        ASSERT_EQ(reader.planes().size(), reader.header().frame_bytes());
      }
      if (!reader.damage().empty()) ++damaged;
      // Memory follows the bytes read, never the header's claim.
      // (The reader asks for 64 KiB, then doubles; std::vector may double again.)
      EXPECT_LE(reader.planes().capacity(), 4 * input.size() + (std::size_t{1} << 17)) << "case " << i;
    } catch (const std::invalid_argument& e) {
      ++refused;
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("bad Y4M header: ", 0), 0u) << "case " << i << ": " << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << "case " << i;
    }
  }
  // The mutations must exercise all three outcomes, or the test proves little.
  EXPECT_GT(parsed, 500);
  EXPECT_GT(refused, 500);
  EXPECT_GT(damaged, 200);
}

// The same through Y4mSource and real files (fewer cases: files cost more), with YUV output and
// resizing, so the tensor side also meets every header that passes.
TEST(Y4mFuzz, MutatedFilesThroughTheSource) {
  const std::string dir = test::scratch_dir("y4m-fuzz");
  const std::string seed = valid_file("YUV4MPEG2 W8 H6 F30:1 Ip A1:1 C420jpeg\n", 8 * 6 + 2 * 4 * 3, 3);
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string path = dir + "/case" + std::to_string(i % 8) + ".y4m";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutate(seed, rng);
    try {
      Y4mSource source({.path = path, .width = 5, .height = 3, .channels = 3});
      Frame frame;
      while (source.read(frame)) ASSERT_EQ(frame.image.sizes(), (std::vector<std::int64_t>{3, 3, 5}));
      for (const auto& warning : source.take_warnings()) EXPECT_EQ(warning.rfind(path + ": ", 0), 0u) << warning;
    } catch (const SourceError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace vidssl
