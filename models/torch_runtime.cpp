#include "models/torch_runtime.h"

#include <malloc.h>

#include <stdexcept>
#include <thread>

#include <torch/torch.h>

namespace vidssl {

void configure_torch_runtime(int threads) {
  // No mmap at any size: glibc maps a buffer above M_MMAP_THRESHOLD and unmaps it on free, so every
  // step faulted its activations in afresh. Older glibc refuses a threshold above 32 MiB, less than
  // one 640×480 activation with 64 filters (78.6 MB), and then keeps the 128 KiB default; M_MMAP_MAX
  // has no ceiling. Measured with the threshold such a glibc leaves, Model A at 640×480 64 filters:
  // 0.25 -> 0.45 steps/s, 1 M -> 0 page faults per step (docs/benchmarks.md).
  // Freed memory stays in the heap for the next step (M_TRIM_THRESHOLD).
  // One arena: glibc gives other threads their own 64 MB heaps, which these settings do not
  // cover, so a training thread's activations were mapped and faulted in afresh every step.
  // Measured, Model A end to end at 160×120 batch 4: 4.4 -> 14.4 steps/s, page faults 22k -> 0.5k
  // per step.
  if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1 || mallopt(M_ARENA_MAX, 1) != 1)
    throw std::runtime_error("configure_torch_runtime: glibc refused M_MMAP_MAX, M_TRIM_THRESHOLD or M_ARENA_MAX");
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(threads > 0 ? threads : (cores > 0 ? cores : 1));
}

void release_free_memory() { malloc_trim(0); }

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("--device cuda: no CUDA device is available in this build or machine");
    return torch::kCUDA;
  }
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  throw std::invalid_argument("--device: expected auto, cpu or cuda, got '" + name + "'");
}

std::vector<torch::Device> available_devices() {
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA);
  return devices;
}

}  // namespace vidssl
