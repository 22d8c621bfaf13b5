#include "models/ops/pyramid_resample.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace vidssl {
namespace {

// [1 4 6 4 1] / 16, and twice that for upsampling (half the samples are inserted zeros).
constexpr float kBinomial[5] = {1.f / 16, 4.f / 16, 6.f / 16, 4.f / 16, 1.f / 16};
constexpr float kBinomialUp[5] = {2.f / 16, 8.f / 16, 12.f / 16, 8.f / 16, 2.f / 16};

// Reflection without repeating the edge; valid for i in [−(n−1), 2n−2].
inline std::int64_t reflect(std::int64_t i, std::int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

std::int64_t half_up(std::int64_t n) { return (n + 1) / 2; }

std::string size_text(std::int64_t height, std::int64_t width) {
  return std::to_string(height) + "x" + std::to_string(width);
}

torch::Tensor binomial_taps(const float (&taps)[5], const torch::Device& device) {
  return torch::tensor(std::vector<float>(taps, taps + 5)).to(device);
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

// out[j] = Σ_a b[a]·in[reflect(2j + a − 2)] for j < ceil(n/2).
void down_row(const float* __restrict in, std::int64_t n, float* __restrict out) {
  const std::int64_t n_out = half_up(n);
  // Interior: 2j − 2 ≥ 0 and 2j + 2 ≤ n − 1.
  const std::int64_t interior_end = std::max<std::int64_t>(1, (n - 3) / 2 + 1);
  const auto border = [&](std::int64_t j) {
    float sum = 0;
    for (int a = 0; a < 5; ++a) sum += kBinomial[a] * in[reflect(2 * j + a - 2, n)];
    out[j] = sum;
  };
  border(0);
  for (std::int64_t j = 1; j < interior_end; ++j) {
    const float* p = in + 2 * j - 2;
    out[j] = kBinomial[0] * (p[0] + p[4]) + kBinomial[1] * (p[1] + p[3]) + kBinomial[2] * p[2];
  }
  for (std::int64_t j = interior_end; j < n_out; ++j) border(j);
}

// out[x] = Σ_a 2b[a]·z[reflect(x + a − 2)] for x < n, z the row `in` (length ceil(n/2)) with zeros
// inserted after each sample: even x take (c[j−1] + 6c[j] + c[j+1]) / 8, odd x (c[j] + c[j+1]) / 2.
void up_row(const float* __restrict in, std::int64_t n, float* __restrict out) {
  const auto border = [&](std::int64_t x) {
    float sum = 0;
    for (int a = 0; a < 5; ++a) {
      const std::int64_t q = reflect(x + a - 2, n);
      if (q % 2 == 0) sum += kBinomialUp[a] * in[q / 2];
    }
    out[x] = sum;
  };
  // Interior: x − 2 ≥ 0 and x + 2 ≤ n − 1.
  const std::int64_t lo = std::min<std::int64_t>(2, n), hi = std::max<std::int64_t>(lo, n - 2);
  for (std::int64_t x = 0; x < lo; ++x) border(x);
  for (std::int64_t x = lo; x < hi; x += 2) {
    const std::int64_t j = x / 2;
    out[x] = kBinomialUp[0] * (in[j - 1] + in[j + 1]) + kBinomialUp[2] * in[j];
  }
  for (std::int64_t x = lo + 1; x < hi; x += 2) {
    const std::int64_t j = x / 2;
    out[x] = kBinomialUp[1] * (in[j] + in[j + 1]);
  }
  for (std::int64_t x = hi; x < n; ++x) border(x);
}

// Two passes, each split over the threads: horizontal (every source row, even columns) into
// scratch, then vertical (even rows) into the output.
void down_cpu(const float* src, std::int64_t planes, std::int64_t height, std::int64_t width, float* dst) {
  const std::int64_t out_h = half_up(height), out_w = half_up(width);
  float* rows = thread_scratch(planes * height * out_w);
  at::parallel_for(0, planes * height, rows_per_task(width), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) down_row(src + r * width, width, rows + r * out_w);
  });
  at::parallel_for(0, planes * out_h, rows_per_task(5 * out_w), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const std::int64_t p = r / out_h, i = r % out_h;
      const float* plane = rows + p * height * out_w;
      const float* t[5];
      for (int a = 0; a < 5; ++a) t[a] = plane + reflect(2 * i + a - 2, height) * out_w;
      float* __restrict out = dst + r * out_w;
      for (std::int64_t j = 0; j < out_w; ++j)
        out[j] = kBinomial[0] * (t[0][j] + t[4][j]) + kBinomial[1] * (t[1][j] + t[3][j]) + kBinomial[2] * t[2][j];
    }
  });
}

// Horizontal pass over the coarse rows into scratch, then vertical: each output row sums the
// (at most three) even rows of the zero-inserted image its taps reach.
void up_add_cpu(const float* base, const float* coarse, float scale, std::int64_t planes, std::int64_t height,
                std::int64_t width, float* dst) {
  const std::int64_t in_h = half_up(height), in_w = half_up(width);
  float* rows = thread_scratch(planes * in_h * width);
  at::parallel_for(0, planes * in_h, rows_per_task(width), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) up_row(coarse + r * in_w, width, rows + r * width);
  });
  at::parallel_for(0, planes * height, rows_per_task(4 * width), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const std::int64_t p = r / height, y = r % height;
      const float* plane = rows + p * in_h * width;
      const float* b = base + r * width;
      float* __restrict out = dst + r * width;
      std::fill(out, out + width, 0.f);
      for (int a = 0; a < 5; ++a) {
        const std::int64_t q = reflect(y + a - 2, height);
        if (q % 2 != 0) continue;
        const float* __restrict t = plane + (q / 2) * width;
        const float w = kBinomialUp[a];
        for (std::int64_t x = 0; x < width; ++x) out[x] += w * t[x];
      }
      for (std::int64_t x = 0; x < width; ++x) out[x] = b[x] + scale * out[x];
    }
  });
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
  down_cpu(src.data_ptr<float>(), src.size(0) * src.size(1), height, width, out.data_ptr<float>());
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
  up_add_cpu(b.data_ptr<float>(), c.data_ptr<float>(), scale, b.size(0) * b.size(1), height, width,
             out.data_ptr<float>());
  return like_input_rank(out, base);
}

}  // namespace vidssl
