#include "models/layers/decoder_conv.h"

#include <torch/torch.h>

#include "models/torch_runtime.h"

#include <stdexcept>

namespace vidssl {
namespace {

namespace F = torch::nn::functional;

torch::Tensor forward_value(const torch::Tensor& codes, const torch::Tensor& weight) {
  const auto c = weight.size(0), f = weight.size(1), k = weight.size(2);
  // Depthwise: output channel f·C + c is codes_f ⋆ weight[c, f]; then sum over f.
  const auto depthwise = weight.transpose(0, 1).reshape({f * c, 1, k, k});
  const auto per_feature = F::conv2d(codes, depthwise, F::Conv2dFuncOptions().padding(k / 2).groups(f));
  return per_feature.view({codes.size(0), f, c, codes.size(2), codes.size(3)}).sum(1);
}

class DecoderConv : public torch::autograd::Function<DecoderConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& codes,
                               const torch::Tensor& weight) {
    ctx->save_for_backward({codes, weight});
    return forward_value(codes, weight);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& codes = saved[0];
    const auto& weight = saved[1];
    const auto grad = grad_outputs[0].contiguous();
    const auto f = codes.size(1), c = weight.size(0), k = weight.size(2);
    torch::Tensor grad_codes, grad_weight;
    if (ctx->needs_input_grad(0)) {
      // The adjoint of a "same" correlation is the correlation with the flipped, transposed kernel.
      grad_codes = F::conv2d(grad, weight.transpose(0, 1).flip({2, 3}), F::Conv2dFuncOptions().padding(k / 2));
    }
    if (ctx->needs_input_grad(1)) {
      // ∂L/∂W[c,f,d] = Σ_q codes_f(q) · grad_c(q − d + k/2). That is the weight gradient of a
      // C -> F convolution of `grad` whose output gradient is `codes`, with the kernel flipped:
      // oneDNN computes that shape fast and without BLAS, whose threaded sgemm yield-spins when
      // the pipeline's other threads hold the cores (measured: 4x faster than unfold + bmm).
      torch::AutoGradMode enable(true);
      auto probe = torch::zeros({f, c, k, k}, weight.options()).requires_grad_(true);
      auto response = F::conv2d(grad, probe, F::Conv2dFuncOptions().padding(k / 2));
      grad_weight = torch::autograd::grad({response}, {probe}, {codes})[0].transpose(0, 1).flip({2, 3}).contiguous();
    }
    return {grad_codes, grad_weight};
  }
};

// The adjoint pair of DecoderConv: conv2d(image, W) is the adjoint of decoder_conv2d with the
// weight Wᵀ flipped, so its input gradient is that decoder's forward.
class EncoderConv : public torch::autograd::Function<EncoderConv> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& image, const torch::Tensor& weight) {
    ctx->save_for_backward({image, weight});
    return F::conv2d(image, weight, F::Conv2dFuncOptions().padding(weight.size(2) / 2));
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& image = saved[0];
    const auto& weight = saved[1];
    const auto grad = grad_outputs[0].contiguous();
    torch::Tensor grad_image, grad_weight;
    if (ctx->needs_input_grad(0)) grad_image = forward_value(grad, weight.transpose(0, 1).flip({2, 3}));
    if (ctx->needs_input_grad(1)) {
      // The C -> F weight gradient is the shape oneDNN serves fast.
      torch::AutoGradMode enable(true);
      auto probe = weight.detach().requires_grad_(true);
      auto response = F::conv2d(image, probe, F::Conv2dFuncOptions().padding(weight.size(2) / 2));
      grad_weight = torch::autograd::grad({response}, {probe}, {grad})[0];
    }
    return {grad_image, grad_weight};
  }
};

void check_odd_square(const torch::Tensor& weight, const char* what) {
  if (weight.dim() != 4 || weight.size(2) != weight.size(3) || weight.size(2) % 2 == 0)
    throw std::invalid_argument(std::string(what) + ": expected a 4-d weight with a k×k kernel, k odd");
}

}  // namespace

torch::Tensor encoder_conv2d(const torch::Tensor& image, const torch::Tensor& weight) {
  check_odd_square(weight, "encoder_conv2d");
  if (image.dim() != 4 || image.size(1) != weight.size(1))
    throw std::invalid_argument("encoder_conv2d: image must be N×C×H×W with C = " + std::to_string(weight.size(1)));
  if (const auto type = autocast_type(image.device())) return EncoderConv::apply(image.to(*type), weight.to(*type));
  return EncoderConv::apply(image, weight);
}

torch::Tensor decoder_conv2d(const torch::Tensor& codes, const torch::Tensor& weight) {
  check_odd_square(weight, "decoder_conv2d");
  if (codes.dim() != 4 || codes.size(1) != weight.size(1))
    throw std::invalid_argument("decoder_conv2d: codes must be N×F×H×W with F = " + std::to_string(weight.size(1)));
  // Under autocast (run.precision: bf16) the backward's convolutions would meet a bfloat16 gradient
  // and a float32 weight: the function runs in autocast's type, the casts outside it.
  if (const auto type = autocast_type(codes.device())) return DecoderConv::apply(codes.to(*type), weight.to(*type));
  return DecoderConv::apply(codes, weight);
}

}  // namespace vidssl
