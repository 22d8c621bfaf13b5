#pragma once

#include <torch/types.h>

namespace vidssl {

// `buffer` itself when it can be overwritten with a tensor of these sizes and options, else a new
// empty one put in its place. It can when nothing else refers to it, neither another handle nor a
// view of its storage: a checkpoint's copies (the replay buffer stacked, the snapshot of the live
// state) are then made into the last checkpoint's memory once that was written and let go, so a
// long run does not allocate its largest buffers afresh at every checkpoint (docs/benchmarks.md).
// Whether `buffer` is the only thing that refers to its memory: no other handle, no view of its
// storage. Reference counts fall, never rise, while only their holder can copy the handle, so a
// true answer stays true until the holder hands the buffer out again.
bool held_only_here(const torch::Tensor& buffer);

torch::Tensor& reuse_or_allocate(torch::Tensor& buffer, at::IntArrayRef sizes, const torch::TensorOptions& options);

}  // namespace vidssl
