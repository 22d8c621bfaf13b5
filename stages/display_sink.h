#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "models/training/learner.h"
#include "stages/video_file_writer.h"

namespace vidssl {

// One learner's part of the window: its name and how its panels sit.
struct DisplaySection {
  std::string name;
  PanelLayout layout;
};

// Where the live pictures go: a window, a video file, numbered PNGs, or nowhere.
struct DisplayOptions {
  enum class Mode { window, video, png, none };
  Mode mode = Mode::none;
  std::string path;                       // video file or PNG folder
  std::vector<DisplaySection> sections;   // top to bottom, one per learner
  double video_fps = 10;
};

// Parses run.display: "window", "none", "video:FILE" or "png:DIR". A window asked for where no
// display exists (no DISPLAY or WAYLAND_DISPLAY: OpenCV would abort the process) becomes
// video:<fallback_video>, and `note` says so.
DisplayOptions parse_display(const std::string& spec, const std::string& fallback_video, std::string* note);

// Shows what the learners are learning, on the main thread (OpenCV windows must live there): one
// canvas with a section per learner, each its newest panels (scaled into cells, titled) and its
// status line (steps/s, loss, drops). One learner's panels sit in rows of its layout's columns on a
// 960-pixel canvas; several learners' each take one row of a 1600-pixel canvas, so three fit on a
// screen. The canvas size never changes, so a video of a run is one clean stream.
//
//   DisplaySink display(parse_display("window", run + "/display.avi", &note));   // with .sections set
//   display.update(0, report.panels, "slow | step 120 | 24.8 steps/s | loss 0.213");
//   display.show();
//   if (display.quit_requested()) pipeline.request_stop();
class DisplaySink {
 public:
  explicit DisplaySink(DisplayOptions options);
  ~DisplaySink();
  DisplaySink(const DisplaySink&) = delete;
  DisplaySink& operator=(const DisplaySink&) = delete;

  // A section's newest panels (kept from the last call when empty) and status line.
  void update(std::size_t section, const std::vector<Panel>& panels, const std::string& status);
  // Draws the canvas and shows it, writes it to the video, or writes the next PNG. A failed write
  // throws std::runtime_error naming the file.
  void show();
  // Finishes the video (its index); throws as show() does when the write fails. Idempotent.
  void close();
  // Window mode: q or Esc was pressed, or the window was closed.
  bool quit_requested();
  // The canvas as last drawn (BGR).
  const cv::Mat& canvas() const { return canvas_; }
  const DisplayOptions& options() const { return options_; }
  std::int64_t frames_written() const { return frames_written_; }

 private:
  struct Cells {
    int top = 0, columns = 1, rows = 1, width = 1, height = 1;  // a section's place and its cells
  };
  void draw();

  DisplayOptions options_;
  std::vector<Cells> cells_;
  std::vector<std::vector<Panel>> panels_;
  std::vector<std::string> status_;
  cv::Mat canvas_;
  std::unique_ptr<VideoFileWriter> video_;
  std::int64_t frames_written_ = 0;
  bool window_open_ = false;
  bool quit_ = false;
};

// A panel as an 8-bit grey or BGR picture at its own size: min-max stretched, or symmetric around
// 0 (mid-grey), or its bytes as they are.
cv::Mat panel_to_mat(const Panel& panel);

}  // namespace vidssl
