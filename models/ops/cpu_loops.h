#pragma once

// What the hand-written CPU loops of the image ops (models/ops/*_cpu.cpp) share. Those files include
// no torch header beyond ATen/Parallel.h, so models/CMakeLists.txt can compile them with their own
// flags (see there) without invalidating the torch precompiled header.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>

namespace vidssl {

// Rows per at::parallel_for task: enough pixels per task that waking a second thread pays off.
inline std::int64_t rows_per_task(std::int64_t width) {
  constexpr std::int64_t kPixelsPerTask = 16384;
  return std::max<std::int64_t>(1, kPixelsPerTask / std::max<std::int64_t>(1, width));
}

}  // namespace vidssl
