#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "stages/frame_source.h"
#include "stages/run_config.h"

namespace vidssl {

// The source a run was trained on (size, channels, decoder), pointed at held-out video for
// evaluation: never paced, at most `max_frames` frames (-1: all).
std::unique_ptr<FrameSource> open_held_out_source(const RunConfig& config, const std::string& path, std::int64_t max_frames);

}  // namespace vidssl
