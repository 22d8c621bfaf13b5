#include "models/ops/contrast_normalizer_cpu.h"

#include <algorithm>
#include <cmath>

#include "models/ops/cpu_loops.h"

namespace vidssl {
namespace {

// out[x] = Σ_{t < count} w[t]·src[t·stride + x] for x < width. Three taps per pass over the row: the
// x loop vectorizes, and out is loaded and stored count/3 times instead of count times. A missing
// third tap gets weight 0 on a row that is there.
void weighted_rows(const float* src, std::int64_t stride, const float* w, int count, std::int64_t width,
                   float* __restrict out) {
  for (int t = 0; t < count; t += 3) {
    const int n = std::min(3, count - t);
    const float* __restrict s0 = src + t * stride;
    const float* __restrict s1 = n > 1 ? s0 + stride : s0;
    const float* __restrict s2 = n > 2 ? s0 + 2 * stride : s0;
    const float w0 = w[t], w1 = n > 1 ? w[t + 1] : 0.f, w2 = n > 2 ? w[t + 2] : 0.f;
    if (t == 0) {
      for (std::int64_t x = 0; x < width; ++x) out[x] = w0 * s0[x] + w1 * s1[x] + w2 * s2[x];
    } else {
      for (std::int64_t x = 0; x < width; ++x) out[x] += w0 * s0[x] + w1 * s1[x] + w2 * s2[x];
    }
  }
}

// out[x] = scale · Σ_k g[k]·rows[y + k − r][x] over the rows inside the image (zero padding).
void column_window(const float* rows, std::int64_t y, std::int64_t height, std::int64_t width, const float* g,
                   int k_size, float scale, float* __restrict out) {
  const int r = k_size / 2;
  const int k_begin = static_cast<int>(std::max<std::int64_t>(0, r - y));
  const int k_end = static_cast<int>(std::min<std::int64_t>(k_size, height - y + r));
  weighted_rows(rows + (y + k_begin - r) * width, width, g + k_begin, k_end - k_begin, width, out);
  for (std::int64_t x = 0; x < width; ++x) out[x] *= scale;
}

// out[x] = factor · scale[x] · Σ_k g[k]·padded[x + k]: `padded` is the row with r zeros on each side.
void row_window(const float* padded, std::int64_t width, const float* g, int k_size, const float* __restrict scale,
                float factor, float* __restrict out) {
  weighted_rows(padded, 1, g, k_size, width, out);
  for (std::int64_t x = 0; x < width; ++x) out[x] *= scale[x] * factor;
}

// Σ s[x] in kLanes partial sums, which the compiler keeps in vector registers.
float row_sum(const float* __restrict s, std::int64_t width) {
  constexpr int kLanes = 8;
  float lanes[kLanes] = {};
  std::int64_t x = 0;
  for (; x + kLanes <= width; x += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += s[x + l];
  float sum = 0;
  for (; x < width; ++x) sum += s[x];
  for (int l = 0; l < kLanes; ++l) sum += lanes[l];
  return sum;
}

}  // namespace

std::int64_t contrast_normalize_scratch(std::int64_t height, std::int64_t width, int k_size) {
  return height * (width + 2 * (k_size / 2)) + 3 * height * width + height;
}

// Four passes over the rows, each split over the threads; a pass only reads rows the one before it
// finished. Scratch: a zero-padded row per image row (the channel sum the horizontal window reads),
// the horizontal window of x, that of Σ_c v², σ, and σ's sum per row.
void contrast_normalize_cpu(const float* x, std::int64_t channels, std::int64_t height, std::int64_t width,
                            const SeparableWindow& window, float* scratch, float* y) {
  const std::int64_t plane = height * width;
  const float* g = window.taps;
  const int k_size = window.size, r = k_size / 2;
  const std::int64_t padded_width = width + 2 * r;
  const float* inv_rows = window.inv_row_mass;
  const float* inv_cols = window.inv_col_mass;
  const float inv_channels = 1.f / static_cast<float>(channels);
  float* padded = scratch;
  float* h_mean = padded + height * padded_width;
  float* h_var = h_mean + plane;
  float* sigma = h_var + plane;
  float* row_sums = sigma + plane;
  const std::int64_t grain = rows_per_task(width * channels);
  const float x0 = x[0];

  // Pass 1: y = x − x0; h_mean = horizontal window of the channel mean of y (the window is the same
  // for every channel, so it runs once on their sum).
  at::parallel_for(0, height, grain, [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      float* __restrict sum = padded + row * padded_width;
      std::fill(sum, sum + padded_width, 0.f);
      for (std::int64_t c = 0; c < channels; ++c) {
        const float* __restrict src = x + c * plane + row * width;
        float* __restrict dst = y + c * plane + row * width;
        for (std::int64_t i = 0; i < width; ++i) {
          dst[i] = src[i] - x0;
          sum[r + i] += dst[i];
        }
      }
      row_window(sum, width, g, k_size, inv_cols, inv_channels, h_mean + row * width);
    }
  });

  // Pass 2: the local mean (vertical window), v = y − mean in place; h_var = horizontal window of
  // the channel mean of v². sigma's rows hold the mean here: pass 3 overwrites them.
  at::parallel_for(0, height, grain, [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      float* __restrict mean = sigma + row * width;
      column_window(h_mean, row, height, width, g, k_size, inv_rows[row], mean);
      float* __restrict squares = padded + row * padded_width + r;
      std::fill(squares, squares + width, 0.f);
      for (std::int64_t c = 0; c < channels; ++c) {
        float* __restrict v = y + c * plane + row * width;
        for (std::int64_t i = 0; i < width; ++i) {
          v[i] -= mean[i];
          squares[i] += v[i] * v[i];
        }
      }
      row_window(squares - r, width, g, k_size, inv_cols, inv_channels, h_var + row * width);
    }
  });

  // Pass 3: σ (vertical window, square root; the sums are of non-negative terms) and its row sums.
  at::parallel_for(0, height, grain, [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      float* __restrict s = sigma + row * width;
      column_window(h_var, row, height, width, g, k_size, inv_rows[row], s);
      for (std::int64_t i = 0; i < width; ++i) s[i] = std::sqrt(s[i]);
      row_sums[row] = row_sum(s, width);
    }
  });
  double total = 0;
  for (std::int64_t row = 0; row < height; ++row) total += row_sums[row];
  const float c_mean = static_cast<float>(total / static_cast<double>(plane));

  // Pass 4: y = v / max(c, σ). c = 0 only when every σ is 0, and then every v is 0: the output is 0.
  // Deciding that once per image keeps the division loop free of branches, so it vectorizes.
  at::parallel_for(0, height, grain, [=](std::int64_t begin, std::int64_t end) {
    const float floor = c_mean;  // a local: the loop must not reload it after each store to v
    for (std::int64_t row = begin; row < end; ++row) {
      const float* __restrict s = sigma + row * width;
      for (std::int64_t c = 0; c < channels; ++c) {
        float* __restrict v = y + c * plane + row * width;
        if (floor > 0.f) {
          for (std::int64_t i = 0; i < width; ++i) v[i] = v[i] / std::max(floor, s[i]);
        } else {
          std::fill(v, v + width, 0.f);
        }
      }
    }
  });
}

}  // namespace vidssl
