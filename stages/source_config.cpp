#include "stages/source_config.h"

#include <cmath>

namespace vidssl {

void read_source_options(ConfigReader& r, SourceOptions& s) {
  r.read("source.path", s.path);
  r.read("source.width", s.width);
  r.read("source.height", s.height);
  r.read("source.channels", s.channels);
  r.read("source.realtime", s.realtime);
  r.read("source.max_frames", s.max_frames);
  r.read_choice("source.fit", s.fit, {{"crop", Fit::crop}, {"pad", Fit::pad}, {"stretch", Fit::stretch}});
  r.read("source.fps", s.fps);
  for (const std::string& name : r.children("source.device_options")) {
    std::string value;
    r.read("source.device_options." + name, value);
    s.device_options.emplace_back(name, value);
  }
  if (s.path.empty())
    throw ConfigError("source.path: required: a video file, a folder of clips, a stereo folder, a .y4m, v4l2:/dev/videoN, lavfi:… or synthetic:…");
  if (s.width < 0 || s.width > 16384) throw ConfigError("source.width: expected a size in [0, 16384] (0 keeps the source's size)");
  if (s.height < 0 || s.height > 16384) throw ConfigError("source.height: expected a size in [0, 16384] (0 keeps the source's size)");
  if (s.channels != 1 && s.channels != 3) throw ConfigError("source.channels: expected 1 (luma) or 3 (YUV)");
  if (!(s.fps >= 0 && std::isfinite(s.fps)))
    throw ConfigError("source.fps: expected a frame rate >= 0 (0: every frame the source gives)");
}

}  // namespace vidssl
