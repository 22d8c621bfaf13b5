#include "stages/decoder_threads.h"

#include <gtest/gtest.h>

namespace vidssl {
namespace {

TEST(DecoderThreads, OnePerStartedHalfMegapixelWithinTheSpareCores) {
  EXPECT_EQ(auto_decoder_threads(160, 120, 8), 1);
  EXPECT_EQ(auto_decoder_threads(640, 480, 8), 1);   // 0.31 MP
  EXPECT_EQ(auto_decoder_threads(854, 480, 8), 1);   // 0.41 MP
  EXPECT_EQ(auto_decoder_threads(1280, 720, 8), 2);  // 0.92 MP
  EXPECT_EQ(auto_decoder_threads(1920, 1080, 8), 5); // 2.07 MP
  EXPECT_EQ(auto_decoder_threads(1080, 1920, 8), 5); // portrait: the same pixels
  EXPECT_EQ(auto_decoder_threads(3840, 2160, 64), 16);
  EXPECT_EQ(auto_decoder_threads(1920, 1080, 3), 3);
  EXPECT_EQ(auto_decoder_threads(1920, 1080, 0), 1) << "never fewer than one";
  EXPECT_EQ(auto_decoder_threads(0, 0, 8), 1) << "a size not known yet";
}

TEST(DecoderThreads, TrainingOnTheCpuKeepsItsCores) {
  EXPECT_EQ(spare_cores(2, 1, 0, false), 0) << "run.threads 0: the learner takes every core";
  EXPECT_EQ(spare_cores(16, 3, 0, false), 0);
  EXPECT_EQ(spare_cores(16, 3, 2, false), 9) << "16 less 3×2 for training, less 1 for the main thread";
  EXPECT_EQ(spare_cores(16, 3, 0, true), 12) << "on a GPU a learner keeps one launching thread";
  EXPECT_EQ(spare_cores(2, 3, 0, true), 0);
  EXPECT_EQ(spare_cores(0, 1, 1, false), 0) << "an unknown core count is one core";
}

}  // namespace
}  // namespace vidssl
