// The process-wide settings configure_torch_runtime applies (test_main calls it first, as the vidssl
// binary does), checked where they show: the pages a step faults in, the OpenMP runtimes mapped.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace vidssl {
namespace {

long minor_page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// An activation of Model A at 640×480 with 64 filters is 78.6 MB: when malloc maps such a buffer
// and unmaps it on free, every step faults its 19 200 pages in afresh.
TEST(TorchRuntime, AFreedLargeActivationIsReusedWithoutFaultingItsPagesInAgain) {
  const std::vector<int64_t> shape{1, 64, 480, 640};
  torch::empty(shape).fill_(1.0f);
  const long before = minor_page_faults();
  torch::empty(shape).fill_(2.0f);
  EXPECT_LT(minor_page_faults() - before, 1000);
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
