#include "stages/preprocess_stage.h"

#include <stdexcept>

#include <torch/torch.h>

#include "models/ops/pyramid_resample.h"
#include "models/torch_runtime.h"

namespace vidssl {

PreprocessStage::PreprocessStage(std::string name, PreprocessOptions options)
    : Stage<Frame, Frame>(std::move(name)), options_(options), normalizer_(options.contrast_options) {
  if (options_.level < 0 || options_.channels < 0 || options_.size_multiple < 1)
    throw std::invalid_argument("preprocess: level and channels must be >= 0 and size_multiple >= 1");
}

torch::Tensor PreprocessStage::prepare(const torch::Tensor& image) const {
  auto source = image;
  if (options_.channels > 0) {
    if (source.size(0) < options_.channels)
      throw std::invalid_argument("preprocess: a learner wants " + std::to_string(options_.channels) + " channels, the source delivers " +
                                  std::to_string(source.size(0)));
    source = source.slice(0, 0, options_.channels);
  }
  // The bytes travel, then become floats on the device: a copy to the GPU that also changes the
  // type may convert on the host first, into a pageable float frame four times the size.
  auto x = upload(source.contiguous(), options_.device).to(torch::kFloat).div_(255.0f);
  for (int k = 0; k < options_.level; ++k) x = pyramid_down(x);
  const std::int64_t m = options_.size_multiple;
  const std::int64_t h = x.size(1) / m * m, w = x.size(2) / m * m;
  if (h == 0 || w == 0)
    throw std::invalid_argument("preprocess: a " + std::to_string(x.size(1)) + "×" + std::to_string(x.size(2)) +
                                " frame has no side that divides by " + std::to_string(m));
  if (h != x.size(1) || w != x.size(2)) x = x.slice(1, (x.size(1) - h) / 2, (x.size(1) - h) / 2 + h).slice(2, (x.size(2) - w) / 2, (x.size(2) - w) / 2 + w);
  if (!options_.contrast) return x.contiguous();
  return normalizer_(x.unsqueeze(0)).squeeze(0);
}

void PreprocessStage::process(Frame frame, Outputs<Frame>& out) {
  Frame prepared = frame;
  prepared.original = frame.image;
  prepared.image = prepare(frame.image);
  prepared.right = torch::Tensor();  // the learners behind this stage want one view
  out.emit(prepared);
}

}  // namespace vidssl
