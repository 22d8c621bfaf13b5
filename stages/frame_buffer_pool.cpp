#include "stages/frame_buffer_pool.h"

#include <torch/torch.h>

#include <algorithm>

#include "models/training/reusable_buffer.h"

namespace vidssl {

torch::Tensor FrameBufferPool::acquire(std::int64_t channels, std::int64_t height, std::int64_t width) {
  const std::vector<std::int64_t> shape{channels, height, width};
  // A folder's clips share one output size, so a buffer of another shape is a leftover: let it go.
  buffers_.erase(std::remove_if(buffers_.begin(), buffers_.end(), [&](const torch::Tensor& b) { return b.sizes() != shape && held_only_here(b); }),
                 buffers_.end());
  for (const torch::Tensor& buffer : buffers_)
    if (held_only_here(buffer)) return buffer.alias();
  torch::Tensor buffer = torch::empty(shape, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(options_.pinned));
  ++allocations_;
  if (buffers_.size() >= options_.max_buffers) return buffer;
  buffers_.push_back(buffer);
  return buffer.alias();
}

}  // namespace vidssl
