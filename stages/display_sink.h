#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "models/training/online_learner.h"

namespace vidssl {

// Where the live pictures go: a window, a video file, numbered PNGs, or nowhere.
struct DisplayOptions {
  enum class Mode { window, video, png, none };
  Mode mode = Mode::none;
  std::string path;  // video file or PNG folder
  int cell_width = 320;
  int cell_height = 240;
  int columns = 3;
  int rows = 2;  // fixed for the run: a video needs one frame size
  double video_fps = 10;
};

// Parses run.display: "window", "none", "video:FILE" or "png:DIR". A window asked for where no
// display exists (no DISPLAY or WAYLAND_DISPLAY: OpenCV would abort the process) becomes
// video:<fallback_video>, and `note` says so.
DisplayOptions parse_display(const std::string& spec, const std::string& fallback_video, std::string* note);

// Shows what a model is learning, on the main thread (OpenCV windows must live there): the
// panels of the newest train report tiled on a fixed canvas, each scaled to a cell with its title,
// and a status line (step, steps/s, loss, frame) underneath. The canvas size never changes, so a
// video of a run is one clean stream.
//
//   DisplaySink display(parse_display("window", run + "/display.avi", &note));
//   display.show(panels, "step 120 | 24.8 steps/s | loss 0.213");
//   if (display.quit_requested()) pipeline.request_stop();
class DisplaySink {
 public:
  explicit DisplaySink(DisplayOptions options);
  ~DisplaySink();
  DisplaySink(const DisplaySink&) = delete;
  DisplaySink& operator=(const DisplaySink&) = delete;

  // Draws panels (kept from the last call when empty) and the status line.
  void show(const std::vector<Panel>& panels, const std::string& status);
  // Window mode: q or Esc was pressed, or the window was closed.
  bool quit_requested();
  // The canvas as last drawn (BGR).
  const cv::Mat& canvas() const { return canvas_; }
  const DisplayOptions& options() const { return options_; }
  std::int64_t frames_written() const { return frames_written_; }

 private:
  void draw(const std::string& status);

  DisplayOptions options_;
  std::vector<Panel> panels_;
  cv::Mat canvas_;
  cv::VideoWriter video_;
  std::int64_t frames_written_ = 0;
  bool window_open_ = false;
  bool quit_ = false;
};

// A panel as an 8-bit grey or BGR picture: min-max stretched, or symmetric around 0 (mid-grey).
cv::Mat panel_to_mat(const Panel& panel);

}  // namespace vidssl
