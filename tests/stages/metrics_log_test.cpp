#include "stages/metrics_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace vidssl {
namespace {

// /dev/full takes the open and refuses every write with ENOSPC, as a full disk does.
TEST(MetricsLog, ALineThatCannotBeWrittenThrowsNamingTheFile) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  MetricsLog log("/dev/full");
  try {
    log.write("{\"step\": 1}");
    FAIL() << "the write was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/full: cannot write a line (No space left on device)");
  }
}

}  // namespace
}  // namespace vidssl
