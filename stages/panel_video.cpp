#include "stages/panel_video.h"

#include <filesystem>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "stages/display_sink.h"
#include "stages/image_file.h"

namespace fs = std::filesystem;

namespace vidssl {

cv::Mat panel_picture(const Panel& panel) {
  cv::Mat picture = panel_to_mat(panel);
  for (const auto& t : panel.texts)
    cv::putText(picture, t.text, {static_cast<int>(t.x), static_cast<int>(t.y)}, cv::FONT_HERSHEY_SIMPLEX, 0.4, {255, 255, 255}, 1,
                cv::LINE_AA);
  return picture;
}

PanelVideo::PanelVideo(std::string name, std::string folder, std::vector<LearnerVideo> videos, double fps, std::int64_t first_frame)
    : Stage<LearnerReport>(std::move(name)), folder_(std::move(folder)), videos_(std::move(videos)), fps_(fps > 0 ? fps : 10) {
  const std::string suffix = first_frame > 0 ? "-from-" + std::to_string(first_frame) : "";
  for (const auto& v : videos_) paths_.push_back((fs::path(folder_) / (v.name + suffix + ".avi")).string());
  writers_.resize(videos_.size());
  last_.resize(videos_.size());
}

cv::Mat PanelVideo::compose(const std::vector<Panel>& panels, const LearnerVideo& video) {
  std::vector<cv::Mat> parts;
  for (const int i : video.panels) {
    if (i < 0 || i >= static_cast<int>(panels.size())) throw std::logic_error(video.name + ": no panel " + std::to_string(i));
    cv::Mat part = panel_picture(panels[i]);
    cv::putText(part, panels[i].title, {4, 14}, cv::FONT_HERSHEY_SIMPLEX, 0.5, {255, 255, 255}, 1, cv::LINE_AA);
    if (!parts.empty() && part.cols != parts.front().cols)
      cv::resize(part, part, {parts.front().cols, part.rows * parts.front().cols / part.cols}, 0, 0, cv::INTER_AREA);
    parts.push_back(part);
  }
  cv::Mat out;
  cv::vconcat(parts, out);
  return out;
}

void PanelVideo::process(LearnerReport report, Outputs<NoOutput>&) {
  if (report.panels.empty()) return;
  for (std::size_t v = 0; v < videos_.size(); ++v) {
    last_[v] = compose(report.panels, videos_[v]);
    if (!writers_[v]) writers_[v] = std::make_unique<VideoFileWriter>(paths_[v], fps_, last_[v].size());
    writers_[v]->write(last_[v]);
  }
}

void PanelVideo::finish(Outputs<NoOutput>&) {
  for (std::size_t v = 0; v < videos_.size(); ++v) {
    if (writers_[v]) writers_[v]->close();
    if (last_[v].empty()) continue;
    const std::string png = (fs::path(folder_) / (videos_[v].name + ".png")).string();
    write_image(png, last_[v]);
  }
}

}  // namespace vidssl
