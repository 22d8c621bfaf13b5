#include "models/linearize/linearize_model.h"

#include <torch/torch.h>

#include <numeric>
#include <stdexcept>
#include <string>

#include "models/layers/decoder_conv.h"

namespace vidssl {

torch::Tensor phase_curvature(const torch::Tensor& p_previous, const torch::Tensor& p_current, const torch::Tensor& p_next) {
  const auto before = (p_current - p_previous).flatten(1), after = (p_next - p_current).flatten(1);
  return (1 - torch::cosine_similarity(before, after, 1, 1e-8)).mean();
}

namespace {

// Every level's phases of a code, N×(Σ phase entries).
torch::Tensor flat_phases(const LinearizeCode& code) {
  std::vector<torch::Tensor> parts;
  for (const auto& level : code.levels) parts.push_back(level.phase.flatten(1));
  return torch::cat(parts, 1);
}

// Level by level: the magnitude (1 − s)·m_a + s·m_b (clamped at 0 beyond the ends) and the phase
// (1 − s)·p_a + s·p_b.
LinearizeCode along(const LinearizeCode& a, const LinearizeCode& b, double s) {
  LinearizeCode out;
  for (std::size_t i = 0; i < a.levels.size(); ++i) {
    const auto& u = a.levels[i];
    const auto& v = b.levels[i];
    out.levels.push_back({torch::relu(u.magnitude + s * (v.magnitude - u.magnitude)), u.phase + s * (v.phase - u.phase)});
  }
  return out;
}

}  // namespace

torch::Tensor phase_curvature(const LinearizeCode& previous, const LinearizeCode& current, const LinearizeCode& next) {
  return phase_curvature(flat_phases(previous), flat_phases(current), flat_phases(next));
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
  if (o.coarse_filters() < 0 || o.coarse_filters() > 4096)
    fail("coarse_filters", "an integer in [0, 4096]", std::to_string(o.coarse_filters()));
  if (o.coarse_space() < 1 || o.coarse_space() > 64) fail("coarse_space", "an integer in [1, 64]", std::to_string(o.coarse_space()));
  if (o.coarse_filters() > 0) {
    const auto coarse = PhaseBlockOptions(o.block()).space(o.coarse_space());
    if (!coarse.tiles(o.coarse_filters()))
      fail("coarse_filters", "a count that divides into blocks of pool_features every pool_feature_stride",
           std::to_string(o.coarse_filters()));
  }
}

LinearizeImpl::LinearizeImpl(LinearizeOptions options_) : options(options_) {
  check_options(options);
  reset();
}

void LinearizeImpl::reset() {
  const auto c = options.channels(), f = options.filters() + options.coarse_filters(), k = options.kernel();
  encoder = register_module("encoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, f, k).padding(k / 2)));
  decoder = register_module("decoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(f, c, k).padding(k / 2).bias(false)));
  auto blocks = options.block().feature_blocks(options.filters());
  pooling = register_module("pooling", PhasePool(PhasePoolOptions().block(options.block()).beta(options.pool_beta())));
  unpooling = register_module("unpooling", PhaseUnpool(options.block()));
  if (options.coarse_filters() > 0) {
    const auto coarse = PhaseBlockOptions(options.block()).space(options.coarse_space());
    blocks += coarse.feature_blocks(options.coarse_filters());
    coarse_pooling = register_module("coarse_pooling", PhasePool(PhasePoolOptions().block(coarse).beta(options.pool_beta())));
    coarse_unpooling = register_module("coarse_unpooling", PhaseUnpool(coarse));
  }
  // No bias: δ = 0 must give the deterministic extrapolation exactly.
  delta_map = register_module("delta_map", torch::nn::Linear(torch::nn::LinearOptions(options.delta_dims(), 3 * blocks).bias(false)));
}

std::int64_t LinearizeImpl::size_multiple() const {
  const auto fine = options.block().space();
  return options.coarse_filters() > 0 ? std::lcm(fine, options.coarse_space()) : fine;
}

// Under run.precision: bf16 (models/torch_runtime.h) the convolutions run in bfloat16 and their
// outputs come back to their inputs' type here (float32): the phases, the cosine term and the
// energies are not rounded to 8 bits of mantissa. A no-op without autocast.
torch::Tensor LinearizeImpl::encode(const torch::Tensor& x) { return torch::relu(encoder(x).to(x.scalar_type())); }

LinearizeCode LinearizeImpl::pool(const torch::Tensor& z) {
  const auto f = options.filters();
  if (options.coarse_filters() == 0) return {{pooling(z)}};
  return {{pooling(z.narrow(1, 0, f)), coarse_pooling(z.narrow(1, f, options.coarse_filters()))}};
}

torch::Tensor LinearizeImpl::unpool(const LinearizeCode& code) {
  const auto& fine = code.levels.at(0);
  const auto maps = unpooling(fine.magnitude, fine.phase, options.filters());
  if (options.coarse_filters() == 0) return maps;
  const auto& coarse = code.levels.at(1);
  return torch::cat({maps, coarse_unpooling(coarse.magnitude, coarse.phase, options.coarse_filters())}, 1);
}

torch::Tensor LinearizeImpl::decode(const torch::Tensor& z) { return decoder_conv2d(z, decoder->weight).to(z.scalar_type()); }

LinearizeCode LinearizeImpl::extrapolate(const LinearizeCode& previous, const LinearizeCode& current, const torch::Tensor& delta) {
  const auto scales = delta.defined() ? delta_map(delta) : torch::Tensor();
  LinearizeCode out;
  std::int64_t first = 0;  // the level's first scale in W₁δ
  for (std::size_t i = 0; i < current.levels.size(); ++i) {
    const auto& a = previous.levels[i];
    const auto& b = current.levels[i];
    auto phase = 2 * b.phase - a.phase;
    const auto k = b.phase.size(1);
    if (scales.defined()) phase = phase + scales.narrow(1, first, 3 * k).view({b.phase.size(0), k, 3, 1, 1}) * (b.phase - a.phase);
    first += 3 * k;
    out.levels.push_back({0.5 * (a.magnitude + b.magnitude), phase});
  }
  return out;
}

torch::Tensor LinearizeImpl::predict(const LinearizeCode& previous, const LinearizeCode& current, const torch::Tensor& delta) {
  return reconstruct(extrapolate(previous, current, delta));
}

torch::Tensor LinearizeImpl::prediction_error(const torch::Tensor& predicted, const torch::Tensor& next) {
  const double positions = static_cast<double>(next.size(2) * next.size(3));
  return 0.5 * (predicted - next).pow(2).sum({1, 2, 3}) / positions;
}

torch::Tensor LinearizeImpl::infer_delta(const LinearizeCode& previous, const LinearizeCode& current, const torch::Tensor& next) {
  auto delta = torch::zeros({next.size(0), options.delta_dims()}, next.options());
  if (options.delta_steps() == 0) return delta;
  torch::AutoGradMode enable(true);  // also under an evaluation's NoGradGuard
  // Codes frozen: only the decoder path (unpooling, G, W₁) carries the gradient to δ.
  const auto fixed = [](const LinearizeCode& code) {
    LinearizeCode out;
    for (const auto& level : code.levels) out.levels.push_back({level.magnitude.detach(), level.phase.detach()});
    return out;
  };
  const auto previous_fixed = fixed(previous), current_fixed = fixed(current);
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

torch::Tensor LinearizeImpl::interpolate(const LinearizeCode& previous, const LinearizeCode& next) {
  return reconstruct(along(previous, next, 0.5));
}

torch::Tensor LinearizeImpl::decode_path(const LinearizeCode& previous, const LinearizeCode& next, const std::vector<double>& times) {
  std::vector<torch::Tensor> frames;
  for (const double tau : times) frames.push_back(reconstruct(along(previous, next, tau / 2)));
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
    LinearizeCode out;
    for (const auto& level : pooled.levels)
      out.levels.push_back({level.magnitude.slice(0, i * n, (i + 1) * n), level.phase.slice(0, i * n, (i + 1) * n)});
    return out;
  };
  const auto previous = part(0), current = part(1), next = part(2);
  const auto next_frames = x.slice(0, 2 * n, 3 * n);
  LinearizeLoss out;
  out.delta = delta.defined() ? delta : infer_delta(previous, current, next_frames);
  out.predicted = predict(previous, current, out.delta);
  out.prediction = prediction_error(out.predicted, next_frames).mean();
  out.curvature = phase_curvature(previous, current, next);
  out.total = out.prediction + options.curvature() * out.curvature;
  return out;
}

}  // namespace vidssl
