#include "models/ops/pyramid_resample_cpu.h"

#include <algorithm>

#include "models/ops/cpu_loops.h"

namespace vidssl {
namespace {

// Reflection without repeating the edge; valid for i in [−(n−1), 2n−2].
inline std::int64_t reflect(std::int64_t i, std::int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

std::int64_t half_up(std::int64_t n) { return (n + 1) / 2; }

// out[j] = Σ_a b[a]·in[reflect(2j + a − 2)] for j < ceil(n/2).
void down_row(const float* __restrict in, std::int64_t n, float* __restrict out) {
  const auto one_sample = [&](std::int64_t j) {
    float sum = 0;
    for (int a = 0; a < 5; ++a) sum += kBinomial[a] * in[reflect(2 * j + a - 2, n)];
    out[j] = sum;
  };
  // Interior: 2j − 2 ≥ 0 and 2j + 2 ≤ n − 1.
  const std::int64_t interior_end = std::max<std::int64_t>(1, (n - 3) / 2 + 1);
  one_sample(0);
  for (std::int64_t j = 1; j < interior_end; ++j) {
    const float* p = in + 2 * j - 2;
    out[j] = kBinomial[0] * (p[0] + p[4]) + kBinomial[1] * (p[1] + p[3]) + kBinomial[2] * p[2];
  }
  for (std::int64_t j = interior_end; j < half_up(n); ++j) one_sample(j);
}

// out[x] = Σ_a 2b[a]·z[reflect(x + a − 2)] for x < n, z the row `in` (ceil(n/2) samples) with zeros
// inserted after each: even x take (c[j−1] + 6c[j] + c[j+1]) / 8, odd x (c[j] + c[j+1]) / 2.
void up_row(const float* __restrict in, std::int64_t n, float* __restrict out) {
  const auto one_sample = [&](std::int64_t x) {
    float sum = 0;
    for (int a = 0; a < 5; ++a) {
      const std::int64_t q = reflect(x + a - 2, n);
      if (q % 2 == 0) sum += kBinomialUp[a] * in[q / 2];
    }
    out[x] = sum;
  };
  // Interior pairs x = 2j, 2j + 1 (one loop, so it vectorizes): 2j − 2 ≥ 0 and 2j + 3 ≤ n − 1.
  const std::int64_t pairs_end = std::max<std::int64_t>(1, (n - 2) / 2);
  for (std::int64_t x = 0; x < std::min<std::int64_t>(2, n); ++x) one_sample(x);
  for (std::int64_t j = 1; j < pairs_end; ++j) {
    out[2 * j] = kBinomialUp[0] * (in[j - 1] + in[j + 1]) + kBinomialUp[2] * in[j];
    out[2 * j + 1] = kBinomialUp[1] * (in[j] + in[j + 1]);
  }
  for (std::int64_t x = 2 * pairs_end; x < n; ++x) one_sample(x);
}

}  // namespace

std::int64_t pyramid_down_scratch(std::int64_t planes, std::int64_t height, std::int64_t width) {
  return planes * height * half_up(width);
}

// Two passes, each split over the threads: horizontal (every source row, even columns) into
// scratch, then vertical (even rows) into the output.
void pyramid_down_cpu(const float* src, std::int64_t planes, std::int64_t height, std::int64_t width, float* scratch,
                      float* dst) {
  const std::int64_t out_h = half_up(height), out_w = half_up(width);
  float* rows = scratch;
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

std::int64_t pyramid_up_add_scratch(std::int64_t planes, std::int64_t height, std::int64_t width) {
  return planes * half_up(height) * width;
}

// Horizontal pass over the coarse rows into scratch, then vertical: each output row sums the
// (at most three) even rows of the zero-inserted image its taps reach.
void pyramid_up_add_cpu(const float* base, const float* coarse, float scale, std::int64_t planes, std::int64_t height,
                        std::int64_t width, float* scratch, float* dst) {
  const std::int64_t in_h = half_up(height), in_w = half_up(width);
  float* rows = scratch;
  at::parallel_for(0, planes * in_h, rows_per_task(width), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) up_row(coarse + r * in_w, width, rows + r * width);
  });
  at::parallel_for(0, planes * height, rows_per_task(4 * width), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const std::int64_t p = r / height, y = r % height;
      const float* plane = rows + p * in_h * width;
      const float* __restrict b = base + r * width;
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

}  // namespace vidssl
