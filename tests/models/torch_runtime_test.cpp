// The process-wide settings configure_torch_runtime applies (test_main calls it first, as the vidssl
// binary does), checked where they show: the blocks malloc maps, the OpenMP runtimes mapped.
#include <gtest/gtest.h>
#include <malloc.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "models/torch_runtime.h"

namespace vidssl {
namespace {

// An activation of Model A at 640×480 with 64 filters is 78.6 MB: were malloc to map such a buffer,
// it would unmap it on free, and every step would fault its 19 200 pages in afresh.
TEST(TorchRuntime, ALargeActivationIsNotMapped) {
  const size_t mapped_before = mallinfo2().hblkhd;
  const auto activation = torch::empty({1, 64, 480, 640});
  EXPECT_EQ(mallinfo2().hblkhd, mapped_before) << "bytes in mmapped blocks";
}

std::int64_t resident_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

// A checkpoint's buffers, freed below a block still in use, stay resident under these settings (no
// trim): release_free_memory gives their pages back; the memory in use is untouched.
TEST(TorchRuntime, ReleasingFreeMemoryGivesFreedBuffersPagesBack) {
  std::vector<torch::Tensor> buffers;
  for (int i = 0; i < 16; ++i) buffers.push_back(torch::ones({1 << 20}));  // 16 × 4 MB, touched
  const auto kept = torch::ones({1 << 10});                                // above them in the heap
  buffers.clear();
  const std::int64_t freed = resident_kb();
  release_free_memory();
  const std::int64_t released = resident_kb();
  EXPECT_LT(released, freed - 40 * 1024) << "kB resident before " << freed << ", after " << released;
  EXPECT_EQ(kept.sum().item<float>(), 1024.0f);
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


TEST(TorchRuntime, DeviceNamesAreCheckedAndAMissingGpuIsNamed) {
  for (const char* good : {"auto", "cpu", "cuda", "cuda:0", "cuda:12"}) EXPECT_NO_THROW(check_device_name(good)) << good;
  for (const char* bad : {"", "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1234", "CPU", "cuda0"}) {
    try {
      check_device_name(bad);
      ADD_FAILURE() << "'" << bad << "' accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("expected auto, cpu, cuda or cuda:N"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(resolve_device("cpu"), torch::Device(torch::kCPU));
  const auto gpus = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  if (gpus > 0) {
    EXPECT_EQ(resolve_device("cuda:0"), torch::Device(torch::kCUDA, 0));
  }
  try {
    resolve_device("cuda:" + std::to_string(gpus));
    ADD_FAILURE() << "a GPU past the last accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:" + std::to_string(gpus)), std::string::npos) << e.what();
  }
}

// run.precision: bf16 makes the convolutions of the scope bfloat16, nested scopes included, and
// only there (an fp32 scope inside turns it off); the weight stays float32 and its gradient agrees with float32's to bfloat16's
// precision (8 bits of mantissa: 2^-8 relative per rounding).
TEST(TorchRuntime, Bf16AutocastRunsConvolutionsInBfloat16ForItsScopeOnly) {
  for (const torch::Device device : available_devices()) {
    SCOPED_TRACE(device.str());
    torch::manual_seed(1);
    const auto x = torch::randn({2, 1, 12, 12}, device);
    const auto w = torch::randn({4, 1, 5, 5}, device).requires_grad_();
    {
      const Autocast fp32(device, Precision::fp32);
      EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat);
    }
    torch::Tensor loss;
    {
      const Autocast bf16(device, Precision::bf16);
      EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
      {
        const Autocast inner(device, Precision::bf16);
        EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kBFloat16);
      }
      {
        const Autocast full_precision(device, Precision::fp32);
        EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat) << "fp32 inside bf16 turns autocast off";
      }
      const auto y = torch::conv2d(x, w);
      EXPECT_EQ(y.scalar_type(), torch::kBFloat16) << "still inside the outer scope";
      loss = y.to(torch::kFloat).pow(2).sum();
    }
    EXPECT_EQ(torch::conv2d(x, w).scalar_type(), torch::kFloat);
    loss.backward();
    const auto bf16_grad = w.grad().clone();
    w.mutable_grad().zero_();
    torch::conv2d(x, w).pow(2).sum().backward();
    EXPECT_EQ(bf16_grad.scalar_type(), torch::kFloat);
    const double relative = ((bf16_grad - w.grad()).norm() / w.grad().norm()).item<double>();
    EXPECT_LT(relative, 0.03);
    EXPECT_GT(relative, 0.0) << "the scope computed in bfloat16";
  }
}

// A LibTorch error's what() carries a backtrace of many lines (LibTorch 1.13); error_message is the
// message alone.
TEST(TorchRuntime, ErrorMessageLeavesLibTorchsBacktraceOut) {
  try {
    TORCH_CHECK(false, "Socket Timeout");
    ADD_FAILURE() << "TORCH_CHECK(false) did not throw";
  } catch (const std::exception& e) {
    EXPECT_EQ(error_message(e), "Socket Timeout") << e.what();
  }
  EXPECT_EQ(error_message(std::runtime_error("no such file")), "no such file");
}

}  // namespace
}  // namespace vidssl
