// The process-wide settings configure_torch_runtime applies (test_main calls it first, as the vidssl
// binary does), checked where they show: the blocks malloc maps, the OpenMP runtimes mapped.
#include <gtest/gtest.h>
#include <malloc.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <string>

namespace vidssl {
namespace {

// An activation of Model A at 640×480 with 64 filters is 78.6 MB: were malloc to map such a buffer,
// it would unmap it on free, and every step would fault its 19 200 pages in afresh.
TEST(TorchRuntime, ALargeActivationIsNotMapped) {
  const size_t mapped_before = mallinfo2().hblkhd;
  const auto activation = torch::empty({1, 64, 480, 640});
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "bytes in mmapped blocks";
}

// LibTorch's parallel_for and the hand-written OpenMP loops (models/**/*_cpu.cpp) must share one
// OpenMP runtime, one thread pool: a PyTorch wheel carries its own libgomp beside the system's.
TEST(TorchRuntime, OneOpenMpRuntimeIsMapped) {
  torch::randn({256, 256}).matmul(torch::randn({256, 256}));
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> runtimes;
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.rfind('/');
    if (slash == std::string::npos) continue;
    const std::string file = line.substr(slash + 1);
    if (file.rfind("libgomp", 0) == 0 || file.rfind("libiomp", 0) == 0 || file.rfind("libomp", 0) == 0)
      runtimes.insert(line.substr(line.find('/')));
  }
  ASSERT_EQ(runtimes.size(), 1u) << "OpenMP runtimes mapped: " << ::testing::PrintToString(runtimes);
}

}  // namespace
}  // namespace vidssl
