#include "models/layers/phase_pool.h"

#include <torch/torch.h>

#include "models/layers/phase_pool_cpu.h"

#include <stdexcept>
#include <string>

namespace vidssl {

std::int64_t PhaseBlockOptions::feature_blocks(std::int64_t f) const { return (f - features()) / feature_stride() + 1; }

void PhaseBlockOptions::check(std::int64_t f, std::int64_t height, std::int64_t width) const {
  if (features() < 1 || space() < 1 || feature_stride() < 1)
    throw std::invalid_argument("pool_features, pool_space, pool_feature_stride: expected positive integers");
  if (!tiles(f))
    throw std::invalid_argument("pool_features: " + std::to_string(f) + " feature maps do not divide into blocks of " +
                                std::to_string(features()) + " every " + std::to_string(feature_stride()));
  if (height % space() != 0 || width % space() != 0)
    throw std::invalid_argument("pool_space: a " + std::to_string(height) + "×" + std::to_string(width) +
                                " code map does not divide into " + std::to_string(space()) + "×" +
                                std::to_string(space()) + " blocks");
}

torch::Tensor PhaseBlockOptions::grid(std::int64_t n, const torch::TensorOptions& options) {
  if (n == 1) return torch::zeros({1}, options);
  return torch::linspace(-1.0, 1.0, n, options);
}

double PhaseBlockOptions::step(std::int64_t n) { return n == 1 ? 1.0 : 2.0 / static_cast<double>(n - 1); }

namespace {

// N×F×H×W -> N×K×Hb×Wb×(g·s·s): each block's codes in (feature, y, x) order, blocks along the
// feature axis taken every `feature_stride` maps.
torch::Tensor blocks_of(const torch::Tensor& z, const PhaseBlockOptions& o) {
  const auto n = z.size(0), height = z.size(2), width = z.size(3), g = o.features(), s = o.space();
  const auto k = o.feature_blocks(z.size(1));
  auto features = z.unfold(1, g, o.feature_stride());  // N×K×H×W×g
  return features.reshape({n, k, height / s, s, width / s, s, g})
      .permute({0, 1, 2, 4, 6, 3, 5})  // N×K×Hb×Wb×g×s(y)×s(x)
      .reshape({n, k, height / s, width / s, g * s * s});
}

}  // namespace

namespace {

// From N×K×Hb×Wb magnitudes and the maps' feature count.
PhaseBlockShape block_shape(const torch::Tensor& magnitude, const PhaseBlockOptions& o, std::int64_t features) {
  PhaseBlockShape q;
  q.n = magnitude.size(0), q.k = magnitude.size(1), q.hb = magnitude.size(2), q.wb = magnitude.size(3);
  q.features = features, q.g = o.features(), q.s = o.space(), q.stride = o.feature_stride();
  return q;
}

// From N×F×H×W maps.
PhaseBlockShape block_shape(const torch::Tensor& maps, const PhaseBlockOptions& o) {
  PhaseBlockShape q;
  q.n = maps.size(0), q.features = maps.size(1), q.hb = maps.size(2) / o.space(), q.wb = maps.size(3) / o.space();
  q.k = o.feature_blocks(q.features), q.g = o.features(), q.s = o.space(), q.stride = o.feature_stride();
  return q;
}

void save_block(torch::autograd::AutogradContext* ctx, const PhaseBlockOptions& block) {
  ctx->saved_data["g"] = block.features();
  ctx->saved_data["s"] = block.space();
  ctx->saved_data["stride"] = block.feature_stride();
}

PhaseBlockOptions saved_block(torch::autograd::AutogradContext* ctx) {
  return PhaseBlockOptions()
      .features(ctx->saved_data["g"].toInt())
      .space(ctx->saved_data["s"].toInt())
      .feature_stride(ctx->saved_data["stride"].toInt());
}

// PhasePool on CPU tensors through the loops of phase_pool_cpu.h, with its gradient in z.
class PhasePoolCpu : public torch::autograd::Function<PhasePoolCpu> {
 public:
  static torch::autograd::tensor_list forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& codes, PhaseBlockOptions block,
                                              double beta) {
    const auto z = codes.contiguous();
    const PhaseBlockShape q = block_shape(z, block);
    auto magnitude = torch::empty({q.n, q.k, q.hb, q.wb}, z.options());
    auto phase = torch::empty({q.n, q.k, 3, q.hb, q.wb}, z.options());
    auto weights = torch::empty({q.n, q.k * q.g, q.hb * q.s, q.wb * q.s}, z.options());
    AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "phase_pool_cpu", [&] {
      phase_pool_cpu<scalar_t>(z.data_ptr<scalar_t>(), q, static_cast<scalar_t>(beta), magnitude.data_ptr<scalar_t>(),
                               phase.data_ptr<scalar_t>(), weights.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({z, magnitude, phase, weights});
    save_block(ctx, block);
    ctx->saved_data["beta"] = beta;
    return {magnitude, phase};
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& z = saved[0];
    const PhaseBlockShape q = block_shape(z, saved_block(ctx));
    // An output nobody used has no gradient: it counts as zeros.
    const auto gm = grad_outputs[0].defined() ? grad_outputs[0].contiguous() : torch::zeros_like(saved[1]);
    const auto gp = grad_outputs[1].defined() ? grad_outputs[1].contiguous() : torch::zeros_like(saved[2]);
    auto grad_z = torch::empty_like(z);
    AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "phase_pool_backward_cpu", [&] {
      phase_pool_backward_cpu<scalar_t>(z.data_ptr<scalar_t>(), saved[3].data_ptr<scalar_t>(), saved[1].data_ptr<scalar_t>(),
                                        saved[2].data_ptr<scalar_t>(), gm.data_ptr<scalar_t>(), gp.data_ptr<scalar_t>(), q,
                                        static_cast<scalar_t>(ctx->saved_data["beta"].toDouble()), grad_z.data_ptr<scalar_t>());
    });
    return {grad_z, torch::Tensor(), torch::Tensor()};
  }
};

// PhaseUnpool on CPU tensors through the loops of phase_unpool_cpu.h, with its gradient in m and p.
class PhaseUnpoolCpu : public torch::autograd::Function<PhaseUnpoolCpu> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& magnitude, const torch::Tensor& phase,
                               PhaseBlockOptions block, std::int64_t features) {
    const auto m = magnitude.contiguous(), p = phase.contiguous();
    const PhaseBlockShape q = block_shape(m, block, features);
    auto maps = torch::empty({q.n, features, q.hb * q.s, q.wb * q.s}, m.options());
    AT_DISPATCH_FLOATING_TYPES(m.scalar_type(), "phase_unpool_cpu", [&] {
      phase_unpool_cpu<scalar_t>(m.data_ptr<scalar_t>(), p.data_ptr<scalar_t>(), q, maps.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({m, p});
    save_block(ctx, block);
    ctx->saved_data["features"] = features;
    return maps;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& m = saved[0];
    const auto& p = saved[1];
    const PhaseBlockShape q = block_shape(m, saved_block(ctx), ctx->saved_data["features"].toInt());
    const auto grad = grad_outputs[0].contiguous();
    auto grad_m = torch::empty_like(m), grad_p = torch::empty_like(p);
    AT_DISPATCH_FLOATING_TYPES(m.scalar_type(), "phase_unpool_backward_cpu", [&] {
      phase_unpool_backward_cpu<scalar_t>(m.data_ptr<scalar_t>(), p.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), q,
                                          grad_m.data_ptr<scalar_t>(), grad_p.data_ptr<scalar_t>());
    });
    return {grad_m, grad_p, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

PhasePoolImpl::PhasePoolImpl(PhasePoolOptions options_) : options(options_) {
  if (!(options.beta() > 0)) throw std::invalid_argument("pool_beta: expected a number > 0, got " + std::to_string(options.beta()));
}

PhasePooled PhasePoolImpl::forward(const torch::Tensor& z, OpPath path) {
  if (z.dim() != 4) throw std::invalid_argument("PhasePool: expected N×F×H×W codes, got rank " + std::to_string(z.dim()));
  const auto& o = options.block();
  o.check(z.size(1), z.size(2), z.size(3));
  if (path == OpPath::automatic && z.device().is_cpu()) {
    const auto pooled = PhasePoolCpu::apply(z, o, options.beta());
    return {pooled[0], pooled[1]};
  }
  const auto g = o.features(), s = o.space();
  const auto blocks = blocks_of(z, o);                    // N×K×Hb×Wb×B
  const auto weights = torch::softmax(options.beta() * blocks, -1);  // softmax subtracts the max
  PhasePooled out;
  out.magnitude = (blocks * weights).sum(-1);
  // Coordinates of the B = g·s·s positions, in the same (feature, y, x) order.
  const auto to = z.options();
  const auto cf = PhaseBlockOptions::grid(g, to).view({g, 1, 1}).expand({g, s, s}).reshape({-1});
  const auto cy = PhaseBlockOptions::grid(s, to).view({1, s, 1}).expand({g, s, s}).reshape({-1});
  const auto cx = PhaseBlockOptions::grid(s, to).view({1, 1, s}).expand({g, s, s}).reshape({-1});
  const auto coordinates = torch::stack({cf, cx, cy}, 1);  // B×3, [f, x, y]
  out.phase = torch::matmul(weights, coordinates).permute({0, 1, 4, 2, 3});  // N×K×3×Hb×Wb
  return out;
}

PhaseUnpoolImpl::PhaseUnpoolImpl(PhaseBlockOptions options_) : options(options_) {}

torch::Tensor PhaseUnpoolImpl::forward(const torch::Tensor& magnitude, const torch::Tensor& phase, std::int64_t features,
                                       OpPath path) {
  if (magnitude.dim() != 4 || phase.dim() != 5 || phase.size(2) != 3)
    throw std::invalid_argument("PhaseUnpool: expected N×K×Hb×Wb magnitudes and N×K×3×Hb×Wb phases");
  const auto& o = options;
  const auto n = magnitude.size(0), k = magnitude.size(1), hb = magnitude.size(2), wb = magnitude.size(3);
  const auto g = o.features(), s = o.space();
  o.check(features, hb * s, wb * s);
  if (o.feature_blocks(features) != k)
    throw std::invalid_argument("PhaseUnpool: " + std::to_string(k) + " blocks do not match " + std::to_string(features) + " feature maps");
  if (path == OpPath::automatic && magnitude.device().is_cpu() && phase.device().is_cpu() &&
      magnitude.scalar_type() == phase.scalar_type())
    return PhaseUnpoolCpu::apply(magnitude, phase, o, features);
  const auto to = magnitude.options();
  // Tent weights per axis: N×K×n×Hb×Wb for n grid points.
  auto tent = [&](const torch::Tensor& p, std::int64_t points) {
    const auto grid = PhaseBlockOptions::grid(points, to).view({1, 1, points, 1, 1});
    return torch::relu(1 - (grid - p.unsqueeze(2)).abs() / PhaseBlockOptions::step(points));
  };
  const auto wf = tent(phase.select(2, 0), g);  // N×K×g×Hb×Wb
  const auto wx = tent(phase.select(2, 1), s);  // N×K×s×Hb×Wb
  const auto wy = tent(phase.select(2, 2), s);
  // ẑ block[n,k,i,y,x at hb,wb] = m · wf[i] · wy[y] · wx[x], laid out as N×K×g×Hb×s(y)×Wb×s(x).
  const auto block = magnitude.reshape({n, k, 1, hb, 1, wb, 1}) * wf.reshape({n, k, g, hb, 1, wb, 1}) *
                     wy.permute({0, 1, 3, 2, 4}).reshape({n, k, 1, hb, s, wb, 1}) *
                     wx.permute({0, 1, 3, 4, 2}).reshape({n, k, 1, hb, 1, wb, s});
  const auto maps = block.reshape({n, k, g, hb * s, wb * s});
  if (o.feature_stride() == g) return maps.reshape({n, k * g, hb * s, wb * s});
  // Overlapping blocks: block b covers maps b·stride … b·stride + g − 1; where blocks overlap, they add.
  const auto first = torch::arange(k, torch::TensorOptions().dtype(torch::kLong).device(to.device())) * o.feature_stride();
  const auto index = (first.view({k, 1}) + torch::arange(g, first.options()).view({1, g})).reshape({-1});
  return torch::zeros({n, features, hb * s, wb * s}, to).index_add(1, index, maps.reshape({n, k * g, hb * s, wb * s}));
}

}  // namespace vidssl
