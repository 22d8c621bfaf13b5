#include "models/training/reusable_buffer.h"

#include <torch/torch.h>

namespace vidssl {

torch::Tensor& reuse_or_allocate(torch::Tensor& buffer, at::IntArrayRef sizes, const torch::TensorOptions& options) {
  const bool reusable = buffer.defined() && buffer.use_count() == 1 && buffer.storage().use_count() == 1 && buffer.sizes() == sizes &&
                        buffer.scalar_type() == options.dtype().toScalarType() && buffer.device() == options.device();
  if (!reusable) buffer = torch::empty(sizes, options);
  return buffer;
}

}  // namespace vidssl
