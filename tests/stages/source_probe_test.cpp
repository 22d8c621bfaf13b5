#include "stages/source_probe.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "stages/stereo_sequence_source.h"
#include "tests/stages/ffmpeg_cli.h"
#include "tests/test_data.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// What ffprobe says of a clip's video stream, the reference for the probe's native fields.
struct Ffprobe {
  std::string codec;
  int width = 0, height = 0;
  std::string frames;    // nb_frames: "N/A" when the container does not say
  std::string rotation;  // the display matrix's counter-clockwise angle, empty without one
  double average_fps = 0;
};

Ffprobe ffprobe(const std::string& path) {
  const auto field = [&](const std::string& entries) {
    std::string value = test::command_output("ffprobe -v error -select_streams v:0 -show_entries " + entries +
                                             " -of default=noprint_wrappers=1:nokey=1 '" + path + "' 2>/dev/null");
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    return value;
  };
  Ffprobe p;
  p.codec = field("stream=codec_name");
  p.width = std::stoi(field("stream=width"));
  p.height = std::stoi(field("stream=height"));
  p.frames = field("stream=nb_frames");
  p.rotation = field("stream_side_data=rotation");
  const std::string average = field("stream=avg_frame_rate");  // "num/den"
  const auto slash = average.find('/');
  if (slash != std::string::npos && std::stod(average.substr(slash + 1)) > 0)
    p.average_fps = std::stod(average.substr(0, slash)) / std::stod(average.substr(slash + 1));
  return p;
}

// A folder as a user would check it: a WebM, a phone MP4 turned by its display matrix, a broken file.
TEST(SourceProbe, FolderOfClipsAgreesWithFfprobe) {
  const std::string dir = test::scratch_dir("probe-folder");
  const std::string folder = dir + "/clips";
  fs::create_directory(folder);
  ASSERT_NO_FATAL_FAILURE(test::make_clip(folder + "/a.webm", "-f lavfi -i testsrc=size=96x54:rate=25 -frames:v 5 "
                                                              "-c:v libvpx-vp9 -deadline realtime -cpu-used 8"));
  ASSERT_NO_FATAL_FAILURE(test::make_clip(dir + "/plain.mp4", "-f lavfi -i testsrc=size=80x48:rate=30 -frames:v 4 "
                                                              "-c:v libx264 -pix_fmt yuv420p"));
  ASSERT_NO_FATAL_FAILURE(test::make_clip(folder + "/b.mp4", "-i '" + dir + "/plain.mp4' -c copy -metadata:s:v:0 rotate=90"));
  std::ofstream(folder + "/c.mp4") << "not a video";

  const auto probes = probe_source({.path = folder, .width = 64, .fps = 10});
  ASSERT_EQ(probes.size(), 3u);
  for (int k = 0; k < 2; ++k) {
    const ClipProbe& p = probes[k];
    SCOPED_TRACE(p.path);
    const Ffprobe reference = ffprobe(p.path);
    EXPECT_TRUE(p.error.empty()) << p.error;
    EXPECT_EQ(p.clip_id, k);
    EXPECT_EQ(p.kind, "file");
    EXPECT_EQ(p.codec, reference.codec);
    EXPECT_EQ(p.native_width, reference.width);
    EXPECT_EQ(p.native_height, reference.height);
    EXPECT_EQ(p.frames, reference.frames == "N/A" ? -1 : std::stoll(reference.frames));
    // ffprobe's angle is counter-clockwise, the probe's clockwise.
    EXPECT_EQ(p.rotation, reference.rotation.empty() ? 0 : (360 - std::stoi(reference.rotation)) % 360);
    EXPECT_FALSE(p.mirrored);
    EXPECT_NEAR(p.average_fps, reference.average_fps, 1e-9);
    EXPECT_EQ(p.fps, 10);
    // The first clip (16:9) sets the size of all: 64 wide, 36 high.
    EXPECT_EQ(p.width, 64);
    EXPECT_EQ(p.height, 36);
    EXPECT_EQ(p.fit, Fit::crop);
    std::printf("%s\n", probe_json(p).c_str());
  }
  EXPECT_NEAR(probes[0].native_fps, 25, 1e-9);
  EXPECT_NEAR(probes[1].native_fps, 30, 1e-9);
  EXPECT_EQ(probes[1].rotation % 180, 90);
  EXPECT_EQ(probes[2].path, folder + "/c.mp4");
  EXPECT_EQ(probes[2].error.rfind(folder + "/c.mp4: cannot open", 0), 0u) << probes[2].error;
  EXPECT_EQ(probe_json(probes[2]).find("\"error\": \"" + folder + "/c.mp4: "), probe_json(probes[2]).find("\"error\""));
}

TEST(SourceProbe, JsonHasEveryField) {
  ClipProbe p;
  p.path = "a.mkv";
  p.clip_id = 0;
  p.kind = "file";
  p.codec = "av1";
  p.decoder = "libdav1d";
  p.native_width = 1920;
  p.native_height = 1080;
  p.rotation = 90;
  p.native_fps = 29.97;
  p.average_fps = 29.97;
  p.fps = 29.97;
  p.width = 160;
  p.height = 120;
  EXPECT_EQ(probe_json(p),
            "{\"path\": \"a.mkv\", \"clip\": 0, \"kind\": \"file\", \"codec\": \"av1\", \"decoder\": \"libdav1d\", "
            "\"native_width\": 1920, \"native_height\": 1080, \"rotation\": 90, \"mirrored\": false, \"native_fps\": 29.97, "
            "\"average_fps\": 29.97, \"fps\": 29.97, \"width\": 160, \"height\": 120, \"fit\": \"crop\", \"frames\": null}");
}

// A stereo folder: its calibration at the delivered size, as the stereo source hands it to Model C.
TEST(SourceProbe, StereoFolderGivesItsCalibration) {
  const fs::path dir = test::scratch_dir("probe-stereo");
  fs::create_directories(dir / "left");
  fs::create_directories(dir / "right");
  for (const char* name : {"000000.png", "000001.png"}) {
    cv::imwrite((dir / "left" / name).string(), cv::Mat(20, 40, CV_8UC1, cv::Scalar(90)));
    cv::imwrite((dir / "right" / name).string(), cv::Mat(20, 40, CV_8UC1, cv::Scalar(80)));
  }
  // fx 40, cx 20, cy 10; P1[3] = −fx·B with B = 0.5 m.
  std::ofstream(dir / "calib.txt") << "40 0 20 0 0 40 10 0 0 0 1 0\n40 0 20 -20 0 40 10 0 0 0 1 0\n";
  const auto probes = probe_source({.path = dir.string(), .width = 20});
  ASSERT_EQ(probes.size(), 1u);
  const ClipProbe& p = probes[0];
  EXPECT_EQ(p.kind, "stereo");
  EXPECT_EQ(p.native_width, 40);
  EXPECT_EQ(p.native_height, 20);
  EXPECT_EQ(p.width, 20);
  EXPECT_EQ(p.height, 10);
  EXPECT_EQ(p.frames, 2);
  ASSERT_TRUE(p.calibration.has_value());
  EXPECT_DOUBLE_EQ(p.calibration->fx, 20);
  EXPECT_DOUBLE_EQ(p.calibration->cx, (20 + 0.5) / 2 - 0.5);
  EXPECT_DOUBLE_EQ(p.calibration->baseline, 0.5);
  EXPECT_EQ(p.calibration->width, 20);
  EXPECT_NE(probe_json(p).find("\"calibration\": {\"fx\": 20, "), std::string::npos) << probe_json(p);
}

TEST(SourceProbe, OtherSourcesAndErrors) {
  const auto live = probe_source({.path = "lavfi:testsrc=size=32x24:rate=15"});
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].kind, "live");
  EXPECT_EQ(live[0].native_fps, 15);
  const auto synthetic = probe_source({.path = "synthetic:sprites", .width = 32, .height = 32});
  ASSERT_EQ(synthetic.size(), 1u);
  EXPECT_EQ(synthetic[0].kind, "synthetic");
  EXPECT_EQ(synthetic[0].width, 32);
  EXPECT_THROW(probe_source({.path = test::scratch_dir("probe-missing") + "/none.mp4"}), SourceError);
  EXPECT_THROW(probe_source({.path = test::scratch_dir("probe-empty")}), SourceError);
}

}  // namespace
}  // namespace vidssl
