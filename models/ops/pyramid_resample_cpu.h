#pragma once

#include <cstdint>

namespace vidssl {

// [1 4 6 4 1] / 16, and twice that for upsampling (half the samples are inserted zeros): both paths
// filter with these.
inline constexpr float kBinomial[5] = {1.f / 16, 4.f / 16, 6.f / 16, 4.f / 16, 1.f / 16};
inline constexpr float kBinomialUp[5] = {2.f / 16, 8.f / 16, 12.f / 16, 8.f / 16, 2.f / 16};

// The CPU loops of pyramid_down and pyramid_up_add on `planes` contiguous H×W float planes, rows
// split over at::parallel_for. See pyramid_resample.h for the arithmetic. Buffers are distinct.

// Floats of scratch pyramid_down_cpu needs.
std::int64_t pyramid_down_scratch(std::int64_t planes, std::int64_t height, std::int64_t width);

// src: planes × H × W → dst: planes × ceil(H/2) × ceil(W/2). H, W ≥ 3.
void pyramid_down_cpu(const float* src, std::int64_t planes, std::int64_t height, std::int64_t width, float* scratch,
                      float* dst);

// Floats of scratch pyramid_up_add_cpu needs.
std::int64_t pyramid_up_add_scratch(std::int64_t planes, std::int64_t height, std::int64_t width);

// dst = base + scale · up(coarse): base and dst planes × H × W, coarse planes × ceil(H/2) × ceil(W/2). H, W ≥ 3.
void pyramid_up_add_cpu(const float* base, const float* coarse, float scale, std::int64_t planes, std::int64_t height,
                        std::int64_t width, float* scratch, float* dst);

}  // namespace vidssl
