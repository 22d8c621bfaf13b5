#include "models/ops/image_op.h"

#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "models/ops/cpu_loops.h"

namespace vidssl {

torch::Tensor as_image_batch(const torch::Tensor& x, const char* op) {
  if (!x.defined()) throw std::invalid_argument(std::string(op) + ": the input tensor is undefined");
  if (x.dim() != 3 && x.dim() != 4)
    throw std::invalid_argument(std::string(op) + ": expected a CxHxW or NxCxHxW tensor, got rank " +
                                std::to_string(x.dim()) + " " + c10::str(x.sizes()));
  if (x.scalar_type() != torch::kFloat32)
    throw std::invalid_argument(std::string(op) + ": expected a float32 tensor, got " +
                                std::string(c10::toString(x.scalar_type())));
  if (x.numel() == 0)
    throw std::invalid_argument(std::string(op) + ": the input " + c10::str(x.sizes()) + " is empty");
  return x.dim() == 4 ? x : x.unsqueeze(0);
}

torch::Tensor like_input_rank(const torch::Tensor& batch, const torch::Tensor& input) {
  return input.dim() == 3 ? batch.squeeze(0) : batch;
}

bool runs_fast_cpu(const torch::Tensor& x, OpPath path) {
  const bool recording_gradient = x.requires_grad() && torch::GradMode::is_enabled();
  return path == OpPath::automatic && x.device().is_cpu() && !recording_gradient;
}

float* thread_scratch(std::size_t floats) {
  enum class Use { image_op_scratch };
  return thread_buffer<float, Use::image_op_scratch>(floats);
}

}  // namespace vidssl
