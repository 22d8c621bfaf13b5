#include <gtest/gtest.h>

#include <cstdlib>

#include "models/torch_runtime.h"

// ctest -j2 runs two test processes on the 2-core machine: one LibTorch thread each keeps them
// from oversubscribing. VIDSSL_TEST_THREADS overrides it.
int main(int argc, char** argv) {
  const char* threads = std::getenv("VIDSSL_TEST_THREADS");
  vidssl::configure_torch_runtime(threads ? std::atoi(threads) : 1);
  // Full fp32 on a GPU: tests compare its figures with the CPU's at tolerances TF32 would break,
  // and timing searches would only make the short tests slower.
  vidssl::configure_cuda({.cudnn_benchmark = false, .tf32 = false});
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
