#include "models/training/host_read.h"

#include <torch/torch.h>

namespace vidssl {

namespace {
thread_local std::int64_t reads = 0;
}  // namespace

torch::Tensor read_to_host(const torch::Tensor& tensor) {
  ++reads;
  return tensor.detach().to(torch::kCPU).contiguous();
}

std::int64_t host_reads_on_this_thread() { return reads; }

}  // namespace vidssl
