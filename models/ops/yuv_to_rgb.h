#pragma once

#include <torch/types.h>

namespace vidssl {

// A decoded picture as a display shows it: 3 channels are YUV (the sources' full-resolution
// 4:4:4) and become RGB by the inverse of OpenCV's BGR2YUV (R = Y + 1.140 V', G = Y − 0.395 U' −
// 0.581 V', B = Y + 2.032 U', with U' = U − 128, V' = V − 128); 1 channel stays grey. uint8 C×H×W
// in, float C×H×W on the CPU out, 0..255 (Panel::Scale::bytes).
torch::Tensor picture_for_display(const torch::Tensor& decoded);

}  // namespace vidssl
