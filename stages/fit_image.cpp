#include "stages/fit_image.h"

#include <torch/torch.h>

namespace vidssl {
namespace {

torch::Tensor resize_bilinear(const torch::Tensor& image, int height, int width) {
  namespace F = torch::nn::functional;
  const auto resized = F::interpolate(image.unsqueeze(0).to(torch::kFloat32),
                                      F::InterpolateFuncOptions()
                                          .size(std::vector<std::int64_t>{height, width})
                                          .mode(torch::kBilinear)
                                          .align_corners(false));
  return resized.squeeze(0).round_().clamp_(0, 255).to(torch::kUInt8);
}

}  // namespace

torch::Tensor black_frame(int channels, int height, int width) {
  torch::Tensor frame = torch::zeros({channels, height, width}, torch::kUInt8);
  if (channels > 1) frame.narrow(0, 1, channels - 1).fill_(128);
  return frame;
}

torch::Tensor fit_image(const torch::Tensor& image, Fit fit, OutputSize frame) {
  const int height = static_cast<int>(image.size(1)), width = static_cast<int>(image.size(2));
  const FitPlan plan = plan_fit(width, height, frame, fit);
  torch::Tensor picture = image.narrow(1, plan.from.y, plan.from.height).narrow(2, plan.from.x, plan.from.width);
  picture = plan.from.width != plan.to.width || plan.from.height != plan.to.height
                ? resize_bilinear(picture, plan.to.height, plan.to.width)
                : picture.clone(torch::MemoryFormat::Contiguous);
  if (plan.to == PixelRect{0, 0, frame.width, frame.height}) return picture;
  torch::Tensor out = black_frame(static_cast<int>(image.size(0)), frame.height, frame.width);
  out.narrow(1, plan.to.y, plan.to.height).narrow(2, plan.to.x, plan.to.width).copy_(picture);
  return out;
}

}  // namespace vidssl
