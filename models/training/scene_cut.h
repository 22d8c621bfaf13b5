#pragma once

#include <torch/types.h>

namespace vidssl {

// Mean absolute difference of two consecutive decoded (uint8) pictures, as a share of the 0..255
// range; −1 when they cannot be compared (not uint8, or of different sizes). A scene cut shows as a
// large value: edited video is full of them, and a training clip across one teaches a model that
// anything follows anything.
double decoded_difference(const torch::Tensor& previous, const torch::Tensor& next);

// Whether a cut separates the two pictures: decoded_difference above `threshold` (0: never).
bool is_scene_cut(const torch::Tensor& previous, const torch::Tensor& next, double threshold);

}  // namespace vidssl
