#include "stages/decoder_threads.h"

#include <algorithm>
#include <cstdint>

namespace vidssl {

int auto_decoder_threads(int native_width, int native_height, int spare_cores) {
  constexpr std::int64_t kPixelsPerThread = 500000;
  constexpr int kMostThreads = 16;
  const std::int64_t pixels = static_cast<std::int64_t>(std::max(native_width, 0)) * std::max(native_height, 0);
  const auto by_size = static_cast<int>(std::min<std::int64_t>((pixels + kPixelsPerThread - 1) / kPixelsPerThread, kMostThreads));
  return std::clamp(std::min(by_size, spare_cores), 1, kMostThreads);
}

int spare_cores(int cores, int learners, int torch_threads, bool on_gpu) {
  cores = std::max(cores, 1);
  const int per_learner = on_gpu ? 1 : (torch_threads > 0 ? torch_threads : cores);
  const int training = std::min(cores, learners * per_learner);
  return std::max(0, cores - 1 - training);
}

}  // namespace vidssl
