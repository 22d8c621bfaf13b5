#include "apps/held_out_source.h"

#include "stages/open_source.h"

namespace vidssl {

std::unique_ptr<FrameSource> open_held_out_source(const EvaluationRequest& request) {
  SourceOptions options = request.source_options;
  options.path = request.source;
  options.max_frames = request.max_frames;
  options.realtime = false;
  options.reopen_live = false;  // a piped clip is read once: its end ends the evaluation
  return open_source(options, nullptr, FfmpegSourceOptions{request.decoder_threads});
}

}  // namespace vidssl
