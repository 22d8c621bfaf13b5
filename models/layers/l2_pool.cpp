#include "models/layers/l2_pool.h"

#include <torch/torch.h>

#include "models/layers/l2_pool_cpu.h"

#include <stdexcept>
#include <string>

namespace vidssl {
namespace {

L2BlockShape block_shape(const torch::Tensor& h, std::int64_t g, std::int64_t s) {
  L2BlockShape q;
  q.n = h.size(0), q.groups = h.size(1) / g, q.hb = h.size(2) / s, q.wb = h.size(3) / s, q.g = g, q.s = s;
  return q;
}

// L2Pool on CPU tensors through the loops of l2_pool_cpu.h, with its gradient in h.
class L2PoolCpu : public torch::autograd::Function<L2PoolCpu> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& codes, std::int64_t g, std::int64_t s,
                               double eps) {
    const auto h = codes.contiguous();
    const L2BlockShape q = block_shape(h, g, s);
    auto pooled = torch::empty({q.n, q.groups, q.hb, q.wb}, h.options());
    AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "l2_pool_cpu", [&] {
      l2_pool_cpu<scalar_t>(h.data_ptr<scalar_t>(), q, static_cast<scalar_t>(eps), pooled.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({h, pooled});
    ctx->saved_data["g"] = g;
    ctx->saved_data["s"] = s;
    return pooled;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& h = saved[0];
    const L2BlockShape q = block_shape(h, ctx->saved_data["g"].toInt(), ctx->saved_data["s"].toInt());
    const auto grad = grad_outputs[0].contiguous();
    auto grad_h = torch::empty_like(h);
    AT_DISPATCH_FLOATING_TYPES(h.scalar_type(), "l2_pool_backward_cpu", [&] {
      l2_pool_backward_cpu<scalar_t>(h.data_ptr<scalar_t>(), saved[1].data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), q,
                                     grad_h.data_ptr<scalar_t>());
    });
    return {grad_h, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

L2PoolImpl::L2PoolImpl(L2PoolOptions options_) : options(options_) {
  if (options.features() < 1 || options.space() < 1)
    throw std::invalid_argument("L2Pool: features and space must be at least 1");
}

torch::Tensor L2PoolImpl::forward(const torch::Tensor& h, OpPath path) {
  const auto g = options.features();
  const auto s = options.space();
  if (h.dim() != 4) throw std::invalid_argument("L2Pool: expected N×F×H×W codes, got rank " + std::to_string(h.dim()));
  const auto n = h.size(0), f = h.size(1), height = h.size(2), width = h.size(3);
  if (f % g != 0 || height % s != 0 || width % s != 0)
    throw std::invalid_argument("L2Pool: " + std::to_string(f) + " features × " + std::to_string(height) + "×" +
                                std::to_string(width) + " are not divisible into groups of " + std::to_string(g) +
                                " features × " + std::to_string(s) + "×" + std::to_string(s));
  if (path == OpPath::automatic && h.device().is_cpu()) return L2PoolCpu::apply(h, g, s, options.eps());
  auto energy = (h * h).reshape({n, f / g, g, height / s, s, width / s, s}).sum({2, 4, 6});
  return torch::sqrt(energy + options.eps());
}

}  // namespace vidssl
