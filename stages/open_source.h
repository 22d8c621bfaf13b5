#pragma once

#include <memory>

#include "pipeline/clock.h"
#include "stages/ffmpeg_source.h"
#include "stages/frame_source.h"

namespace vidssl {

// The source a path asks for, so apps and configs name inputs by path alone:
//   *.y4m           Y4mSource (no FFmpeg involved)
//   DIR with left/ and right/ (and calib.txt)
//                   StereoSequenceSource (frames carry the right image too; models that want
//                   one view learn from the left)
//   synthetic:KIND  SyntheticSource with default options of that kind (sprites, gratings)
//   anything else   FfmpegSource: a file, a folder of clips, lavfi:GRAPH or v4l2:DEVICE
// With options.fps > 0 it is wrapped in a ResampledSource. Throws SourceError when the input
// cannot be opened.
//
//   auto source = open_source({.path = "clips/", .width = 320, .height = 240});
std::unique_ptr<FrameSource> open_source(const SourceOptions& options, Clock* clock = nullptr,
                                         FfmpegSourceOptions ffmpeg = {});

}  // namespace vidssl
