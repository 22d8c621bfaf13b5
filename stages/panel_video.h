#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "models/training/learner.h"
#include "pipeline/stage.h"
#include "stages/learner_stage.h"
#include "stages/video_file_writer.h"

namespace vidssl {

// Writes a learner's videos (Learner::videos(): Model C's overlay.avi and topdown.avi) into its
// folder: every report's panels, those of each video stacked top to bottom with their titles and
// texts, MJPG at the source's rate; and <name>.png of the last frame, for a quick look. A resumed
// run (first_frame > 0) writes <name>-from-<first_frame>.avi beside the stopped run's videos: a
// video cannot be appended to, and the earlier frames are not lost. Every write is checked
// (stages/video_file_writer.h): a full disk stops the run with one line naming the file.
class PanelVideo final : public Stage<LearnerReport> {
 public:
  PanelVideo(std::string name, std::string folder, std::vector<LearnerVideo> videos, double fps, std::int64_t first_frame = 0);

  // The picture of one video from a report's panels (BGR).
  static cv::Mat compose(const std::vector<Panel>& panels, const LearnerVideo& video);
  const std::vector<std::string>& paths() const { return paths_; }

 protected:
  void process(LearnerReport report, Outputs<NoOutput>& out) override;
  void finish(Outputs<NoOutput>& out) override;

 private:
  std::string folder_;
  std::vector<LearnerVideo> videos_;
  double fps_;
  std::vector<std::string> paths_;
  std::vector<std::unique_ptr<VideoFileWriter>> writers_;
  std::vector<cv::Mat> last_;
};

// A panel as an 8-bit BGR picture at its own size, its texts drawn on it (stages/display_sink.h
// scales panels into the window).
cv::Mat panel_picture(const Panel& panel);

}  // namespace vidssl
