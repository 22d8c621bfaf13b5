#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace vidssl {

// Learned ISTA (Gregor & LeCun 2010): K unrolled, trainable steps of iterative shrinkage that
// approximate sparse coding in a fixed time, so the encoder can run on every frame.
//   h₀ = shrink_θ(W_e ∗ x),  h_{k+1} = shrink_θ(W_e ∗ x + S ∗ h_k),  k = 0 … steps−1
// with S an F×F convolution of (2k−1)² support and one threshold θ per feature.
// init_from_decoder() makes it exactly `steps`+1 ISTA iterations from h = 0 on the energy
// ½‖x − W_d ∗ h‖² + α‖h‖₁ (away from the image borders; see dictionary_gram_kernel).
//
//   ListaEncoder enc(ListaEncoderOptions(1, 64).kernel(9).steps(3));
//   enc->init_from_decoder(decoder->weight, /*alpha=*/0.5);
//   auto h = enc(x);
struct ListaEncoderOptions {
  ListaEncoderOptions(std::int64_t channels, std::int64_t filters) : channels_(channels), filters_(filters) {}
  TORCH_ARG(std::int64_t, channels);
  TORCH_ARG(std::int64_t, filters);
  TORCH_ARG(std::int64_t, kernel) = 9;
  TORCH_ARG(std::int64_t, steps) = 3;
  TORCH_ARG(double, initial_threshold) = 0.1;
};

class ListaEncoderImpl : public torch::nn::Module {
 public:
  explicit ListaEncoderImpl(ListaEncoderOptions options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x);
  // W_e = W_dᵀ/L, S = I − W_dᵀW_d/L, θ = α/L, with L the Lipschitz constant of the dictionary.
  void init_from_decoder(const torch::Tensor& decoder_weight, double alpha);

  ListaEncoderOptions options;
  torch::nn::Conv2d filter{nullptr};   // W_e: C → F, k×k
  torch::nn::Conv2d lateral{nullptr};  // S: F → F, (2k−1)×(2k−1)
  torch::Tensor threshold;             // θ: [F]
};
TORCH_MODULE(ListaEncoder);

}  // namespace vidssl
