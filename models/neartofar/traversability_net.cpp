#include "models/neartofar/traversability_net.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace vidssl {

void TraversabilityNetOptions::check() const {
  const auto positive = [](std::int64_t value, const char* key) {
    if (value < 1) throw std::invalid_argument(std::string(key) + " must be at least 1, got " + std::to_string(value));
  };
  positive(in_channels(), "in_channels");
  positive(features(), "features");
  positive(window_features(), "window_features");
  if (classes() < 2) throw std::invalid_argument("classes must be at least 2, got " + std::to_string(classes()));
}

TraversabilityNetImpl::TraversabilityNetImpl(TraversabilityNetOptions options_) : options(options_) {
  options.check();
  reset();
}

void TraversabilityNetImpl::reset() {
  namespace nn = torch::nn;
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(options.in_channels(), options.features(), {7, 6})));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(options.features(), options.window_features(), {6, 5})));
  logistic = register_module("logistic", nn::Conv2d(nn::Conv2dOptions(options.window_features(), options.classes(), 1)));
}

torch::Tensor TraversabilityNetImpl::features(const torch::Tensor& bands) {
  if (bands.dim() != 4 || bands.size(1) != options.in_channels() || bands.size(2) != TraversabilityNetOptions::window_rows ||
      bands.size(3) < TraversabilityNetOptions::window_width)
    throw std::invalid_argument("TraversabilityNet: wants N×" + std::to_string(options.in_channels()) + "×12×W bands with W >= 25, got " +
                                std::to_string(bands.dim()) + "-d " + std::to_string(bands.size(-1)) + " wide");
  namespace F = torch::nn::functional;
  torch::Tensor h = F::max_pool2d(conv1(bands), F::MaxPool2dFuncOptions({1, 4}).stride({1, 4}));
  return torch::relu(conv2(h));
}

torch::Tensor TraversabilityNetImpl::classify(const torch::Tensor& features) { return logistic(features); }

torch::Tensor TraversabilityNetImpl::forward(const torch::Tensor& bands) { return classify(features(bands)); }

std::int64_t TraversabilityNetImpl::init_from_encoder(const torch::Tensor& encoder_weight) {
  if (encoder_weight.dim() != 4 || encoder_weight.size(1) != 1 || encoder_weight.size(2) < 7 || encoder_weight.size(3) < 6)
    throw std::invalid_argument("TraversabilityNet: an encoder to start from must have F×1×k×k filters with k >= 7");
  const std::int64_t n = std::min(encoder_weight.size(0), options.features());
  const std::int64_t top = (encoder_weight.size(2) - 7) / 2, left = (encoder_weight.size(3) - 6) / 2;
  torch::NoGradGuard no_grad;
  const torch::Tensor patch = encoder_weight.slice(0, 0, n).slice(2, top, top + 7).slice(3, left, left + 6);
  conv1->weight.slice(0, 0, n).zero_();
  conv1->weight.slice(0, 0, n).slice(1, 0, 1).copy_(patch.to(conv1->weight.device()));
  conv1->bias.slice(0, 0, n).zero_();
  return n;
}

}  // namespace vidssl
