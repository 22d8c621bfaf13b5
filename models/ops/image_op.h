#pragma once

#include <torch/types.h>

#include <cstddef>

namespace vidssl {

// Which implementation an image op (ContrastNormalizer, GaussianPyramid, LaplacianPyramid, StereoMatcher) runs.
// `automatic`: hand-written loops for CPU tensors (torch ops where a gradient is being recorded, since
// the loops record none), torch ops on other devices. `reference`: torch ops on every device; it is
// what the loops are tested against, on CPU, and what the GPU runs.
enum class OpPath { automatic, reference };

// The input checks the image ops share, so their messages read alike: rank 3 (C×H×W) or 4 (N×C×H×W),
// float32, no empty dimension. Returns x viewed as N×C×H×W. `op` names the caller in the message;
// failures throw std::invalid_argument.
torch::Tensor as_image_batch(const torch::Tensor& x, const char* op);

// Gives an N×C×H×W result back the rank of the op's input (C×H×W in, C×H×W out).
torch::Tensor like_input_rank(const torch::Tensor& batch, const torch::Tensor& input);

// True where `path` and `x` select the hand-written CPU loops.
bool runs_fast_cpu(const torch::Tensor& x, OpPath path);

// The calling thread's scratch floats, kept between calls, so that after the first frame of a size
// the fast paths allocate nothing but their outputs. Valid until this thread asks again.
float* thread_scratch(std::size_t floats);

}  // namespace vidssl
