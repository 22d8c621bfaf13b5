#include "stages/preprocess_stage.h"

#include <torch/torch.h>

namespace vidssl {

PreprocessStage::PreprocessStage(std::string name, PreprocessOptions options)
    : Stage<Frame, Frame>(std::move(name)), options_(options), normalizer_(options.contrast_options) {}

torch::Tensor PreprocessStage::prepare(const torch::Tensor& image) const {
  auto source = image;
  // Pinned host memory lets the copy to the GPU run asynchronously.
  if (options_.device.is_cuda() && !source.is_pinned()) source = source.pin_memory();
  auto x = source.to(options_.device, torch::kFloat, /*non_blocking=*/true).div_(255.0f);
  if (!options_.contrast) return x;
  return normalizer_(x.unsqueeze(0)).squeeze(0);
}

void PreprocessStage::process(Frame frame, Outputs<Frame>& out) {
  Frame prepared = frame;
  prepared.original = frame.image;
  prepared.image = prepare(frame.image);
  out.emit(prepared);
}

}  // namespace vidssl
