#include "stages/display_sink.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "stages/image_file.h"

namespace vidssl {
namespace {

constexpr const char* kWindow = "vidssl";
constexpr int kTitleHeight = 20;
constexpr int kStatusHeight = 28;

bool display_available() {
  const char* x = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (wayland && *wayland);
}

}  // namespace

DisplayOptions parse_display(const std::string& spec, const std::string& fallback_video, std::string* note) {
  DisplayOptions o;
  if (spec == "none") {
    o.mode = DisplayOptions::Mode::none;
  } else if (spec == "window") {
    if (display_available()) {
      o.mode = DisplayOptions::Mode::window;
    } else {
      o.mode = DisplayOptions::Mode::video;
      o.path = fallback_video;
      if (note) *note = "no display found (DISPLAY is not set): writing the live view to " + fallback_video;
    }
  } else if (spec.rfind("video:", 0) == 0 && spec.size() > 6) {
    o.mode = DisplayOptions::Mode::video;
    o.path = spec.substr(6);
    const std::string extension = std::filesystem::path(o.path).extension().string();
    if (extension != ".avi" && extension != ".mp4")
      throw std::invalid_argument("--display: video:FILE must end in .avi (MJPEG) or .mp4 (MPEG-4), got '" + o.path + "'");
  } else if (spec.rfind("png:", 0) == 0 && spec.size() > 4) {
    o.mode = DisplayOptions::Mode::png;
    o.path = spec.substr(4);
  } else {
    throw std::invalid_argument("--display: expected window, none, video:FILE or png:DIR, got '" + spec + "'");
  }
  return o;
}

cv::Mat panel_to_mat(const Panel& panel) {
  auto image = panel.image.detach().to(torch::kCPU, torch::kFloat).contiguous();
  if (image.dim() == 3 && image.size(0) == 1) image = image[0];
  if (image.dim() == 3) image = image.permute({1, 2, 0}).contiguous();  // C×H×W -> H×W×C
  torch::Tensor scaled;
  if (panel.scale == Panel::Scale::symmetric) {
    const float m = std::max(image.abs().max().item<float>(), 1e-12f);
    scaled = (image / (2 * m) + 0.5f) * 255.0f;
  } else if (panel.scale == Panel::Scale::bytes) {
    scaled = image;
  } else {
    const float lo = image.min().item<float>(), hi = image.max().item<float>();
    scaled = (image - lo) / std::max(hi - lo, 1e-12f) * 255.0f;
  }
  auto bytes = scaled.clamp(0, 255).round().to(torch::kUInt8).contiguous();
  const int h = static_cast<int>(bytes.size(0)), w = static_cast<int>(bytes.size(1));
  const int type = bytes.dim() == 3 ? CV_8UC(static_cast<int>(bytes.size(2))) : CV_8UC1;
  cv::Mat mat(h, w, type, bytes.data_ptr<std::uint8_t>());
  cv::Mat bgr;
  if (mat.channels() == 1) {
    cv::cvtColor(mat, bgr, cv::COLOR_GRAY2BGR);
  } else {
    cv::cvtColor(mat, bgr, cv::COLOR_RGB2BGR);
  }
  return bgr;  // owns its data
}

DisplaySink::DisplaySink(DisplayOptions options) : options_(std::move(options)) {
  if (options_.sections.empty()) options_.sections.push_back({"", PanelLayout{}});
  const bool one = options_.sections.size() == 1;
  const int width = one ? 960 : 1600;
  int top = 0;
  for (const auto& section : options_.sections) {
    Cells cells;
    cells.top = top;
    cells.columns = std::max(1, one ? section.layout.columns : section.layout.count);
    cells.width = width / cells.columns;
    cells.height = std::max(16, static_cast<int>(cells.width * (section.layout.aspect > 0 ? section.layout.aspect : 0.75)));
    cells.rows = std::max(1, (section.layout.count + cells.columns - 1) / cells.columns);
    top += cells.rows * (cells.height + kTitleHeight) + kStatusHeight;
    cells_.push_back(cells);
  }
  panels_.resize(cells_.size());
  status_.resize(cells_.size());
  canvas_ = cv::Mat(top, width, CV_8UC3, cv::Scalar(32, 32, 32));
  if (options_.mode == DisplayOptions::Mode::png) std::filesystem::create_directories(options_.path);
  if (options_.mode == DisplayOptions::Mode::video) {
    const auto parent = std::filesystem::path(options_.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    video_ = std::make_unique<VideoFileWriter>(options_.path, options_.video_fps, canvas_.size());
  }
}

DisplaySink::~DisplaySink() {
  if (window_open_) cv::destroyWindow(kWindow);
}

void DisplaySink::update(std::size_t section, const std::vector<Panel>& panels, const std::string& status) {
  if (section >= cells_.size()) throw std::out_of_range("display: no section " + std::to_string(section));
  if (!panels.empty()) panels_[section] = panels;
  status_[section] = status;
}

void DisplaySink::draw() {
  canvas_.setTo(cv::Scalar(32, 32, 32));
  for (std::size_t s = 0; s < cells_.size(); ++s) {
    const Cells& c = cells_[s];
    const auto& panels = panels_[s];
    for (int i = 0; i < static_cast<int>(panels.size()) && i < c.rows * c.columns; ++i) {
      const int x0 = (i % c.columns) * c.width;
      const int y0 = c.top + (i / c.columns) * (c.height + kTitleHeight);
      cv::putText(canvas_, panels[i].title, {x0 + 4, y0 + 15}, cv::FONT_HERSHEY_SIMPLEX, 0.45, {230, 230, 230}, 1, cv::LINE_AA);
      cv::Mat picture = panel_to_mat(panels[i]);
      // Fit the cell, keep the aspect ratio; nearest neighbour keeps filters and codes crisp.
      const double scale = std::min(static_cast<double>(c.width - 4) / picture.cols, static_cast<double>(c.height - 4) / picture.rows);
      cv::Mat fitted;
      cv::resize(picture, fitted, {std::max(1, static_cast<int>(picture.cols * scale)), std::max(1, static_cast<int>(picture.rows * scale))},
                 0, 0, scale >= 1 ? cv::INTER_NEAREST : cv::INTER_AREA);
      if (scale >= 0.5)  // smaller, the texts would cover what they label
        for (const auto& t : panels[i].texts)
          cv::putText(fitted, t.text, {static_cast<int>(t.x * scale), static_cast<int>(t.y * scale)}, cv::FONT_HERSHEY_SIMPLEX, 0.35,
                      {255, 255, 255}, 1, cv::LINE_AA);
      const int ox = x0 + (c.width - fitted.cols) / 2, oy = y0 + kTitleHeight + (c.height - fitted.rows) / 2;
      fitted.copyTo(canvas_(cv::Rect(ox, oy, fitted.cols, fitted.rows)));
    }
    const int status_y = c.top + c.rows * (c.height + kTitleHeight) + kStatusHeight - 9;
    cv::putText(canvas_, status_[s], {6, status_y}, cv::FONT_HERSHEY_SIMPLEX, 0.5, {120, 230, 120}, 1, cv::LINE_AA);
  }
}

void DisplaySink::show() {
  if (options_.mode == DisplayOptions::Mode::none) return;
  draw();
  switch (options_.mode) {
    case DisplayOptions::Mode::window:
      if (!window_open_) {
        cv::namedWindow(kWindow, cv::WINDOW_AUTOSIZE | cv::WINDOW_GUI_NORMAL);  // the picture, without Qt's toolbar
        window_open_ = true;
      }
      cv::imshow(kWindow, canvas_);
      break;
    case DisplayOptions::Mode::video:
      video_->write(canvas_);
      break;
    case DisplayOptions::Mode::png: {
      char name[32];
      std::snprintf(name, sizeof(name), "frame_%06lld.png", static_cast<long long>(frames_written_));
      write_image((std::filesystem::path(options_.path) / name).string(), canvas_);
      break;
    }
    case DisplayOptions::Mode::none:
      break;
  }
  ++frames_written_;
}

void DisplaySink::close() {
  if (video_) video_->close();
}

bool DisplaySink::quit_requested() {
  if (options_.mode != DisplayOptions::Mode::window || !window_open_) return quit_;
  const int key = cv::waitKey(1);
  if (key == 'q' || key == 27) quit_ = true;
  if (cv::getWindowProperty(kWindow, cv::WND_PROP_VISIBLE) < 1) quit_ = true;
  return quit_;
}

}  // namespace vidssl
