#include "apps/held_out_source.h"

#include "stages/open_source.h"

namespace vidssl {

std::unique_ptr<FrameSource> open_held_out_source(const RunConfig& config, const std::string& path, std::int64_t max_frames) {
  SourceOptions options = config.source;
  options.path = path;
  options.max_frames = max_frames;
  options.realtime = false;
  return open_source(options, nullptr, FfmpegSourceOptions{config.decoder_threads});
}

}  // namespace vidssl
