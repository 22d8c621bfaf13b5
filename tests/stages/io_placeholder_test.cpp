#include <gtest/gtest.h>

#include <opencv2/core.hpp>

// Checks that the I/O test binary links OpenCV; replaced by the real I/O tests.
TEST(StagesIo, OpencvLinks) { EXPECT_EQ(cv::Mat(2, 3, CV_8U).cols, 3); }
