// `vidssl probe` as a user runs it before training on a folder of their own clips.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/apps/command_line.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

using test::vidssl;

std::vector<std::string> lines_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ProbeCli, OneJsonObjectPerClipWithTheSourceKeysOfARun) {
  const std::string dir = test::scratch_dir("probe-cli");
  const std::string make = "ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=64x48:rate=10 -frames:v 2 -c:v libx264 -pix_fmt yuv420p ";
  ASSERT_EQ(std::system((make + dir + "/a.mp4").c_str()), 0);
  ASSERT_EQ(std::system((make + dir + "/b.mp4").c_str()), 0);
  std::ofstream(dir + "/c.avi") << "broken";
  const auto r = test::run_command_line(vidssl() + " probe " + dir + " --set source.width=32 --set source.fit=pad --set source.fps=5");
  EXPECT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_NE(lines[0].find("\"path\": \"" + dir + "/a.mp4\", \"clip\": 0, \"kind\": \"file\", \"codec\": \"h264\""), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("\"native_width\": 64, \"native_height\": 48, \"rotation\": 0, \"mirrored\": false, "
                          "\"native_fps\": 10, \"average_fps\": 10, \"fps\": 5, \"width\": 32, \"height\": 24, \"fit\": \"pad\", \"frames\": 2}"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("\"error\": \"" + dir + "/c.avi: "), std::string::npos) << lines[2];
}

TEST(ProbeCli, BadKeysAndPathsAreOneLineErrors) {
  const auto bad_fit = test::run_command_line(vidssl() + " probe synthetic:sprites --set source.fit=squash");
  EXPECT_EQ(bad_fit.status, 2);
  EXPECT_EQ(bad_fit.err, "error: source.fit: expected one of crop, pad, stretch, got 'squash'\n");
  const auto other_key = test::run_command_line(vidssl() + " probe synthetic:sprites --set model.alpha=1");
  EXPECT_EQ(other_key.status, 2);
  EXPECT_EQ(other_key.err, "error: model.alpha: unknown key in --set\n");
  const auto missing = test::run_command_line(vidssl() + " probe /nonexistent/clip.mp4");
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err.rfind("error: /nonexistent/clip.mp4: cannot open: No such file or directory", 0), 0u) << missing.err;
  EXPECT_EQ(lines_of(missing.err).size(), 1u);
}

}  // namespace
}  // namespace vidssl
