#pragma once

#include <torch/types.h>

namespace vidssl {

// conv2d(codes, weight, padding k/2) for a decoder weight C×F×k×k that maps many feature maps
// to few image channels (C ≪ F, k odd), with the same value and gradients, computed in pieces
// that are fast for that shape:
//   forward      a depthwise correlation of each feature map with its filters, summed over F
//   ∂/∂codes     the adjoint, a C -> F convolution with the flipped kernel (the encoder's shape)
//   ∂/∂weight    the weight gradient of a C -> F convolution of the output gradient (oneDNN's
//                fast shape), flipped and transposed back
// Why: LibTorch's convolution serves one output channel poorly on CPU (oneDNN) and on GPU
// (cuDNN, see PERFORMANCE.md). Measured on the 2-core machine at 160×120, 32 filters 9×9, a
// pair of frames: conv2d forward + backward 26 ms, these pieces 8 ms.
torch::Tensor decoder_conv2d(const torch::Tensor& codes, const torch::Tensor& weight);

// conv2d(image, weight, padding k/2) for an encoder weight F×C×k×k (C ≪ F, k odd) whose input needs
// a gradient, as LISTA's factored step W_e ∗ (x − A ∗ h) does: the forward is the fast C -> F shape,
// but ∂/∂image is an F -> C convolution, the shape above; it is computed as decoder_conv2d computes
// its forward (depthwise, then summed). Measured on the 2-core machine, 8 frames of 160×120, 32
// filters 9×9: that F -> C pass takes 1.27 s as one convolution, 0.11 s depthwise.
torch::Tensor encoder_conv2d(const torch::Tensor& image, const torch::Tensor& weight);

}  // namespace vidssl
