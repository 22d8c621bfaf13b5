#include "models/torch_runtime.h"

#include <malloc.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <ATen/autocast_mode.h>
#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <torch/torch.h>
#include <torch/version.h>

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

void configure_cuda(const CudaSettings& settings) {
  at::globalContext().setBenchmarkCuDNN(settings.cudnn_benchmark);
  at::globalContext().setAllowTF32CuDNN(settings.tf32);
  at::globalContext().setAllowTF32CuBLAS(settings.tf32);
}

void check_device_name(const std::string& name) {
  if (name == "auto" || name == "cpu" || name == "cuda") return;
  const std::string prefix = "cuda:";
  const bool numbered = name.size() > prefix.size() && name.size() <= prefix.size() + 3 && name.compare(0, prefix.size(), prefix) == 0 &&
                        std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!numbered) throw std::invalid_argument("device: expected auto, cpu, cuda or cuda:N (N: the GPU's index), got '" + name + "'");
}

torch::Device resolve_device(const std::string& name) {
  check_device_name(name);
  if (name == "cpu") return torch::kCPU;
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (!torch::cuda::is_available())
    throw std::invalid_argument("device " + name + ": no CUDA device is available in this build or machine");
  if (name == "cuda") return torch::kCUDA;
  const int index = std::stoi(name.substr(5));
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (index >= count)
    throw std::invalid_argument("device " + name + ": this machine has " + std::to_string(count) + " CUDA device(s), cuda:0 to cuda:" +
                                std::to_string(count - 1));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

namespace {

// Pinned host tensors whose copies to a device were queued, oldest first, each with an event
// recorded on the copy's stream after it. Process-wide: every thread that uploads (preprocessing,
// Model C's learner) shares one list, behind a mutex.
class UploadsInFlight {
 public:
  void hold(const torch::Tensor& host, torch::Device device) {
    const c10::impl::VirtualGuardImpl guard(device.type());
    c10::Event copied(device.type());
    copied.record(guard.getStream(device));
    const std::lock_guard<std::mutex> lock(mutex_);
    held_.emplace_back(std::move(copied), host);
  }
  // Lets go of the tensors whose copies have finished (events pass in order on one stream; a
  // copy on another stream is let go when it and those before it have passed).
  void release_finished() {
    const std::lock_guard<std::mutex> lock(mutex_);
    while (!held_.empty() && held_.front().first.query()) held_.pop_front();
  }
  std::size_t size() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return held_.size();
  }

 private:
  std::mutex mutex_;
  std::deque<std::pair<c10::Event, torch::Tensor>> held_;
};

UploadsInFlight& uploads() {
  static UploadsInFlight in_flight;
  return in_flight;
}

}  // namespace

torch::Tensor upload(const torch::Tensor& host, torch::Device device) {
  if (!device.is_cuda()) return host.to(device);
  uploads().release_finished();
  if (!host.is_pinned()) return host.pin_memory().to(device, /*non_blocking=*/true);
  torch::Tensor on_device = host.to(device, /*non_blocking=*/true);
  uploads().hold(host, device);
  return on_device;
}

std::size_t uploads_in_flight() { return uploads().size(); }

namespace {

// LibTorch 2.4 names autocast's switches by device type; 1.13 has one pair of functions per type.
bool autocast_enabled(c10::DeviceType type) {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::is_autocast_enabled(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

c10::ScalarType autocast_dtype(c10::DeviceType type) {
#if TORCH_VERSION_MAJOR >= 2
  return at::autocast::get_autocast_dtype(type);
#else
  return type == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(c10::DeviceType type, bool enabled, c10::ScalarType dtype) {
#if TORCH_VERSION_MAJOR >= 2
  at::autocast::set_autocast_enabled(type, enabled);
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

}  // namespace

const char* to_string(Precision precision) { return precision == Precision::bf16 ? "bf16" : "fp32"; }

std::optional<c10::ScalarType> autocast_type(torch::Device device) {
  if (!autocast_enabled(device.type())) return std::nullopt;
  return autocast_dtype(device.type());
}

Autocast::Autocast(torch::Device device, Precision precision)
    : type_(device.type()),
      was_enabled_(autocast_enabled(type_)),
      was_dtype_(autocast_dtype(type_)),
      enables_(precision == Precision::bf16),
      restores_(enables_ || was_enabled_) {
  if (!restores_) return;
  set_autocast(type_, enables_, enables_ ? c10::ScalarType::BFloat16 : was_dtype_);
  if (enables_) at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  if (!restores_) return;
  if (enables_ && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(type_, was_enabled_, was_dtype_);
}

std::string error_message(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) return torch_error->what_without_backtrace();
  return e.what();
}

std::vector<torch::Device> available_devices() {
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA);
  return devices;
}

}  // namespace vidssl
