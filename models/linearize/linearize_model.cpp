#include "models/linearize/linearize_model.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "models/layers/decoder_conv.h"

namespace vidssl {

torch::Tensor phase_curvature(const torch::Tensor& p_previous, const torch::Tensor& p_current, const torch::Tensor& p_next) {
  const auto before = (p_current - p_previous).flatten(1), after = (p_next - p_current).flatten(1);
  return (1 - torch::cosine_similarity(before, after, 1, 1e-8)).mean();
}

void check_options(const LinearizeOptions& o) {
  const auto fail = [](const std::string& key, const std::string& expected, const std::string& got) {
    throw std::invalid_argument(key + ": expected " + expected + ", got " + got);
  };
  if (o.channels() < 1) fail("channels", "at least 1", std::to_string(o.channels()));
  // Bounds far above any useful setting, so that a typo is named here and not by LibTorch's allocator.
  if (o.filters() < 1 || o.filters() > 4096) fail("filters", "an integer in [1, 4096]", std::to_string(o.filters()));
  if (o.kernel() < 1 || o.kernel() > 63 || o.kernel() % 2 == 0) fail("kernel", "an odd size in [1, 63]", std::to_string(o.kernel()));
  if (!(o.pool_beta() > 0)) fail("pool_beta", "a number > 0", std::to_string(o.pool_beta()));
  if (!(o.curvature() >= 0)) fail("curvature", "a number >= 0", std::to_string(o.curvature()));
  if (o.delta_dims() < 1 || o.delta_dims() > 4096) fail("delta_dims", "an integer in [1, 4096]", std::to_string(o.delta_dims()));
  if (o.delta_steps() < 0 || o.delta_steps() > 10000) fail("delta_steps", "an integer in [0, 10000]", std::to_string(o.delta_steps()));
  if (!(o.delta_lr() > 0)) fail("delta_lr", "a number > 0", std::to_string(o.delta_lr()));
  const auto s = o.block().space();
  o.block().check(o.filters(), s, s);  // names pool_features when F does not divide
}

LinearizeImpl::LinearizeImpl(LinearizeOptions options_) : options(options_) {
  check_options(options);
  reset();
}

void LinearizeImpl::reset() {
  const auto c = options.channels(), f = options.filters(), k = options.kernel();
  encoder = register_module("encoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, f, k).padding(k / 2)));
  decoder = register_module("decoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(f, c, k).padding(k / 2).bias(false)));
  const auto blocks = options.block().feature_blocks(f);
  // No bias: δ = 0 must give the deterministic extrapolation exactly.
  delta_map = register_module("delta_map", torch::nn::Linear(torch::nn::LinearOptions(options.delta_dims(), 3 * blocks).bias(false)));
  pooling = register_module("pooling", PhasePool(PhasePoolOptions().block(options.block()).beta(options.pool_beta())));
  unpooling = register_module("unpooling", PhaseUnpool(options.block()));
}

// Under run.precision: bf16 (models/torch_runtime.h) the convolutions run in bfloat16 and their
// outputs come back to their inputs' type here (float32): the phases, the cosine term and the
// energies are not rounded to 8 bits of mantissa. A no-op without autocast.
torch::Tensor LinearizeImpl::encode(const torch::Tensor& x) { return torch::relu(encoder(x).to(x.scalar_type())); }

PhasePooled LinearizeImpl::pool(const torch::Tensor& z) { return pooling(z); }

torch::Tensor LinearizeImpl::unpool(const torch::Tensor& m, const torch::Tensor& p) { return unpooling(m, p, options.filters()); }

torch::Tensor LinearizeImpl::decode(const torch::Tensor& z) { return decoder_conv2d(z, decoder->weight).to(z.scalar_type()); }

torch::Tensor LinearizeImpl::extrapolate_phase(const torch::Tensor& p_previous, const torch::Tensor& p_current,
                                               const torch::Tensor& delta) {
  const auto predicted = 2 * p_current - p_previous;
  if (!delta.defined()) return predicted;
  const auto scale = delta_map(delta).view({p_current.size(0), p_current.size(1), 3, 1, 1});
  return predicted + scale * (p_current - p_previous);
}

torch::Tensor LinearizeImpl::predict(const PhasePooled& previous, const PhasePooled& current, const torch::Tensor& delta) {
  const auto magnitude = 0.5 * (previous.magnitude + current.magnitude);
  return decode(unpool(magnitude, extrapolate_phase(previous.phase, current.phase, delta)));
}

torch::Tensor LinearizeImpl::prediction_error(const torch::Tensor& predicted, const torch::Tensor& next) {
  const double positions = static_cast<double>(next.size(2) * next.size(3));
  return 0.5 * (predicted - next).pow(2).sum({1, 2, 3}) / positions;
}

torch::Tensor LinearizeImpl::infer_delta(const PhasePooled& previous, const PhasePooled& current, const torch::Tensor& next) {
  auto delta = torch::zeros({next.size(0), options.delta_dims()}, next.options());
  if (options.delta_steps() == 0) return delta;
  torch::AutoGradMode enable(true);  // also under an evaluation's NoGradGuard
  // Codes frozen: only the decoder path (unpooling, G, W₁) carries the gradient to δ.
  const PhasePooled previous_fixed{previous.magnitude.detach(), previous.phase.detach()};
  const PhasePooled current_fixed{current.magnitude.detach(), current.phase.detach()};
  const auto target = next.detach();
  for (std::int64_t i = 0; i < options.delta_steps(); ++i) {
    delta.requires_grad_(true);
    // Each sample's error per pixel (as the weights are trained on, so α_δ means the same at
    // any frame size), summed over samples so that each sample's δ gets its own gradient.
    const auto error = prediction_error(predict(previous_fixed, current_fixed, delta), target).sum();
    const auto gradient = torch::autograd::grad({error}, {delta})[0];
    delta = (delta - options.delta_lr() * gradient).detach();
  }
  return delta;
}

torch::Tensor LinearizeImpl::interpolate(const PhasePooled& previous, const PhasePooled& next) {
  return decode(unpool(0.5 * (previous.magnitude + next.magnitude), 0.5 * (previous.phase + next.phase)));
}

torch::Tensor LinearizeImpl::decode_path(const PhasePooled& previous, const PhasePooled& next, const std::vector<double>& times) {
  std::vector<torch::Tensor> frames;
  for (const double tau : times) {
    const double s = tau / 2;
    const auto m = torch::relu(previous.magnitude + s * (next.magnitude - previous.magnitude));
    const auto p = previous.phase + s * (next.phase - previous.phase);
    frames.push_back(decode(unpool(m, p)));
  }
  return torch::stack(frames, 1);  // N×T×C×H×W
}

LinearizeLoss LinearizeImpl::loss(const torch::Tensor& triplets, const torch::Tensor& delta) {
  if (triplets.dim() != 5 || triplets.size(1) != 3 || triplets.size(2) != options.channels())
    throw std::invalid_argument("Linearize::loss: expected N×3×" + std::to_string(options.channels()) +
                                "×H×W triplets, got " + std::to_string(triplets.dim()) + "-d input");
  const auto n = triplets.size(0);
  // All three frames of every triplet through the encoder in one batch: t−1 rows, then t, then t+1.
  const auto x = triplets.transpose(0, 1).reshape({3 * n, triplets.size(2), triplets.size(3), triplets.size(4)});
  const auto pooled = pool(encode(x));
  auto part = [&](std::int64_t i) {
    return PhasePooled{pooled.magnitude.slice(0, i * n, (i + 1) * n), pooled.phase.slice(0, i * n, (i + 1) * n)};
  };
  const auto previous = part(0), current = part(1), next = part(2);
  const auto next_frames = x.slice(0, 2 * n, 3 * n);
  LinearizeLoss out;
  out.delta = delta.defined() ? delta : infer_delta(previous, current, next_frames);
  out.predicted = predict(previous, current, out.delta);
  out.prediction = prediction_error(out.predicted, next_frames).mean();
  out.curvature = phase_curvature(previous.phase, current.phase, next.phase);
  out.total = out.prediction + options.curvature() * out.curvature;
  return out;
}

}  // namespace vidssl
