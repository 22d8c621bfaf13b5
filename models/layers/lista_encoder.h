#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace vidssl {

// How LISTA's lateral term S ∗ h_k is parameterized.
// full: S is a free F×F convolution of (2k−1)² support (Gregor & LeCun 2010; DESIGN §6).
// factored: S = I − W_e ∗ A, A a learned C×F×k×k dictionary, as convolutional LISTA is usually
//   written (Sreter & Giryes, "Learned convolutional sparse coding", ICASSP 2018):
//   h_{k+1} = shrink_θ(h_k + W_e ∗ (x − A ∗ h_k)). A departure from DESIGN §6, for speed: at 160×120
//   with 32 filters 9×9 on one channel, S is 32·32·17² = 295 k weights and costs 5.7 G multiply-adds
//   a frame and step; W_e and A cost 2 × 50 M. Measured, a training step of 4 pairs on one thread:
//   about 50 s full, 2 s factored (the relu encoder: 0.5 s). It learns less freely (S has rank C
//   at every spatial frequency), and it is exact ISTA at the image borders too, where a single
//   (2k−1)² kernel is not.
enum class ListaLateral { full, factored };

const char* to_string(ListaLateral lateral);

// Learned ISTA (Gregor & LeCun 2010): K unrolled, trainable steps of iterative shrinkage that
// approximate sparse coding in a fixed time, so the encoder can run on every frame.
//   h₀ = shrink_θ(W_e ∗ x),  h_{k+1} = shrink_θ(W_e ∗ x + S ∗ h_k),  k = 0 … steps−1
// with S as `lateral` says and one threshold θ per feature. init_from_decoder() makes it exactly
// `steps`+1 ISTA iterations from h = 0 on the energy ½‖x − W_d ∗ h‖² + α‖h‖₁ (full: away from the
// image borders, see dictionary_gram_kernel; factored: everywhere).
//
//   ListaEncoder enc(ListaEncoderOptions(1, 64).kernel(9).steps(3).lateral(ListaLateral::factored));
//   enc->init_from_decoder(decoder->weight, /*alpha=*/0.5);
//   auto h = enc(x);
struct ListaEncoderOptions {
  ListaEncoderOptions(std::int64_t channels, std::int64_t filters) : channels_(channels), filters_(filters) {}
  TORCH_ARG(std::int64_t, channels);
  TORCH_ARG(std::int64_t, filters);
  TORCH_ARG(std::int64_t, kernel) = 9;
  TORCH_ARG(std::int64_t, steps) = 3;
  TORCH_ARG(double, initial_threshold) = 0.1;
  TORCH_ARG(ListaLateral, lateral) = ListaLateral::full;
};

class ListaEncoderImpl : public torch::nn::Module {
 public:
  explicit ListaEncoderImpl(ListaEncoderOptions options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x);
  // W_e = W_dᵀ/L, S = I − W_dᵀW_d/L (factored: A = W_d), θ = α/L, with L the Lipschitz constant of
  // the dictionary.
  void init_from_decoder(const torch::Tensor& decoder_weight, double alpha);

  ListaEncoderOptions options;
  torch::nn::Conv2d filter{nullptr};   // W_e: C → F, k×k
  torch::nn::Conv2d lateral{nullptr};  // full: S, F → F, (2k−1)×(2k−1)
  torch::Tensor reconstruct;           // factored: A, C×F×k×k (a decoder weight)
  torch::Tensor threshold;             // θ: [F]
};
TORCH_MODULE(ListaEncoder);

}  // namespace vidssl
