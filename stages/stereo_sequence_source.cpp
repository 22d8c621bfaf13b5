#include "stages/stereo_sequence_source.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "stages/source_geometry.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

constexpr const char* kLayout = "a stereo sequence folder with left/, right/ and calib.txt";

bool is_png(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png";
}

// The PNG names of one camera's folder, sorted.
std::vector<std::string> png_names(const fs::path& dir, const std::string& camera) {
  std::error_code error;
  if (!fs::is_directory(dir, error))
    throw SourceError(dir.string() + ": no such folder (expected the " + camera + " camera's PNG frames in " + kLayout +
                      ")");
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    std::error_code not_regular;
    if (!name.empty() && name[0] != '.' && it->is_regular_file(not_regular) && is_png(it->path())) names.push_back(name);
  }
  if (error) throw SourceError(dir.string() + ": cannot list the folder: " + error.message());
  if (names.empty()) throw SourceError(dir.string() + ": no PNG frames (expected " + camera + "/*.png)");
  std::sort(names.begin(), names.end());
  return names;
}

void require_same_names(const std::vector<std::string>& left, const std::vector<std::string>& right,
                        const fs::path& dir) {
  const auto [l, r] = std::mismatch(left.begin(), left.end(), right.begin(), right.end());
  if (l == left.end() && r == right.end()) return;
  // The first name one folder has and the other lacks.
  const bool left_only = r == right.end() || (l != left.end() && *l < *r);
  const std::string name = left_only ? *l : *r;
  throw SourceError((dir / (left_only ? "right" : "left")).string() + ": no " + name + " to pair with " +
                    (left_only ? "left/" : "right/") + name + " (expected the same PNG names in left/ and right/)");
}

// "1.5e2" → 150; false for anything that is not one whole number.
bool parse_number(const std::string& token, double& value) {
  errno = 0;
  char* end = nullptr;
  value = std::strtod(token.c_str(), &end);
  return end != token.c_str() && *end == '\0' && errno != ERANGE && std::isfinite(value);
}

std::vector<std::string> tokens_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> tokens;
  for (std::string token; in >> token;) tokens.push_back(token);
  return tokens;
}

// P0 and P1 from KITTI's calib.txt: named lines ("P0: …") where the file names its lines, else the
// first two lines. Throws SourceError naming the file, the line and what was expected.
StereoCamera read_calibration(const fs::path& path) {
  std::ifstream file(path);
  if (!file)
    throw SourceError(path.string() + ": cannot open (expected the projection matrices P0 and P1 of " + kLayout + ")");
  struct Row {
    int line = 0;
    std::vector<std::string> numbers;
  };
  std::vector<Row> bare;
  std::map<std::string, Row> named;
  int line_number = 0;
  for (std::string line; std::getline(file, line);) {
    ++line_number;
    std::vector<std::string> tokens = tokens_of(line);
    if (tokens.empty()) continue;
    if (tokens[0].back() == ':') {
      const std::string name = tokens[0].substr(0, tokens[0].size() - 1);
      named[name] = {line_number, std::vector<std::string>(tokens.begin() + 1, tokens.end())};
    } else {
      bare.push_back({line_number, tokens});
    }
  }
  const auto matrix = [&](const char* name, std::size_t k) {
    Row row;
    if (!named.empty()) {
      const auto found = named.find(name);
      if (found == named.end())
        throw SourceError(path.string() + ": no line " + name + ": (expected named lines P0: and P1:, as KITTI's)");
      row = found->second;
    } else {
      if (bare.size() <= k)
        throw SourceError(path.string() + ": " + std::to_string(bare.size()) +
                          " line(s) (expected two lines of 12 numbers, P0 then P1)");
      row = bare[k];
    }
    const std::string where = path.string() + ": line " + std::to_string(row.line) + " (" + name + ")";
    if (row.numbers.size() != 12)
      throw SourceError(where + ": expected 12 numbers (a 3x4 projection matrix), got " +
                        std::to_string(row.numbers.size()));
    std::vector<double> values(12);
    for (std::size_t i = 0; i < 12; ++i)
      if (!parse_number(row.numbers[i], values[i]))
        throw SourceError(where + ": '" + row.numbers[i] + "' is not a number (expected 12 numbers)");
    return values;
  };
  const std::vector<double> p0 = matrix("P0", 0), p1 = matrix("P1", 1);
  if (!(p0[0] > 0 && p0[5] > 0 && p1[0] > 0))
    throw SourceError(path.string() + ": the focal lengths must be positive (expected fx = P0[0], fy = P0[5] and "
                      "P1[0] > 0), got " + std::to_string(p0[0]) + ", " + std::to_string(p0[5]) + " and " +
                      std::to_string(p1[0]));
  StereoCamera camera;
  camera.fx = p0[0];
  camera.fy = p0[5];
  camera.cx = p0[2];
  camera.cy = p0[6];
  camera.baseline = -p1[3] / p1[0];
  return camera;
}

// Each frame's time in seconds, one a line, as µs.
std::vector<std::int64_t> read_times(const fs::path& path, std::size_t frames) {
  std::ifstream file(path);
  if (!file) throw SourceError(path.string() + ": cannot open (expected one time in seconds per frame)");
  std::vector<std::int64_t> times;
  for (std::string token; file >> token;) {
    double seconds = 0;
    if (!parse_number(token, seconds))
      throw SourceError(path.string() + ": '" + token + "' is not a number (expected one time in seconds per frame)");
    times.push_back(std::llround(seconds * 1e6));
  }
  if (times.size() < frames)
    throw SourceError(path.string() + ": " + std::to_string(times.size()) + " times for " + std::to_string(frames) +
                      " frames (expected one time in seconds per frame)");
  return times;
}

// An 8-bit grey or BGR image; empty when the file cannot be decoded.
//
// A file cut short (a copy or a write that did not finish) lacks PNG's closing IEND chunk: it is
// refused before libpng sees it, which would print its own error line on stderr.
cv::Mat read_png(const std::string& path) {
  static const unsigned char kIend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file || file.tellg() < 12) return {};
  unsigned char tail[12];
  file.seekg(-12, std::ios::end);
  if (!file.read(reinterpret_cast<char*>(tail), 12) || !std::equal(tail, tail + 12, kIend)) return {};
  return cv::imread(path, cv::IMREAD_ANYCOLOR);
}

// The part of `image` the plan takes, scaled onto its part of a width × height frame; black around it.
cv::Mat fit(const cv::Mat& image, const FitPlan& plan, int width, int height) {
  const cv::Mat from = image(cv::Rect(plan.from.x, plan.from.y, plan.from.width, plan.from.height));
  cv::Mat scaled = from;
  if (plan.to.width != from.cols || plan.to.height != from.rows) {
    const bool shrinking = plan.to.width < from.cols && plan.to.height < from.rows;
    cv::resize(from, scaled, cv::Size(plan.to.width, plan.to.height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (plan.to.width == width && plan.to.height == height) return scaled;
  // Black in BGR is luma 0 with neutral chroma once converted to YUV.
  cv::Mat frame(height, width, image.type(), cv::Scalar::all(0));
  scaled.copyTo(frame(cv::Rect(plan.to.x, plan.to.y, plan.to.width, plan.to.height)));
  return frame;
}

// The cameras seen through fitted images: each axis scaled by its own factor, the principal point
// moved with the crop or the bars (pixel centres at (i + ½)·factor − ½, as StereoCamera::scaled).
StereoCamera fitted_camera(const StereoCamera& native, const FitPlan& plan, int width, int height) {
  const double sx = static_cast<double>(plan.to.width) / plan.from.width;
  const double sy = static_cast<double>(plan.to.height) / plan.from.height;
  StereoCamera camera = native;
  camera.fx = native.fx * sx;
  camera.fy = native.fy * sy;
  camera.cx = (native.cx + 0.5 - plan.from.x) * sx - 0.5 + plan.to.x;
  camera.cy = (native.cy + 0.5 - plan.from.y) * sy - 0.5 + plan.to.y;
  camera.width = width;
  camera.height = height;
  return camera;
}

torch::Tensor to_tensor(const cv::Mat& image, int channels, const FitPlan& plan, int width, int height) {
  const cv::Mat sized = fit(image, plan, width, height);
  const bool grey = sized.channels() == 1;
  if (channels == 1) {
    cv::Mat luma = sized;
    if (!grey) cv::cvtColor(sized, luma, cv::COLOR_BGR2GRAY);
    return torch::from_blob(luma.data, {1, height, width}, {static_cast<std::int64_t>(luma.step[0]) * height,
                                                            static_cast<std::int64_t>(luma.step[0]), 1},
                            torch::kUInt8)
        .clone();
  }
  if (grey) {
    const torch::Tensor luma = torch::from_blob(sized.data, {1, height, width},
                                                {static_cast<std::int64_t>(sized.step[0]) * height,
                                                 static_cast<std::int64_t>(sized.step[0]), 1},
                                                torch::kUInt8);
    return torch::cat({luma, torch::full({2, height, width}, 128, torch::kUInt8)});
  }
  cv::Mat yuv;
  cv::cvtColor(sized, yuv, cv::COLOR_BGR2YUV);
  return torch::from_blob(yuv.data, {height, width, 3},
                          {static_cast<std::int64_t>(yuv.step[0]), 3, 1}, torch::kUInt8)
      .permute({2, 0, 1})
      .contiguous();
}

std::string size_text(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

}  // namespace

StereoSequenceSource::StereoSequenceSource(SourceOptions source, double fps) : options_(std::move(source)), fps_(fps) {
  check_source_options(options_);
  const fs::path dir = options_.path;
  std::error_code error;
  if (!fs::is_directory(dir, error)) throw SourceError(options_.path + ": no such folder (expected " + kLayout + ")");
  if (!(fps > 0)) throw SourceError(options_.path + ": expected a frame rate above 0, got " + std::to_string(fps));
  left_dir_ = (dir / "left").string();
  right_dir_ = (dir / "right").string();
  names_ = png_names(left_dir_, "left");
  require_same_names(names_, png_names(right_dir_, "right"), dir);
  StereoCamera native = read_calibration(dir / "calib.txt");
  if (fs::exists(dir / "times.txt")) times_us_ = read_times(dir / "times.txt", names_.size());

  // The first pair that decodes, of one size, sets the size; pairs before it are skipped as later
  // ones are.
  cv::Mat left, right;
  for (; next_ < names_.size(); ++next_) {
    const std::string problem = decode_pair(next_, left, right);
    if (problem.empty()) break;
    skip(next_, problem);
  }
  if (next_ == names_.size())
    throw SourceError(options_.path + ": none of the " + std::to_string(names_.size()) + " pairs decodes (" + take_warnings().back() + ")");
  native.width = left.cols;
  native.height = left.rows;
  native_camera_ = native;
  const OutputSize size = output_size(options_, native.width, native.height);
  plan_ = plan_fit(native.width, native.height, size, options_.fit);
  camera_ = fitted_camera(native, plan_, size.width, size.height);
  first_left_ = to_tensor(left, options_.channels, plan_, size.width, size.height);
  first_right_ = to_tensor(right, options_.channels, plan_, size.width, size.height);

  const std::int64_t pairs = static_cast<std::int64_t>(names_.size());
  info_.description = "stereo " + options_.path + " (" + std::to_string(pairs) + " pairs, " +
                      size_text(native.width, native.height) + ")";
  info_.width = size.width;
  info_.height = size.height;
  info_.channels = options_.channels;
  info_.fps = fps;
  info_.frame_count = options_.max_frames >= 0 ? std::min(pairs, options_.max_frames) : pairs;
  info_.live = false;
  info_.stereo = camera_;
}

std::string StereoSequenceSource::decode_pair(std::size_t k, cv::Mat& left, cv::Mat& right) const {
  const std::string paths[2] = {(fs::path(left_dir_) / names_[k]).string(), (fs::path(right_dir_) / names_[k]).string()};
  cv::Mat* out[2] = {&left, &right};
  for (int side = 0; side < 2; ++side) {
    *out[side] = read_png(paths[side]);
    if (out[side]->empty()) return paths[side] + ": cannot decode (expected a whole 8-bit PNG)";
  }
  if (native_camera_.width > 0) {  // the first good pair has set the size
    for (int side = 0; side < 2; ++side)
      if (out[side]->cols != native_camera_.width || out[side]->rows != native_camera_.height)
        return paths[side] + ": " + size_text(out[side]->cols, out[side]->rows) + " (expected " +
               size_text(native_camera_.width, native_camera_.height) + " as the first pair)";
  } else if (left.size() != right.size()) {
    return options_.path + ": left/" + names_[k] + " is " + size_text(left.cols, left.rows) + ", right/" + names_[k] + " is " +
           size_text(right.cols, right.rows) + " (expected a rectified pair of one size)";
  }
  return {};
}

void StereoSequenceSource::skip(std::size_t k, const std::string& problem) {
  ++skipped_;
  gap_ = true;
  warn(problem + "; pair " + std::to_string(k) + " skipped (" + std::to_string(skipped_) + " so far), the sequence goes on");
}

bool StereoSequenceSource::read(Frame& frame) {
  torch::Tensor left, right;
  for (;; ++next_) {
    if (next_ >= names_.size()) return false;
    if (options_.max_frames >= 0 && delivered_ >= options_.max_frames) return false;
    if (first_left_.defined()) {  // the pair decoded at open
      left = std::move(first_left_);
      right = std::move(first_right_);
      break;
    }
    cv::Mat left_image, right_image;
    if (const std::string problem = decode_pair(next_, left_image, right_image); !problem.empty()) {
      skip(next_, problem);
      continue;
    }
    left = to_tensor(left_image, options_.channels, plan_, info_.width, info_.height);
    right = to_tensor(right_image, options_.channels, plan_, info_.width, info_.height);
    break;
  }
  if (gap_ && delivered_ > 0) ++clip_;
  if (gap_) clip_start_ = next_;
  gap_ = false;
  const std::int64_t k = static_cast<std::int64_t>(next_++);
  ++delivered_;
  frame.index = k;
  frame.clip_frame = k - static_cast<std::int64_t>(clip_start_);
  frame.clip_id = clip_;
  frame.source_id = 0;
  frame.timestamp_us = times_us_.empty() ? std::llround(static_cast<double>(k) * 1e6 / fps_) : times_us_[k];
  if (frame_buffers().pinned()) {
    // OpenCV decodes into memory of its own: a GPU's upload is asynchronous from the pinned pool.
    left = frame_buffer(left.size(0), left.size(1), left.size(2)).copy_(left);
    right = frame_buffer(right.size(0), right.size(1), right.size(2)).copy_(right);
  }
  frame.image = std::move(left);
  frame.right = std::move(right);
  frame.original = torch::Tensor();
  if (options_.realtime) pacer_.wait(frame.timestamp_us);
  return true;
}

}  // namespace vidssl
