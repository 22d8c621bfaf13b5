#pragma once

// What the hand-written CPU loops (models/ops/*_cpu.cpp, models/layers/*_cpu.cpp) share. Those files
// include no torch header beyond ATen/Parallel.h, so models/CMakeLists.txt can compile them with their
// own flags (see there) without invalidating the torch precompiled header.

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

// On a function of plain loops over a row: on x86-64 GCC compiles it for AVX-512 and AVX2 as well as
// the baseline (SSE2), and the loader picks the widest the CPU has (an ifunc), so one binary uses
// the vector width of whatever machine runs it (measured: docs/benchmarks.md, 2026-12-01 fifth sitting).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VIDSSL_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VIDSSL_VECTOR_CLONES
#endif

namespace vidssl {

// Rows per at::parallel_for task: enough pixels per task that waking a second thread pays off.
inline std::int64_t rows_per_task(std::int64_t width) {
  constexpr std::int64_t kPixelsPerTask = 16384;
  return std::max<std::int64_t>(1, kPixelsPerTask / std::max<std::int64_t>(1, width));
}

// The calling thread's buffer of at least `n` elements, one per element type and `use` (any value
// naming what it holds), kept between calls: after the first frame of a size the fast paths allocate
// nothing but their outputs. Valid until this thread asks for the same buffer again.
template <typename T, auto use>
T* thread_buffer(std::size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

}  // namespace vidssl
