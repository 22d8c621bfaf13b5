#include "stages/traversability_video.h"

#include <filesystem>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace vidssl {
namespace {

std::string in_run(const std::string& run_dir, const std::string& name) {
  return (std::filesystem::path(run_dir) / name).string();
}

void open_or_throw(cv::VideoWriter& video, const std::string& path, double fps, const cv::Size& size) {
  if (!video.open(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, size))
    throw std::runtime_error(path + ": cannot write an MJPG video");
}

}  // namespace

TraversabilityVideo::TraversabilityVideo(std::string name, std::string run_dir, double fps, std::int64_t first_frame)
    : Stage<NearToFarReport>(std::move(name)),
      run_dir_(std::move(run_dir)),
      fps_(fps > 0 ? fps : 10) {
  const std::string suffix = first_frame > 0 ? "-from-" + std::to_string(first_frame) : "";
  overlay_path_ = in_run(run_dir_, "overlay" + suffix + ".avi");
  top_down_path_ = in_run(run_dir_, "topdown" + suffix + ".avi");
}

cv::Mat TraversabilityVideo::left_bgr(const Frame& frame) {
  const torch::Tensor image = frame.image.to(torch::kCPU, torch::kUInt8).permute({1, 2, 0}).contiguous();
  const int channels = static_cast<int>(image.size(2));
  cv::Mat wrapped(static_cast<int>(image.size(0)), static_cast<int>(image.size(1)), CV_8UC(channels), image.data_ptr());
  cv::Mat bgr;
  cv::cvtColor(wrapped, bgr, channels == 3 ? cv::COLOR_YUV2BGR : cv::COLOR_GRAY2BGR);
  return bgr;
}

cv::Mat TraversabilityVideo::overlay(const NearToFarReport& report) {
  const cv::Mat left = left_bgr(report.frame);
  cv::Mat out;
  cv::vconcat(draw_traversability(left, report.result, false), draw_traversability(left, report.result, true), out);
  return out;
}

void TraversabilityVideo::process(NearToFarReport report, Outputs<NoOutput>&) {
  last_overlay_ = overlay(report);
  last_top_down_ = draw_top_down(report.result);
  if (!overlay_video_.isOpened()) open_or_throw(overlay_video_, overlay_path_, fps_, last_overlay_.size());
  if (!top_down_video_.isOpened()) open_or_throw(top_down_video_, top_down_path_, fps_, last_top_down_.size());
  overlay_video_.write(last_overlay_);
  top_down_video_.write(last_top_down_);
}

void TraversabilityVideo::finish(Outputs<NoOutput>&) {
  overlay_video_.release();
  top_down_video_.release();
  if (!last_overlay_.empty() && !cv::imwrite(in_run(run_dir_, "overlay.png"), last_overlay_))
    throw std::runtime_error(in_run(run_dir_, "overlay.png") + ": cannot write");
  if (!last_top_down_.empty() && !cv::imwrite(in_run(run_dir_, "topdown.png"), last_top_down_))
    throw std::runtime_error(in_run(run_dir_, "topdown.png") + ": cannot write");
}

}  // namespace vidssl
