#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace vidssl {

// The classifier's shape (DESIGN §8.5).
//
//   neartofar: { features: 20, window_features: 100 }
struct TraversabilityNetOptions {
  TORCH_ARG(std::int64_t, in_channels) = 3;        // YUV
  TORCH_ARG(std::int64_t, features) = 20;          // conv 7×6, then max-pool 1×4
  TORCH_ARG(std::int64_t, window_features) = 100;  // conv 6×5, ReLU: one vector per 12×25 window
  TORCH_ARG(std::int64_t, classes) = 5;

 public:
  // The window one output column sees, and the step between output columns (band pixels).
  static constexpr std::int64_t window_rows = 12;
  static constexpr std::int64_t window_width = 25;
  static constexpr std::int64_t window_stride = 4;
  void check() const;  // std::invalid_argument naming the option
};

// LAGR's long-range classifier (Hadsell et al., JFR 2009): conv 7×6 → max-pool 1×4 → conv 6×5 →
// ReLU → 1×1 logistic regression, applied convolutionally along a 12-row band, so output column j
// holds the class scores of the 12×25 window at band columns [4j, 4j + 25), computed once for all
// overlapping windows. Why so small: it learns online from a few hundred labeled windows per frame
// and must classify thousands of windows per frame in a few milliseconds on a CPU.
//
//   TraversabilityNet net(TraversabilityNetOptions());
//   torch::Tensor logits = net(band.image.unsqueeze(0));  // 1×3×12×W → 1×5×1×((W − 25)/4 + 1)
class TraversabilityNetImpl : public torch::nn::Module {
 public:
  explicit TraversabilityNetImpl(TraversabilityNetOptions options = {});
  void reset();

  // N×C×12×W → N×window_features×1×W' (the 100-feature vectors).
  torch::Tensor features(const torch::Tensor& bands);
  // N×C×12×W → N×classes×1×W' (logits).
  torch::Tensor forward(const torch::Tensor& bands);
  // The logistic layer alone on features (for training only it, the rest frozen).
  torch::Tensor classify(const torch::Tensor& features);

  // Starts the first layer from a convolutional encoder trained without labels (Model A's
  // F×1×k×k filters, k ≥ 7): filter i's central 7×6 patch becomes feature i's luma weights (chroma 0),
  // for i < min(F, features). Returns the number of features initialised.
  std::int64_t init_from_encoder(const torch::Tensor& encoder_weight);

  TraversabilityNetOptions options;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, logistic{nullptr};
};
TORCH_MODULE(TraversabilityNet);

}  // namespace vidssl
