#include "models/ops/pyramid_resample.h"

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "models/ops/pyramid_resample_cpu.h"

namespace vidssl {
namespace {

std::int64_t half_up(std::int64_t n) { return (n + 1) / 2; }

std::string size_text(std::int64_t height, std::int64_t width) {
  return std::to_string(height) + "x" + std::to_string(width);
}

// The taps on `device`, uploaded once per device: an upload from pageable memory on every call would
// make each call wait for the GPU stream. Never freed, so no tensor outlives CUDA at exit.
torch::Tensor binomial_taps(const float (&taps)[5], const torch::Device& device) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::pair<const float*, std::string>, torch::Tensor>();
  std::lock_guard<std::mutex> lock(mutex);
  torch::Tensor& cached = (*cache)[{taps, device.str()}];
  if (!cached.defined()) cached = torch::tensor(std::vector<float>(taps, taps + 5)).to(device);
  return cached;
}

// Filters every plane of an N×C×H×W batch separably with `taps`, reflect borders, keeping every
// `step`-th row and column.
torch::Tensor reference_filter(const torch::Tensor& batch, const float (&taps)[5], std::int64_t step) {
  namespace F = torch::nn::functional;
  const std::int64_t height = batch.size(2), width = batch.size(3);
  const torch::Tensor planes = batch.reshape({-1, 1, height, width});
  const torch::Tensor padded = F::pad(planes, F::PadFuncOptions({2, 2, 2, 2}).mode(torch::kReflect));
  const torch::Tensor g = binomial_taps(taps, batch.device());
  const torch::Tensor rows = F::conv2d(padded, g.view({1, 1, 1, 5}), F::Conv2dFuncOptions().stride({1, step}));
  const torch::Tensor out = F::conv2d(rows, g.view({1, 1, 5, 1}), F::Conv2dFuncOptions().stride({step, 1}));
  return out.reshape({batch.size(0), batch.size(1), out.size(2), out.size(3)});
}

void require_filterable(const torch::Tensor& batch, const char* op) {
  if (batch.size(2) < 3 || batch.size(3) < 3)
    throw std::invalid_argument(std::string(op) + ": a " + size_text(batch.size(2), batch.size(3)) +
                                " image is too small: the 5-tap reflect filter needs at least 3x3");
}

}  // namespace

torch::Tensor pyramid_down(const torch::Tensor& x, OpPath path) {
  const torch::Tensor batch = as_image_batch(x, "pyramid_down");
  require_filterable(batch, "pyramid_down");
  if (!runs_fast_cpu(x, path)) return like_input_rank(reference_filter(batch, kBinomial, 2), x);

  const torch::Tensor src = batch.contiguous();
  const std::int64_t height = src.size(2), width = src.size(3);
  torch::Tensor out = torch::empty({src.size(0), src.size(1), half_up(height), half_up(width)}, src.options());
  const std::int64_t planes = src.size(0) * src.size(1);
  pyramid_down_cpu(src.data_ptr<float>(), planes, height, width, thread_scratch(pyramid_down_scratch(planes, height, width)),
                   out.data_ptr<float>());
  return like_input_rank(out, x);
}

torch::Tensor pyramid_up_add(const torch::Tensor& base, const torch::Tensor& coarse, float scale, OpPath path) {
  const torch::Tensor fine = as_image_batch(base, "pyramid_up_add");
  const torch::Tensor small = as_image_batch(coarse, "pyramid_up_add");
  require_filterable(fine, "pyramid_up_add");
  const std::int64_t height = fine.size(2), width = fine.size(3);
  if (small.size(0) != fine.size(0) || small.size(1) != fine.size(1) || small.size(2) != half_up(height) ||
      small.size(3) != half_up(width) || small.device() != fine.device())
    throw std::invalid_argument("pyramid_up_add: coarse " + c10::str(coarse.sizes()) + " on " +
                                c10::str(coarse.device()) + " is not the next level of " + c10::str(base.sizes()) +
                                " on " + c10::str(base.device()) + " (expected " +
                                size_text(half_up(height), half_up(width)) + ", same batch, channels and device)");

  if (!runs_fast_cpu(base, path) || !runs_fast_cpu(coarse, path)) {
    const std::int64_t planes = small.size(0) * small.size(1);
    torch::Tensor zeros = torch::zeros({planes, 1, height, width}, fine.options());
    zeros.slice(2, 0, height, 2).slice(3, 0, width, 2).copy_(small.reshape({planes, 1, half_up(height), half_up(width)}));
    const torch::Tensor up = reference_filter(zeros, kBinomialUp, 1).reshape(fine.sizes());
    return like_input_rank(fine + scale * up, base);
  }

  const torch::Tensor b = fine.contiguous(), c = small.contiguous();
  torch::Tensor out = torch::empty(b.sizes(), b.options());
  const std::int64_t planes = b.size(0) * b.size(1);
  pyramid_up_add_cpu(b.data_ptr<float>(), c.data_ptr<float>(), scale, planes, height, width,
                     thread_scratch(pyramid_up_add_scratch(planes, height, width)), out.data_ptr<float>());
  return like_input_rank(out, base);
}

}  // namespace vidssl
