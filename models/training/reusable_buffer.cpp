#include "models/training/reusable_buffer.h"

#include <torch/torch.h>

namespace vidssl {

bool held_only_here(const torch::Tensor& buffer) { return buffer.use_count() == 1 && buffer.storage().use_count() == 1; }

torch::Tensor& reuse_or_allocate(torch::Tensor& buffer, at::IntArrayRef sizes, const torch::TensorOptions& options) {
  const bool reusable = buffer.defined() && held_only_here(buffer) && buffer.sizes() == sizes &&
                        buffer.scalar_type() == options.dtype().toScalarType() && buffer.device() == options.device();
  if (!reusable) buffer = torch::empty(sizes, options);
  return buffer;
}

}  // namespace vidssl
