#pragma once

#include <memory>

#include "stages/frame_source.h"
#include "stages/learner_recipe.h"

namespace vidssl {

// The source a run was trained on (size, channels, decoder), pointed at the request's held-out
// video for evaluation: never paced, at most `max_frames` frames (-1: all).
std::unique_ptr<FrameSource> open_held_out_source(const EvaluationRequest& request);

}  // namespace vidssl
