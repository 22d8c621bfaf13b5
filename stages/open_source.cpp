#include "stages/open_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "stages/ffmpeg_source.h"
#include "stages/resampled_source.h"
#include "stages/stereo_sequence_source.h"
#include "stages/synthetic_source.h"
#include "stages/y4m_source.h"

namespace vidssl {
namespace {

bool has_y4m_extension(const std::string& path) {
  constexpr std::string_view kExtension = ".y4m";
  if (path.size() < kExtension.size()) return false;
  std::string tail = path.substr(path.size() - kExtension.size());
  std::transform(tail.begin(), tail.end(), tail.begin(), [](unsigned char c) { return std::tolower(c); });
  return tail == kExtension;
}

bool is_stereo_sequence(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  // calib.txt is not required here: a folder with left/ and right/ but no calibration is a broken
  // sequence, and StereoSequenceSource says so ("calib.txt missing") where FFmpeg would not.
  return fs::is_directory(fs::path(path) / "left", error) && fs::is_directory(fs::path(path) / "right", error);
}

}  // namespace

SourceKind source_kind(const std::string& path) {
  if (path.rfind("synthetic:", 0) == 0) return SourceKind::synthetic;
  if (has_y4m_extension(path)) return SourceKind::y4m;
  if (is_stereo_sequence(path)) return SourceKind::stereo;
  return SourceKind::ffmpeg;
}

std::unique_ptr<FrameSource> open_source(const SourceOptions& options, Clock* clock, FfmpegSourceOptions ffmpeg) {
  const SourceOptions opened = options_before_resampling(options);
  std::unique_ptr<FrameSource> source;
  switch (source_kind(opened.path)) {
    case SourceKind::synthetic:
      source = std::make_unique<SyntheticSource>(synthetic_options_from_path(opened.path), opened, clock);
      break;
    case SourceKind::y4m:
      source = std::make_unique<Y4mSource>(opened, clock);
      break;
    case SourceKind::stereo:
      source = std::make_unique<StereoSequenceSource>(opened);
      break;
    case SourceKind::ffmpeg:
      source = std::make_unique<FfmpegSource>(opened, ffmpeg, clock);
      break;
  }
  if (options.pinned) source->pin_frames();
  return resample(std::move(source), options, clock);
}

}  // namespace vidssl
