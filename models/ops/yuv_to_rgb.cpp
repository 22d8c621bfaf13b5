#include "models/ops/yuv_to_rgb.h"

#include <stdexcept>

#include <torch/torch.h>

namespace vidssl {

torch::Tensor picture_for_display(const torch::Tensor& decoded) {
  if (decoded.dim() != 3 || (decoded.size(0) != 1 && decoded.size(0) != 3))
    throw std::invalid_argument("picture_for_display: expected a 1- or 3-channel C×H×W picture");
  const torch::Tensor x = decoded.to(torch::kCPU, torch::kFloat);
  if (x.size(0) == 1) return x;
  const torch::Tensor y = x[0], u = x[1] - 128, v = x[2] - 128;
  return torch::stack({y + 1.140 * v, y - 0.395 * u - 0.581 * v, y + 2.032 * u}).clamp(0, 255);
}

}  // namespace vidssl
