#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/ops/image_op.h"

namespace vidssl {

//   preprocess: { kernel: 9, sigma: 2.0 }
struct ContrastNormalizerOptions {
  int kernel_size = 9;  // side of the Gaussian window, odd
  double sigma = 2.0;   // its standard deviation, pixels
};
// Throws std::invalid_argument naming the option by its key under preprocess: ("kernel: …").
void check_options(const ContrastNormalizerOptions& options);

// Local contrast normalization (DESIGN §5), so that the models see edges and texture at a
// comparable scale whatever the lighting: per image,
//   v = x − w ∗ x,   σ = sqrt(w ∗ v²),   y = v / max(c, σ),   c = mean of σ over the image,
// w a Gaussian window normalized over C×k×k (the mean and σ are shared by the channels). Outside
// the image w ∗ reads zeros and is divided by the window mass inside the image, so border pixels
// use the part of the window that is there. A constant image maps to exactly 0.
//
//   ContrastNormalizer normalize;                 // 9×9, σ = 2
//   torch::Tensor y = normalize(frame);           // frame: float C×H×W or N×C×H×W, any device
//
// CPU tensors go through hand-written loops (separable, both cores); `OpPath::reference` forces the
// torch-ops path, which is also what runs on the GPU. Copies share the border-mass cache; calls from
// several threads are safe.
class ContrastNormalizer {
 public:
  explicit ContrastNormalizer(ContrastNormalizerOptions options = {});

  torch::Tensor operator()(const torch::Tensor& x, OpPath path = OpPath::automatic) const;

  const ContrastNormalizerOptions& options() const { return options_; }

  // The 1-D Gaussian (sum 1) whose outer product, divided by C, is the window.
  const std::vector<float>& taps() const { return taps_; }

 private:
  struct BorderMass;
  struct MassCache;

  torch::Tensor run_reference(const torch::Tensor& batch) const;
  torch::Tensor run_cpu(const torch::Tensor& batch) const;
  std::shared_ptr<const BorderMass> border_mass(std::int64_t height, std::int64_t width) const;

  ContrastNormalizerOptions options_;
  std::vector<float> taps_;
  std::shared_ptr<MassCache> mass_cache_;
};

}  // namespace vidssl
