#pragma once

#include <torch/types.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace vidssl {

// Process-wide settings measured to matter on CPU, applied once at program start:
// - LibTorch starts with 1 intra-op thread on some machines: use `threads` (0 = all cores).
// - glibc malloc mmaps and unmaps every large activation buffer on every step (2-3.5x slower
//   training): turn mmap off (M_MMAP_MAX = 0) and raise M_TRIM_THRESHOLD so freed buffers are
//   reused, and keep every thread in the main arena (M_ARENA_MAX = 1), where those settings apply.
//   Throws std::runtime_error when glibc refuses one.
// Call it before any other thread starts.
void configure_torch_runtime(int threads = 0);

// Returns the heap's free pages to the system (glibc's malloc_trim). With mmap off and the trim
// threshold raised (above), freed memory stays resident: right for a step's activations, which the
// next step reuses, wrong for a checkpoint's buffers (the state copied, stacked and pickled: tens of
// MB, once per checkpoint), whose holes later allocations fragment, so that the heap and the
// resident size grew all run. Measured, Model A at 160×120 with a checkpoint every 50 steps
// (bench/rss_soak.sh): 150 MB in use in a heap of 855 MB, 966 MB resident, after 3 minutes.
// Called after each checkpoint: a pass over the free lists, then page faults at the next step for
// the activations it gave back.
void release_free_memory();

// The message of `e` for a one-line error: a c10::Error's what() (every TORCH_CHECK, the store's
// and Gloo's socket errors) appends a C++ backtrace of a dozen lines, which this leaves out
// (c10::Error::what_without_backtrace); other exceptions' what(). Use it wherever a LibTorch
// exception's message is wrapped into one of vidssl's.
std::string error_message(const std::exception& e);

// Process-wide settings of the CUDA libraries (no effect without a GPU):
// - cudnn_benchmark: cuDNN times its algorithms for each new shape and keeps the fastest. An
//   online run trains on one frame size for hours, so the first steps' search pays back.
// - tf32: convolutions and matrix products on Ampere and later round their inputs to TF32 (a
//   10-bit mantissa): several times faster, about 1e-3 relative error. PyTorch's default for
//   convolutions; the tests turn it off wherever they compare a GPU's figures with the CPU's.
//
//   run: { cudnn_benchmark: true, tf32: true }
struct CudaSettings {
  bool cudnn_benchmark = true;
  bool tf32 = true;
};
void configure_cuda(const CudaSettings& settings);

// The precision a learner's forward pass runs in (run.precision):
// - fp32: everything in float32.
// - bf16: the forward pass (the loss) under autocast: convolutions and matrix products take
//   bfloat16 inputs (8 bits of mantissa, float32's exponent range), the ops autocast keeps in
//   float32 (losses, norms, exponentials) stay there. Weights, gradients and the optimizer's state
//   stay float32, and no loss scaling is needed (the range is float32's). For GPUs with bf16
//   tensor cores (Ampere and later); on the development VM's AMD EPYC (avx512_bf16) a training
//   step takes as long as in float32, within 20 % either way (docs/benchmarks.md).
//
//   run: { precision: bf16 }
enum class Precision { fp32, bf16 };
const char* to_string(Precision precision);  // "fp32", "bf16": the key's values

// The guard's scope runs in `precision` on `device`'s type, on this thread (autocast is
// thread-local), as torch.autocast does: bf16 turns autocast on, and on leaving the outermost such
// scope the bfloat16 copies of the weights made inside it are dropped, since the step about to be
// taken changes the weights; fp32 turns it off inside a bf16 scope (a solver that needs full
// precision) and is a no-op elsewhere. Wrap the forward pass only: backward replays the casts the
// forward recorded.
//
//   { const Autocast autocast(device, precision); loss = model->loss(batch); }
//   loss.backward();
class Autocast {
 public:
  Autocast(torch::Device device, Precision precision);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  c10::DeviceType type_;
  bool was_enabled_;
  c10::ScalarType was_dtype_;
  bool enables_;    // bf16: this scope turned autocast on and counts in its nesting
  bool restores_;   // the scope changed the thread's autocast state
};

// The type autocast casts this thread's convolutions on `device` to, or nullopt when it is off. For
// a custom autograd function, which must see one type in its forward and its backward: it casts
// its inputs to this type first, as torch.amp.custom_fwd does.
std::optional<c10::ScalarType> autocast_type(torch::Device device);

// Throws std::invalid_argument naming the choice unless `name` is "auto", "cpu", "cuda" or
// "cuda:N" (the N-th GPU); whether that device exists is resolve_device's to say.
void check_device_name(const std::string& name);
// "auto" (CUDA when present), "cpu", "cuda" or "cuda:N"; throws std::invalid_argument naming the
// choice, also when this build or machine has no such device.
torch::Device resolve_device(const std::string& name);

// A host tensor on `device` (on the CPU: `host` itself). To a GPU it is sent without waiting, from
// pinned (page-locked) memory: a copy from pageable memory is staged by the driver and blocks the
// host. Pageable memory is first copied into a buffer of LibTorch's caching host allocator, which
// recycles it once the device has read it. Memory already pinned (a frame of a pinned
// FrameBufferPool, stages/frame_buffer_pool.h) is sent as it is, and held here until an event
// recorded after its copy has passed: a pool recycles a buffer as soon as no one holds it, and
// must not overwrite one the copy still reads. Held buffers are let go by later uploads.
torch::Tensor upload(const torch::Tensor& host, torch::Device device);
// Pinned host tensors upload() still holds for copies that may not have finished.
std::size_t uploads_in_flight();

// Every device this process can use: CPU, then CUDA when present (tests loop over these).
std::vector<torch::Device> available_devices();

}  // namespace vidssl
