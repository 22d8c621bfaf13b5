#include "stages/display_sink.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include <opencv2/videoio.hpp>

#include "tests/test_data.h"

namespace vidssl {
namespace {

bool background(const cv::Vec3b& p) { return p == cv::Vec3b(32, 32, 32); }

// Several learners share one canvas: a section each, top to bottom, each one row of its panels on a
// 1600-pixel canvas, and each section shows its own panels and status line.
TEST(DisplaySink, EachLearnerHasItsOwnSectionOfOneCanvas) {
  const std::string dir = test::scratch_dir("display-sections");
  DisplayOptions o;
  o.mode = DisplayOptions::Mode::png;
  o.path = dir;
  o.sections = {{"slow", {5, 3, 0.75}}, {"neartofar", {4, 2, 0.25}}};
  DisplaySink display(o);
  // slow: 5 cells of 320×240 + a 20-row title; neartofar: 4 cells of 400×100 + title; a status line each.
  EXPECT_EQ(display.canvas().cols, 1600);
  EXPECT_EQ(display.canvas().rows, (240 + 20 + 28) + (100 + 20 + 28));
  display.update(1, {Panel("white", torch::full({10, 40}, 255.0f), Panel::Scale::bytes)}, "neartofar | frame 3");
  display.show();
  EXPECT_EQ(display.frames_written(), 1);
  EXPECT_TRUE(std::filesystem::exists(dir + "/frame_000000.png"));
  const cv::Mat& canvas = display.canvas();
  EXPECT_EQ(canvas.at<cv::Vec3b>(288 + 20 + 50, 200), cv::Vec3b(255, 255, 255)) << "the middle of neartofar's first cell";
  EXPECT_TRUE(background(canvas.at<cv::Vec3b>(20 + 120, 160))) << "slow has posted nothing yet";
  // Panels given once stay until new ones come; an update without panels changes the status only.
  display.update(1, {}, "neartofar | frame 4");
  display.show();
  EXPECT_EQ(display.canvas().at<cv::Vec3b>(288 + 20 + 50, 200), cv::Vec3b(255, 255, 255));
}

TEST(DisplaySink, AVideoIsAnAviOrAnMp4) {
  EXPECT_EQ(parse_display("video:run/live.mp4", "", nullptr).path, "run/live.mp4");
  try {
    parse_display("video:run/live.mkv", "", nullptr);
    FAIL() << "a .mkv was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "--display: video:FILE must end in .avi (MJPEG) or .mp4 (MPEG-4), got 'run/live.mkv'");
  }
}

// The live view as a video: one frame per show(), read back by FFmpeg after close().
TEST(DisplaySink, AVideoHoldsAFramePerShow) {
  const std::string path = test::scratch_dir("display-video") + "/live.mp4";
  DisplaySink display(parse_display("video:" + path, "", nullptr));
  for (int i = 0; i < 3; ++i) {
    display.update(0, {Panel("grey", torch::full({10, 40}, 40.0f * i), Panel::Scale::bytes)}, "frame " + std::to_string(i));
    display.show();
  }
  display.close();
  cv::VideoCapture capture(path, cv::CAP_FFMPEG);
  int frames = 0;
  for (cv::Mat frame; capture.read(frame);) ++frames;
  EXPECT_EQ(frames, 3);
}

TEST(DisplaySink, OneLearnerKeepsItsRowsOfColumns) {
  DisplayOptions o;
  o.sections = {{"linearize", {7, 3, 0.75}}};
  DisplaySink display(o);
  EXPECT_EQ(display.canvas().cols, 960);
  EXPECT_EQ(display.canvas().rows, 3 * (240 + 20) + 28);
  EXPECT_THROW(display.update(1, {}, ""), std::out_of_range);
}

}  // namespace
}  // namespace vidssl
