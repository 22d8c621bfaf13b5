#pragma once

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vidssl {

// The host memory a source decodes its frames into, recycled: a buffer goes back to the pool when
// no one holds it any more (the frame, its views, the display's copy of `original`, an upload still
// in flight: upload() in models/torch_runtime.h), so after the first few frames a run allocates no
// frame memory. Pinned (page-locked) when a learner trains on a GPU: the upload then reads the
// buffer directly, without the driver's staging copy, and does not block the preprocessing thread.
//
// Buffers in use are found by their reference counts (held_only_here, models/training/
// reusable_buffer.h): only the pool's own handle left means free. The count is read with acquire
// ordering and, once it is 1, only acquire() can raise it again, so a buffer is never handed out
// while another thread still reads or writes it. A pool
// keeps at most `max_buffers`: when that many are all in use (a learner that keeps decoded frames),
// a frame gets memory of its own, counted in allocations(), and the run goes on as without a pool.
//
//   FrameBufferPool pool({.pinned = device.is_cuda()});
//   torch::Tensor image = pool.acquire(1, 240, 320);   // uint8 1×240×320, write the frame into it
struct FrameBufferPoolOptions {
  bool pinned = false;
  std::size_t max_buffers = 64;
};

class FrameBufferPool {
 public:
  explicit FrameBufferPool(FrameBufferPoolOptions options = {}) : options_(options) {}

  // A C×H×W uint8 tensor no one else holds, contents undefined.
  torch::Tensor acquire(std::int64_t channels, std::int64_t height, std::int64_t width);

  bool pinned() const { return options_.pinned; }
  // Buffers allocated so far (the pool's and any beyond max_buffers): after warm-up it stops
  // growing, at about the number of frames in flight between the source and the last learner.
  std::int64_t allocations() const { return allocations_; }
  std::size_t size() const { return buffers_.size(); }

 private:
  FrameBufferPoolOptions options_;
  std::vector<torch::Tensor> buffers_;
  std::int64_t allocations_ = 0;
};

}  // namespace vidssl
