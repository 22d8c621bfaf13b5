#pragma once

#include <cstdint>

namespace vidssl {

// The window as the CPU loops of ContrastNormalizer use it: the 1-D taps (sum 1; the 2-D window is
// their outer product over C) and the inverse of the 1-D window mass inside the image for every row
// and every column (the 2-D mass is the product of the two).
struct SeparableWindow {
  const float* taps = nullptr;
  int size = 0;
  const float* inv_row_mass = nullptr;  // height entries
  const float* inv_col_mass = nullptr;  // width entries
};

// Floats of scratch contrast_normalize_cpu needs for an H×W image and a window of that size.
std::int64_t contrast_normalize_scratch(std::int64_t height, std::int64_t width, int window_size);

// ContrastNormalizer's formula on one contiguous C×H×W image: x → y (distinct buffers), rows split
// over at::parallel_for. See ContrastNormalizer for the formula and the shift by x's first pixel.
void contrast_normalize_cpu(const float* x, std::int64_t channels, std::int64_t height, std::int64_t width,
                            const SeparableWindow& window, float* scratch, float* y);

}  // namespace vidssl
