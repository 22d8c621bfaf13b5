#pragma once

#include <memory>
#include <string>

#include "pipeline/clock.h"
#include "stages/ffmpeg_source.h"
#include "stages/frame_source.h"

namespace vidssl {

// Which source reads a path:
//   synthetic:KIND  SyntheticSource with default options of that kind (sprites, gratings)
//   *.y4m           Y4mSource (no FFmpeg involved)
//   DIR with left/ and right/ (and calib.txt)
//                   StereoSequenceSource (frames carry the right image too; models that want
//                   one view learn from the left)
//   anything else   FfmpegSource: a file, a folder of clips, lavfi:GRAPH or v4l2:DEVICE
enum class SourceKind { synthetic, y4m, stereo, ffmpeg };
SourceKind source_kind(const std::string& path);

// The source a path asks for (source_kind), so apps and configs name inputs by path alone; with
// options.fps > 0 it is wrapped in a ResampledSource. Throws SourceError when the input cannot be
// opened.
//
//   auto source = open_source({.path = "clips/", .width = 320, .height = 240});
std::unique_ptr<FrameSource> open_source(const SourceOptions& options, Clock* clock = nullptr,
                                         FfmpegSourceOptions ffmpeg = {});

}  // namespace vidssl
