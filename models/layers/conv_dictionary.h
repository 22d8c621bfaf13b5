#pragma once

#include <torch/types.h>

namespace vidssl {

// A convolutional dictionary D given by a decoder weight W of shape C×F×k×k (k odd): D maps
// codes h (N×F×H×W) to images (N×C×H×W) with zero-padded "same" convolution. Sparse coding
// (ISTA, FISTA, LISTA's initialisation) needs D, its adjoint Dᵀ and the Lipschitz constant of
// ∇½‖x − Dh‖², i.e. the largest eigenvalue of DᵀD.

// D h
torch::Tensor dictionary_apply(const torch::Tensor& h, const torch::Tensor& weight);
// Dᵀ r (the exact adjoint of dictionary_apply on the same domain)
torch::Tensor dictionary_adjoint(const torch::Tensor& r, const torch::Tensor& weight);
// The largest eigenvalue of DᵀD by power iteration on a size×size code map.
double dictionary_lipschitz(const torch::Tensor& weight, std::int64_t size = 32, int iterations = 50);
// DᵀD as one F×F×(2k−1)×(2k−1) cross-correlation kernel (padding k−1). Away from the borders it
// equals dictionary_adjoint(dictionary_apply(h)); at the borders it differs, because there the
// composition truncates the intermediate image to the image domain and one convolution cannot.
torch::Tensor dictionary_gram_kernel(const torch::Tensor& weight);

}  // namespace vidssl
