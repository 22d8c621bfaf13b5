#pragma once

#include <cstdint>

#include <torch/types.h>

#include "models/ops/contrast_normalizer.h"
#include "pipeline/frame.h"
#include "pipeline/stage.h"

namespace vidssl {

// Decoded uint8 frames -> float frames on the training device (DESIGN §5): the first `channels`
// channels (0: all; 1 of a YUV frame is its luma), `level` Gaussian pyramid steps down, a centred
// crop to sides that divide by `size_multiple` (the learners' pooling), then contrast
// normalization. The decoded picture stays attached as Frame::original for scene cuts and the
// display. A run has one such stage per distinct setting, shared by the learners that want it.
//
//   preprocess: { contrast: true, kernel: 9, sigma: 2.0 }
//   models: { linearize: { input: { level: 1, channels: 1 } } }    # level, channels: per learner
struct PreprocessOptions {
  bool contrast = true;
  ContrastNormalizerOptions contrast_options;
  int channels = 0;
  int level = 0;
  std::int64_t size_multiple = 1;
  torch::Device device = torch::kCPU;
};

class PreprocessStage final : public Stage<Frame, Frame> {
 public:
  PreprocessStage(std::string name, PreprocessOptions options);
  // The same transformation outside a pipeline (evaluation, tests): C×H×W uint8 -> C'×H'×W' float.
  torch::Tensor prepare(const torch::Tensor& image) const;

 protected:
  void process(Frame frame, Outputs<Frame>& out) override;

 private:
  PreprocessOptions options_;
  ContrastNormalizer normalizer_;
};

}  // namespace vidssl
