#include "stages/source_probe.h"

#include <filesystem>
#include <limits>

#include "stages/ffmpeg_source.h"
#include "models/training/json_line.h"
#include "stages/open_source.h"
#include "stages/source_geometry.h"
#include "stages/stereo_sequence_source.h"
#include "stages/synthetic_source.h"
#include "stages/video_folder.h"
#include "stages/y4m_source.h"

namespace vidssl {
namespace {

ClipProbe delivered(const SourceOptions& options, const SourceInfo& info) {
  ClipProbe probe;
  probe.path = options.path;
  probe.clip_id = 0;
  probe.width = info.width;
  probe.height = info.height;
  probe.fit = options.fit;
  probe.native_fps = info.fps;
  probe.fps = options.fps > 0 ? options.fps : info.fps;
  return probe;
}

ClipProbe probe_ffmpeg_clip(const SourceOptions& options) {
  const FfmpegSource source(options);
  const VideoClipInfo& clip = source.clip_info();
  ClipProbe probe = delivered(options, source.info());
  probe.kind = source.info().live ? "live" : "file";
  probe.codec = clip.codec;
  probe.decoder = clip.decoder;
  probe.native_width = clip.width;
  probe.native_height = clip.height;
  probe.rotation = clip.orientation.rotation();
  probe.mirrored = clip.orientation.mirrored();
  probe.average_fps = clip.average_fps;
  probe.frames = clip.frame_count;
  return probe;
}

// Each file as the folder source reads it: the first clip that opens sets the size of all.
std::vector<ClipProbe> probe_folder(const SourceOptions& options) {
  const std::vector<std::string> files = list_video_files(options.path);
  std::vector<ClipProbe> probes;
  SourceOptions clip_options = options;
  std::int32_t clip_id = 0;
  for (const std::string& file : files) {
    clip_options.path = file;
    try {
      probes.push_back(probe_ffmpeg_clip(clip_options));
      probes.back().clip_id = clip_id++;
      clip_options.width = probes.back().width;
      clip_options.height = probes.back().height;
    } catch (const SourceError& e) {
      ClipProbe failed;
      failed.path = file;
      failed.error = e.what();
      probes.push_back(std::move(failed));
    }
  }
  return probes;
}

ClipProbe probe_stereo(const SourceOptions& options) {
  const StereoSequenceSource source(options);
  ClipProbe probe = delivered(options, source.info());
  probe.kind = "stereo";
  probe.codec = "png";
  probe.native_width = source.native_camera().width;
  probe.native_height = source.native_camera().height;
  probe.frames = source.info().frame_count;
  probe.calibration = source.camera();
  return probe;
}

ClipProbe probe_y4m(const SourceOptions& options) {
  const Y4mSource source(options);
  ClipProbe probe = delivered(options, source.info());
  probe.kind = "y4m";
  probe.codec = "rawvideo";
  probe.native_width = source.header().width;
  probe.native_height = source.header().height;
  return probe;
}

ClipProbe probe_synthetic(const SourceOptions& options) {
  const SyntheticSource source(synthetic_options_from_path(options.path), options);
  ClipProbe probe = delivered(options, source.info());
  probe.kind = "synthetic";
  probe.native_width = probe.width;
  probe.native_height = probe.height;
  probe.frames = source.info().frame_count;
  return probe;
}

}  // namespace

std::vector<ClipProbe> probe_source(const SourceOptions& options) {
  check_source_options(options);
  // Every frame the stream holds, whatever a run would stop at.
  SourceOptions all = options;
  all.max_frames = -1;
  switch (source_kind(all.path)) {
    case SourceKind::synthetic:
      return {probe_synthetic(all)};
    case SourceKind::y4m:
      return {probe_y4m(all)};
    case SourceKind::stereo:
      return {probe_stereo(all)};
    case SourceKind::ffmpeg:
      break;
  }
  std::error_code error;
  if (std::filesystem::is_directory(all.path, error)) return probe_folder(all);
  return {probe_ffmpeg_clip(all)};
}

std::string probe_json(const ClipProbe& p) {
  JsonLine line;
  line.add("path", p.path);
  if (!p.error.empty()) return line.add("error", p.error).str();
  const auto known = [](double value) { return value > 0 ? value : std::numeric_limits<double>::quiet_NaN(); };
  line.add("clip", p.clip_id).add("kind", p.kind);
  if (!p.codec.empty()) line.add("codec", p.codec);
  if (!p.decoder.empty()) line.add("decoder", p.decoder);
  line.add("native_width", p.native_width)
      .add("native_height", p.native_height)
      .add("rotation", p.rotation)
      .add("mirrored", p.mirrored)
      .add("native_fps", known(p.native_fps))
      .add("average_fps", known(p.average_fps))
      .add("fps", known(p.fps))
      .add("width", p.width)
      .add("height", p.height)
      .add("fit", fit_name(p.fit));
  if (p.frames >= 0) {
    line.add("frames", p.frames);
  } else {
    line.add_raw("frames", "null");
  }
  if (p.calibration) {
    const StereoCamera& c = *p.calibration;
    line.add_raw("calibration", JsonLine()
                                    .add("fx", c.fx)
                                    .add("fy", c.fy)
                                    .add("cx", c.cx)
                                    .add("cy", c.cy)
                                    .add("baseline", c.baseline)
                                    .add("width", c.width)
                                    .add("height", c.height)
                                    .str());
  }
  return line.str();
}

}  // namespace vidssl
