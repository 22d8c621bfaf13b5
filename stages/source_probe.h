#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/neartofar/stereo_camera.h"
#include "stages/frame_source.h"

namespace vidssl {

// What vidssl will deliver from one clip of a source: how a user checks a folder of their own
// clips before an hour of training (`vidssl probe`).
struct ClipProbe {
  std::string path;
  std::string error;            // why the clip cannot be read (skipped by a run); the rest is then unset
  std::int32_t clip_id = -1;    // the clip_id its frames will carry
  std::string kind;             // "file", "live", "y4m", "stereo" or "synthetic"
  std::string codec;            // "h264", "vp9", "av1", … ("png" for a stereo folder)
  std::string decoder;          // the FFmpeg decoder, when FFmpeg reads it
  int native_width = 0;         // as stored
  int native_height = 0;
  int rotation = 0;             // clockwise degrees that turn it upright (after a mirror, when mirrored)
  bool mirrored = false;
  double native_fps = 0;        // the clip's own rate; 0 when unknown
  double average_fps = 0;       // frames over duration (FFmpeg's files); far from native_fps: a variable rate
  double fps = 0;               // the delivered rate: source.fps, else the native one
  int width = 0;                // delivered, after the turn and the fit
  int height = 0;
  Fit fit = Fit::crop;
  std::int64_t frames = -1;     // frames stored, when the container says; -1 when unknown
  std::optional<StereoCamera> calibration;  // a stereo folder's cameras at the delivered size
};

// One probe per clip, in reading order: a folder's video files each (the first that opens decides
// the delivered size, as when reading), or the one file, stream or sequence. A clip that cannot be
// opened gets a probe with its error; an input that cannot be read at all (no such path, an empty
// folder) throws SourceError as opening it would. Nothing is decoded beyond what opening needs.
//
//   for (const ClipProbe& clip : probe_source({.path = "clips/", .width = 160, .height = 120}))
//     std::puts(probe_json(clip).c_str());
std::vector<ClipProbe> probe_source(const SourceOptions& options);

// One JSON object on one line; unknown numbers are null.
//   {"path": "clips/a.mp4", "clip": 0, "kind": "file", "codec": "h264", …, "width": 160, "height": 120, …}
std::string probe_json(const ClipProbe& probe);

}  // namespace vidssl
