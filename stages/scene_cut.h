#pragma once

#include "pipeline/frame.h"

namespace vidssl {

// Mean absolute difference of two consecutive frames' decoded pictures (Frame::original, or the
// image itself before preprocessing), as a share of the 0..255 range; −1 when they cannot be
// compared (not uint8, or of different sizes). A scene cut shows as a large value: edited video
// is full of them, and a training clip across one teaches a model that anything follows anything.
double decoded_difference(const Frame& previous, const Frame& frame);

// Whether a cut separates the two frames: decoded_difference above `threshold` (0: never).
bool is_scene_cut(const Frame& previous, const Frame& frame, double threshold);

}  // namespace vidssl
