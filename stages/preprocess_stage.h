#pragma once

#include <torch/types.h>

#include "models/ops/contrast_normalizer.h"
#include "pipeline/frame.h"
#include "pipeline/stage.h"

namespace vidssl {

// Decoded uint8 frames -> float frames on the training device, contrast-normalized (DESIGN §5).
// The decoded picture stays attached as Frame::original for the display.
//
//   preprocess: { contrast: true, kernel: 9, sigma: 2.0 }
struct PreprocessOptions {
  bool contrast = true;
  ContrastNormalizerOptions contrast_options;
  torch::Device device = torch::kCPU;
};

class PreprocessStage final : public Stage<Frame, Frame> {
 public:
  PreprocessStage(std::string name, PreprocessOptions options);
  // The same transformation outside a pipeline (evaluation, tests): C×H×W uint8 -> C×H×W float.
  torch::Tensor prepare(const torch::Tensor& image) const;

 protected:
  void process(Frame frame, Outputs<Frame>& out) override;

 private:
  PreprocessOptions options_;
  ContrastNormalizer normalizer_;
};

}  // namespace vidssl
