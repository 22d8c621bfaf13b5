#include "stages/video_file_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "stages/image_file.h"
#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// Frame k: a horizontal ramp shifted by 8k pixels, blue and red swapped halves, a white square.
cv::Mat test_frame(int k, cv::Size size) {
  cv::Mat frame(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const auto v = static_cast<unsigned char>((x * 4 + 8 * k) % 256);
      frame.at<cv::Vec3b>(y, x) = y < size.height / 2 ? cv::Vec3b(v, 60, 200) : cv::Vec3b(200, 60, v);
    }
  cv::rectangle(frame, {10 + k, 10, 12, 12}, {255, 255, 255}, cv::FILLED);
  return frame;
}

// Both containers, read back by FFmpeg through OpenCV: every frame is there, in order, and close to
// what was written (a lossy codec at a fine quantizer).
TEST(VideoFileWriter, WritesFramesAnotherReaderDecodesInOrder) {
  const std::string dir = test::scratch_dir("video-writer");
  for (const char* name : {"a.avi", "b.mp4"}) {
    const std::string path = dir + "/" + name;
    const cv::Size size(97, 64);  // an odd width: the file's is 96
    VideoFileWriter video(path, 12.5, size);
    for (int k = 0; k < 6; ++k) video.write(test_frame(k, size));
    video.close();
    EXPECT_EQ(video.frames(), 6);

    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    ASSERT_TRUE(capture.isOpened()) << path;
    EXPECT_NEAR(capture.get(cv::CAP_PROP_FPS), 12.5, 0.01) << path;
    int k = 0;
    for (cv::Mat read; capture.read(read); ++k) {
      ASSERT_EQ(read.size(), cv::Size(96, 64)) << path;
      const cv::Mat written = test_frame(k, size)(cv::Rect(0, 0, 96, 64));
      EXPECT_LT(cv::norm(read, written, cv::NORM_L1) / read.total() / 3, 6.0) << path << " frame " << k;
      // The next frame's picture is much further: the order is right.
      if (k + 1 < 6) {
        EXPECT_GT(cv::norm(read, test_frame(k + 1, size)(cv::Rect(0, 0, 96, 64)), cv::NORM_L1) / read.total() / 3, 6.0);
      }
    }
    EXPECT_EQ(k, 6) << path;
  }
}

TEST(VideoFileWriter, AFrameOfAnotherSizeIsScaledToTheFirst) {
  const std::string path = test::scratch_dir("video-writer") + "/scaled.avi";
  VideoFileWriter video(path, 10, {64, 48});
  video.write(cv::Mat(96, 128, CV_8UC3, cv::Scalar(30, 90, 150)));
  video.close();
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  cv::Mat read;
  ASSERT_TRUE(capture.read(read));
  EXPECT_EQ(read.size(), cv::Size(64, 48));
  EXPECT_NEAR(cv::mean(read)[2], 150, 4);
}

TEST(VideoFileWriter, AnotherExtensionIsRefusedNamingThePath) {
  try {
    VideoFileWriter video("/tmp/x.mkv", 10, {64, 48});
    FAIL() << "a .mkv was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "/tmp/x.mkv: expected a video path ending in .avi or .mp4");
  }
}

// A full disk: /dev/full takes the open and refuses every write with ENOSPC.
TEST(VideoFileWriter, AFullDiskIsOneLineNamingTheFile) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  const std::string path = test::scratch_dir("video-writer") + "/full.avi";
  fs::create_symlink("/dev/full", path);
  try {
    VideoFileWriter video(path, 10, {64, 48});
    FAIL() << "the header was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot write the video header (No space left on device)");
  }
}

// A disk that fills during the run (a file-size limit, SIGXFSZ ignored): the frame that does not fit
// throws naming the file; what was written before it stays readable.
TEST(VideoFileWriter, AFrameThatDoesNotFitThrowsAtThatFrame) {
  const std::string path = test::scratch_dir("video-writer") + "/limited.avi";
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 40 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string error;
  std::int64_t written = 0;
  {
    VideoFileWriter video(path, 10, {160, 120});
    cv::Mat noise(120, 160, CV_8UC3);
    try {
      for (int k = 0; k < 100; ++k) {
        cv::randu(noise, 0, 256);  // incompressible: each frame takes ~10 kB or more
        video.write(noise);
        written = video.frames();
      }
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(error, path + ": cannot write a video frame (File too large)");
  EXPECT_GT(written, 0);
  EXPECT_LT(written, 100);
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  int read = 0;
  for (cv::Mat frame; capture.read(frame);) ++read;
  EXPECT_GE(read, 1) << "the frames before the failure are readable";
}

TEST(ImageFile, AFullDiskIsOneLineNamingTheFile) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  const std::string path = test::scratch_dir("image-file") + "/full.png";
  fs::create_symlink("/dev/full", path);
  try {
    write_image(path, cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)));
    FAIL() << "the write was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot write (No space left on device)");
  }
}

}  // namespace
}  // namespace vidssl
