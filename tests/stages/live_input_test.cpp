#include "stages/live_input.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "tests/test_data.h"

namespace vidssl {
namespace {

TEST(LiveInput, TheWaitDoublesFromAQuarterSecondUpToEight) {
  const double expected[] = {0.25, 0.5, 1, 2, 4, 8, 8, 8};
  for (int attempt = 1; attempt <= 8; ++attempt) EXPECT_DOUBLE_EQ(reconnect_wait_s(attempt), expected[attempt - 1]) << attempt;
  EXPECT_DOUBLE_EQ(reconnect_wait_s(1000), 8);
}

TEST(LiveInput, AFifoOrADeviceIsLiveAFileIsNot) {
  const std::string dir = test::scratch_dir("live-input");
  ASSERT_EQ(mkfifo((dir + "/pipe").c_str(), 0600), 0);
  std::ofstream(dir + "/clip.y4m") << "YUV4MPEG2";
  EXPECT_TRUE(is_live_input(dir + "/pipe"));
  EXPECT_TRUE(is_live_input("/dev/null"));  // a character device
  EXPECT_FALSE(is_live_input(dir + "/clip.y4m"));
  EXPECT_FALSE(is_live_input(dir));
  EXPECT_FALSE(is_live_input(dir + "/missing"));
}

}  // namespace
}  // namespace vidssl
