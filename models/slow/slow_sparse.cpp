#include "models/slow/slow_sparse.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/layers/conv_dictionary.h"
#include "models/layers/decoder_conv.h"
#include "models/slow/fista.h"
#include "models/torch_runtime.h"

namespace vidssl {

const char* to_string(SlowEncoder encoder) {
  switch (encoder) {
    case SlowEncoder::relu: return "relu";
    case SlowEncoder::psd: return "psd";
    case SlowEncoder::lista: return "lista";
  }
  return "?";
}

const char* to_string(SlowTraining training) {
  switch (training) {
    case SlowTraining::direct: return "direct";
    case SlowTraining::psd: return "psd";
  }
  return "?";
}

const char* to_string(SlownessTerm slowness) {
  switch (slowness) {
    case SlownessTerm::l1: return "l1";
    case SlownessTerm::normalized: return "normalized";
  }
  return "?";
}

const char* to_string(PsdSlowness where) {
  switch (where) {
    case PsdSlowness::encoder: return "encoder";
    case PsdSlowness::inference: return "inference";
  }
  return "?";
}

void check_options(const SlowSparseOptions& o) {
  const auto fail = [](const std::string& key, const std::string& expected, const std::string& got) {
    throw std::invalid_argument(key + ": expected " + expected + ", got " + got);
  };
  if (o.channels() < 1) fail("channels", "at least 1", std::to_string(o.channels()));
  // Bounds far above any useful setting, so that a typo is named here and not by LibTorch's allocator.
  if (o.filters() < 1 || o.filters() > 4096) fail("filters", "an integer in [1, 4096]", std::to_string(o.filters()));
  if (o.kernel() < 1 || o.kernel() > 63 || o.kernel() % 2 == 0) fail("kernel", "an odd size in [1, 63]", std::to_string(o.kernel()));
  if (!(o.alpha() >= 0)) fail("alpha", "a number >= 0", std::to_string(o.alpha()));
  if (!(o.beta() >= 0)) fail("beta", "a number >= 0", std::to_string(o.beta()));
  if (!(o.activity_floor() >= 0)) fail("activity_floor", "a number >= 0", std::to_string(o.activity_floor()));
  if (!(o.activity_floor_share() > 0 && o.activity_floor_share() <= 1))
    fail("activity_floor_share", "a number in (0, 1]", std::to_string(o.activity_floor_share()));
  if (o.pool_features() < 1 || o.filters() % o.pool_features() != 0)
    fail("pool_features", "a divisor of filters (" + std::to_string(o.filters()) + ")", std::to_string(o.pool_features()));
  if (o.pool_space() < 1 || o.pool_space() > 64) fail("pool_space", "an integer in [1, 64]", std::to_string(o.pool_space()));
  if (o.lista_steps() < 0 || o.lista_steps() > 100) fail("lista_steps", "an integer in [0, 100]", std::to_string(o.lista_steps()));
  if (o.fista_steps() < 1 || o.fista_steps() > 10000) fail("fista_steps", "an integer in [1, 10000]", std::to_string(o.fista_steps()));
  if (!(o.fista_lipschitz() > 0)) fail("fista_lipschitz", "a number > 0", std::to_string(o.fista_lipschitz()));
  if (!(o.fista_backtrack() > 1)) fail("fista_backtrack", "a number > 1", std::to_string(o.fista_backtrack()));
  if (!(o.inference_smoothing() > 0)) fail("inference_smoothing", "a number > 0", std::to_string(o.inference_smoothing()));
  if (o.second_layer_filters() < 0 || o.second_layer_filters() > 4096 ||
      (o.second_layer_filters() > 0 && o.second_layer_filters() % o.pool_features() != 0))
    fail("second_layer_filters", "0 or a multiple of pool_features (" + std::to_string(o.pool_features()) + ") up to 4096",
         std::to_string(o.second_layer_filters()));
  if (o.second_layer_kernel() < 1 || o.second_layer_kernel() > 63 || o.second_layer_kernel() % 2 == 0)
    fail("second_layer_kernel", "an odd size in [1, 63]", std::to_string(o.second_layer_kernel()));
  if (o.second_layer_after() < 0 || (o.second_layer_after() > 0 && o.second_layer_filters() == 0))
    fail("second_layer_after", "0, or a number of steps >= 1 with second_layer_filters > 0", std::to_string(o.second_layer_after()));
  if (!(o.second_layer_beta_scale() >= 0)) fail("second_layer_beta_scale", "a number >= 0", std::to_string(o.second_layer_beta_scale()));
  if (o.psd_slowness() == PsdSlowness::inference) {
    if (o.training() != SlowTraining::psd) fail("psd_slowness", "encoder where training is direct (there is no inference)", "inference");
    if (o.slowness() != SlownessTerm::l1)
      fail("psd_slowness", "encoder with slowness: normalized (the inference's energy takes the paper's l1 term)", "inference");
  }
}

SlowSparseOptions second_layer_options(const SlowSparseOptions& options) {
  SlowSparseOptions out = options;
  out.channels(options.filters() / options.pool_features());
  out.filters(options.second_layer_filters());
  out.kernel(options.second_layer_kernel());
  out.second_layer_filters(0);
  out.second_layer_after(0);
  out.beta(options.beta() * options.second_layer_beta_scale());
  out.second_layer_beta_scale(1.0);
  return out;
}

torch::Tensor standardize_maps(const torch::Tensor& pooled) {
  const auto flat = pooled.flatten(1);
  const auto mean = flat.mean(1, /*keepdim=*/true);
  const auto deviation = (flat - mean).pow(2).mean(1, /*keepdim=*/true).sqrt().clamp_min(1e-3);
  return ((flat - mean) / deviation).view_as(pooled);
}

SlowSparseImpl::SlowSparseImpl(SlowSparseOptions options_) : options(options_) {
  check_options(options);
  reset();
}

void SlowSparseImpl::reset() {
  const auto c = options.channels(), f = options.filters(), k = options.kernel();
  if (options.encoder() == SlowEncoder::lista) {
    lista = register_module("lista", ListaEncoder(ListaEncoderOptions(c, f).kernel(k).steps(options.lista_steps()).lateral(options.lista_lateral())));
  } else {
    encoder_filter = register_module("encoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, f, k).padding(k / 2)));
    if (options.encoder() == SlowEncoder::psd) encoder_gain = register_parameter("encoder_gain", torch::ones({f}));
  }
  decoder = register_module("decoder", torch::nn::Conv2d(torch::nn::Conv2dOptions(f, c, k).padding(k / 2).bias(false)));
  pooling = register_module("pooling", L2Pool(L2PoolOptions().features(options.pool_features()).space(options.pool_space())));
  if (options.second_layer_filters() > 0)
    second_layer = register_module("second_layer", std::make_shared<SlowSparseImpl>(second_layer_options(options)));
  normalize_decoder();
  if (options.encoder() == SlowEncoder::lista) {
    lista->init_from_decoder(decoder->weight, options.alpha());
  } else {
    init_encoder_from_decoder();
  }
}

void SlowSparseImpl::init_encoder_from_decoder() {
  // Why: an encoder drawn independently of the decoder starts with codes that do not explain the
  // input, the sparsity term drives most of them to zero, and a feature whose ReLU never fires gets
  // no gradient again: on vtest.avi three quarters of the 32 decoder filters stayed noise. Starting
  // from one ISTA step from h = 0 (h = relu(Dᵀx/L − α/L), as LISTA is initialised) makes every
  // feature respond to the input it reconstructs, so every decoder filter learns.
  torch::NoGradGuard no_grad;
  const auto& w = decoder->weight;
  const double lipschitz = dictionary_lipschitz(w);
  encoder_filter->weight.copy_(w.transpose(0, 1).flip({2, 3}) / lipschitz);
  encoder_filter->bias.fill_(options.encoder() == SlowEncoder::relu ? -options.alpha() / lipschitz : 0.0);
}

// Under run.precision: bf16 (models/torch_runtime.h) the convolutions run in bfloat16 and their
// outputs come back to their inputs' type here (float32): the codes, their pooling and the energies
// are not rounded to 8 bits of mantissa. A no-op without autocast.
torch::Tensor SlowSparseImpl::encode(const torch::Tensor& x) {
  switch (options.encoder()) {
    case SlowEncoder::relu: return torch::relu(encoder_filter(x).to(x.scalar_type()));
    case SlowEncoder::psd: return encoder_gain.view({1, -1, 1, 1}) * torch::tanh(encoder_filter(x).to(x.scalar_type()));
    case SlowEncoder::lista: return lista(x).to(x.scalar_type());
  }
  throw std::logic_error("unknown encoder");
}

torch::Tensor SlowSparseImpl::decode(const torch::Tensor& h) { return decoder_conv2d(h, decoder->weight).to(h.scalar_type()); }

torch::Tensor SlowSparseImpl::pool(const torch::Tensor& h) { return pooling(h); }

torch::Tensor SlowSparseImpl::top_features(const torch::Tensor& pooled) {
  return second_layer ? second_layer->pool(second_layer->encode(standardize_maps(pooled))) : pooled;
}

std::int64_t SlowSparseImpl::size_multiple() const {
  return options.pool_space() * (second_layer ? second_layer->size_multiple() : 1);
}

void SlowSparseImpl::normalize_decoder() {
  torch::NoGradGuard no_grad;
  auto& w = decoder->weight;  // C×F×k×k: feature f's filter is w[:, f]
  const auto norms = w.pow(2).sum({0, 2, 3}, /*keepdim=*/true).sqrt().clamp_min(1e-12);
  w.div_(norms);
  if (second_layer) second_layer->normalize_decoder();
}

SlowSparseLoss SlowSparseImpl::loss(const torch::Tensor& pairs, TrainedLayers trained) {
  if (pairs.dim() != 5 || pairs.size(1) != 2 || pairs.size(2) != options.channels())
    throw std::invalid_argument("SlowSparse::loss: expected N×2×" + std::to_string(options.channels()) +
                                "×H×W frame pairs, got " + std::to_string(pairs.dim()) + "-d input");
  if (trained == TrainedLayers::second && !second_layer) throw std::invalid_argument("SlowSparse::loss: a second layer to train, the model has one layer");
  const auto n = pairs.size(0);
  // Frames t of every pair first, then frames t+1: one batched pass through the encoder.
  auto x = pairs.transpose(0, 1).reshape({2 * n, pairs.size(2), pairs.size(3), pairs.size(4)});
  return frames_loss(x, n, trained);
}

TrainedLayers SlowSparseImpl::trained_layers(std::int64_t step) const {
  if (!second_layer || options.second_layer_after() == 0) return TrainedLayers::all;
  return step < options.second_layer_after() ? TrainedLayers::first : TrainedLayers::second;
}

std::vector<torch::Tensor> SlowSparseImpl::frozen_parameters(TrainedLayers trained) {
  if (trained == TrainedLayers::all || !second_layer) return {};
  auto upper = second_layer->parameters();
  if (trained == TrainedLayers::first) return upper;
  std::vector<torch::Tensor> out;
  for (auto& p : parameters()) {
    const bool in_upper = std::any_of(upper.begin(), upper.end(), [&](const torch::Tensor& u) { return u.is_same(p); });
    if (!in_upper) out.push_back(p);
  }
  return out;
}

SlowSparseLoss SlowSparseImpl::layer_loss(const torch::Tensor& x, std::int64_t pairs) {
  return options.training() == SlowTraining::psd ? psd_loss(x, pairs) : direct_loss(x, pairs);
}

SlowSparseLoss SlowSparseImpl::frames_loss(const torch::Tensor& x, std::int64_t pairs, TrainedLayers trained) {
  const bool grad = torch::GradMode::is_enabled();
  SlowSparseLoss out;
  {
    // A layer not trained is evaluated without a graph: backward() then costs nothing in it.
    const torch::AutoGradMode first_grad(grad && trained != TrainedLayers::second);
    out = layer_loss(x, pairs);
  }
  out.features = out.pooled;
  out.whole = out.total;
  if (!second_layer) return out;
  // The second layer learns from the maps as the first layer gives them now; its loss does not
  // move the first layer.
  std::shared_ptr<SlowSparseLoss> upper;
  {
    const torch::AutoGradMode second_grad(grad && trained != TrainedLayers::first);
    upper = std::make_shared<SlowSparseLoss>(second_layer->frames_loss(standardize_maps(out.pooled.detach()), pairs, TrainedLayers::all));
  }
  out.features = upper->features;
  out.whole = out.total + upper->whole;
  if (trained == TrainedLayers::second) out.total = upper->total;
  if (trained == TrainedLayers::all) out.total = out.total + upper->total;
  out.second_layer = std::move(upper);
  return out;
}

torch::Tensor SlowSparseImpl::slowness(const torch::Tensor& pooled, std::int64_t pairs, double positions) const {
  const auto first = pooled.slice(0, 0, pairs), second = pooled.slice(0, pairs, 2 * pairs);
  const auto change = (first - second).abs();
  switch (options.slowness()) {
    case SlownessTerm::l1: return options.beta() * change.sum() / positions;
    case SlownessTerm::normalized: {
      // The L2 pooling's own floor (P ≥ √1e-6) keeps the sizes above zero; ε, far below a living map's size, keeps
      // the ratio defined whatever the pooling.
      constexpr double epsilon = 1e-3;
      return options.beta() * (change.sum({2, 3}) / ((first + second).sum({2, 3}) + epsilon)).mean();
    }
  }
  throw std::logic_error("unknown slowness term");
}

torch::Tensor SlowSparseImpl::activity_floor(const torch::Tensor& magnitude) const {
  if (options.activity_floor() == 0) return torch::zeros({}, magnitude.options());
  const auto activity = magnitude.mean({0, 2, 3});
  const auto share = activity / activity.mean().clamp_min(1e-12);
  return options.activity_floor() * torch::relu(options.activity_floor_share() - share).mean();
}

SlowSparseLoss SlowSparseImpl::direct_loss(const torch::Tensor& x, std::int64_t pairs) {
  SlowSparseLoss out;
  const double positions = static_cast<double>(pairs * x.size(2) * x.size(3));
  out.frames = x;
  out.codes = encode(x);
  out.reconstructed = decode(out.codes);
  out.pooled = pool(out.codes);
  out.reconstruction = 0.5 * (x - out.reconstructed).pow(2).sum() / positions;
  // ReLU codes are never negative, so |h| is h: the same value and, through the ReLU (which passes
  // no gradient where h = 0), the same gradient, without two passes over the largest tensor.
  const auto magnitude = options.encoder() == SlowEncoder::relu ? out.codes : out.codes.abs();
  out.sparsity = options.alpha() * magnitude.sum() / positions;
  out.slowness = slowness(out.pooled, pairs, positions);
  out.prediction = torch::zeros({}, x.options());
  out.floor = activity_floor(magnitude);
  out.total = out.reconstruction + out.sparsity + out.slowness + out.floor;
  return out;
}

torch::Tensor SlowSparseImpl::infer_from(const torch::Tensor& x, const torch::Tensor& guess, double slowness) {
  FistaOptions fista_options;
  fista_options.alpha = options.alpha();
  fista_options.steps = static_cast<int>(options.fista_steps());
  fista_options.initial_lipschitz = options.fista_lipschitz();
  fista_options.backtrack = options.fista_backtrack();
  fista_options.slowness = slowness;
  fista_options.slowness_smoothing = options.inference_smoothing();
  fista_options.pool_features = options.pool_features();
  fista_options.pool_space = options.pool_space();
  if (fista_lipschitz_.defined() && fista_lipschitz_.device() != x.device()) fista_lipschitz_ = torch::Tensor();
  // A solver: its backtracking compares energies that bfloat16 convolutions would round.
  const Autocast full_precision(x.device(), Precision::fp32);
  const auto inferred = fista(x, decoder->weight.detach(), guess.detach(), fista_options, fista_lipschitz_);
  fista_lipschitz_ = inferred.lipschitz;
  return inferred.codes;
}

torch::Tensor SlowSparseImpl::infer(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return infer_from(x, encode(x), 0.0);
}

SlowSparseLoss SlowSparseImpl::psd_loss(const torch::Tensor& x, std::int64_t pairs) {
  SlowSparseLoss out;
  const double positions = static_cast<double>(pairs * x.size(2) * x.size(3));
  out.frames = x;
  const auto guess = encode(x);
  const bool slow_inference = options.psd_slowness() == PsdSlowness::inference;
  out.codes = infer_from(x, guess, slow_inference ? options.beta() : 0.0);  // h*, no gradient
  out.reconstructed = decode(out.codes);  // gradient reaches the decoder only
  out.pooled = pool(guess);
  out.reconstruction = 0.5 * (x - out.reconstructed).pow(2).sum() / positions;
  out.sparsity = options.alpha() * out.codes.abs().sum() / positions;
  out.prediction = (out.codes - guess).pow(2).sum() / positions;  // gradient reaches the encoder only
  out.floor = activity_floor(guess.abs());  // on the encoder, which h* follows
  // The sparsity of h* is fixed by FISTA, so it carries no gradient; it is reported, not minimized.
  // So is h*'s slowness where FISTA minimized it.
  out.total = out.reconstruction + out.prediction + out.floor;
  if (slow_inference) {
    torch::NoGradGuard no_grad;
    out.slowness = slowness(pool(out.codes), pairs, positions);
  } else {
    out.slowness = slowness(out.pooled, pairs, positions);
    out.total = out.total + out.slowness;
  }
  return out;
}

}  // namespace vidssl
