#pragma once

#include <torch/types.h>

namespace vidssl {

// `buffer` itself when it can be overwritten with a tensor of these sizes and options, else a new
// empty one put in its place. It can when nothing else refers to it, neither another handle nor a
// view of its storage: a checkpoint's copies (the replay buffer stacked, the snapshot of the live
// state) are then made into the last checkpoint's memory once that was written and let go, so a
// long run does not allocate its largest buffers afresh at every checkpoint (docs/benchmarks.md).
torch::Tensor& reuse_or_allocate(torch::Tensor& buffer, at::IntArrayRef sizes, const torch::TensorOptions& options);

}  // namespace vidssl
