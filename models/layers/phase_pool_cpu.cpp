#include "models/layers/phase_pool_cpu.h"

#include "models/layers/fast_exp.h"
#include "models/ops/cpu_loops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace vidssl {
namespace {

// Grid point i of n on [−1, 1], as PhaseBlockOptions::grid.
template <typename T>
T grid_point(std::int64_t i, std::int64_t n) {
  return n == 1 ? T(0) : T(-1) + T(2) * static_cast<T>(i) / static_cast<T>(n - 1);
}

// Where block row (n, k, by) starts: its g·s rows of W = Wb·s values are rows y of planes i at
// `maps + i·plane + y·W` from offset `maps` of the N×F×H×W maps (and of `weights` in the N×K×g×H×W
// softmax weights); its Wb cells at offset `pooled` of N×K×Hb×Wb and `phase` of N×K×3×Hb×Wb.
struct BlockRow {
  std::int64_t maps, weights, pooled, phase;
  BlockRow(const PhaseBlockShape& q, std::int64_t n, std::int64_t k, std::int64_t by) {
    const std::int64_t width = q.wb * q.s, plane = q.hb * q.s * width, cells = q.hb * q.wb;
    maps = (n * q.features + k * q.stride) * plane + by * q.s * width;
    weights = (n * q.k + k) * q.g * plane + by * q.s * width;
    pooled = (n * q.k + k) * cells + by * q.wb;
    phase = (n * q.k + k) * 3 * cells + by * q.wb;
  }
};

// Per-thread rows of W values: five to work in, the grid's c_x per column, and the unpooling's
// tents along the row with the blocks' phases and scales they come from (spread_tents).
template <typename T>
struct RowScratch {
  std::vector<T> a, b, c, d, e, cx, wx, dx, wf, df, wy, dy, at_f, at_x, at_y, scale;
  explicit RowScratch(const PhaseBlockShape& q) {
    const std::size_t width = static_cast<std::size_t>(q.wb * q.s);
    for (auto* v : {&a, &b, &c, &d, &e, &cx, &wx, &dx, &at_f, &at_x, &at_y, &scale}) v->resize(width);
    for (auto* v : {&wf, &df}) v->resize(width * static_cast<std::size_t>(q.g));
    for (auto* v : {&wy, &dy}) v->resize(width * static_cast<std::size_t>(q.s));
    for (std::size_t x = 0; x < width; ++x) cx[x] = grid_point<T>(static_cast<std::int64_t>(x) % q.s, q.s);
  }
};

// Pooling of one block row: the block maxima spread along the row, e = exp(β(z − max)) kept as the
// weights, the column sums of e, z·e, c_f·e and c_y·e, each block's sums of its columns (Σ c_x·e
// from the column sums of e), and the weights divided by their block's Σ e.
template <typename T>
VIDSSL_VECTOR_CLONES void pool_block_row(const T* z, T* w, std::int64_t plane, const PhaseBlockShape& q, T beta, RowScratch<T>& r,
                                         T* magnitude, T* phase, std::int64_t phase_plane) {
  const std::int64_t width = q.wb * q.s;
  T* top = r.a.data();
  T* sum = r.b.data();
  T* sum_z = r.c.data();
  T* sum_f = r.d.data();
  T* sum_y = r.e.data();
  const T* cx = r.cx.data();
  std::fill(top, top + width, -std::numeric_limits<T>::infinity());
  for (std::int64_t i = 0; i < q.g; ++i)
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T* row = z + i * plane + y * width;
      for (std::int64_t x = 0; x < width; ++x) top[x] = std::max(top[x], row[x]);
    }
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    T* block = top + bx * q.s;
    std::fill(block, block + q.s, *std::max_element(block, block + q.s));
  }
  for (T* v : {sum, sum_z, sum_f, sum_y}) std::fill(v, v + width, T(0));
  for (std::int64_t i = 0; i < q.g; ++i) {
    const T cf = grid_point<T>(i, q.g);
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T cy = grid_point<T>(y, q.s);
      const T* row = z + i * plane + y * width;
      T* weights = w + i * plane + y * width;
      // The row, its weights and the four sums never overlap: without this GCC would need more alias
      // checks than it makes and leave the loop scalar.
#pragma GCC ivdep
      for (std::int64_t x = 0; x < width; ++x) {
        const T e = fast_exp(beta * (row[x] - top[x]));
        weights[x] = e;
        sum[x] += e;
        sum_z[x] += row[x] * e;
        sum_f[x] += cf * e;
        sum_y[x] += cy * e;
      }
    }
  }
  T* inverse = top;
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    T s = 0, m = 0, pf = 0, px = 0, py = 0;
    for (std::int64_t x = bx * q.s; x < (bx + 1) * q.s; ++x) {
      s += sum[x], m += sum_z[x], pf += sum_f[x], px += cx[x] * sum[x], py += sum_y[x];
    }
    const T inv = T(1) / s;
    magnitude[bx] = m * inv;
    phase[bx] = pf * inv, phase[phase_plane + bx] = px * inv, phase[2 * phase_plane + bx] = py * inv;
    std::fill(inverse + bx * q.s, inverse + (bx + 1) * q.s, inv);
  }
  for (std::int64_t i = 0; i < q.g; ++i)
    for (std::int64_t y = 0; y < q.s; ++y) {
      T* weights = w + i * plane + y * width;
      for (std::int64_t x = 0; x < width; ++x) weights[x] *= inverse[x];
    }
}

// The pooling's gradient in one block row: g = w [A + β gm z + β gf c_f + β gy c_y] with, per block,
// A = gm (1 − β m) + β (gx c_x + base) and base = −(gf pf + gx px + gy py); the per-block factors
// are spread along the row first. Written, or added where blocks overlap.
template <typename T>
VIDSSL_VECTOR_CLONES void pool_backward_block_row(const T* z, const T* w, std::int64_t plane, const PhaseBlockShape& q, T beta,
                                                  const T* magnitude, const T* phase, const T* grad_magnitude, const T* grad_phase,
                                                  std::int64_t phase_plane, bool add, RowScratch<T>& r, T* grad) {
  const std::int64_t width = q.wb * q.s;
  T* constant = r.a.data();
  T* along_z = r.b.data();
  T* along_f = r.c.data();
  T* along_y = r.d.data();
  const T* cx = r.cx.data();
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    const T m = magnitude[bx], gm = grad_magnitude[bx];
    const T gf = grad_phase[bx], gx = grad_phase[phase_plane + bx], gy = grad_phase[2 * phase_plane + bx];
    const T base = -(gf * phase[bx] + gx * phase[phase_plane + bx] + gy * phase[2 * phase_plane + bx]);
    for (std::int64_t x = bx * q.s; x < (bx + 1) * q.s; ++x) {
      constant[x] = gm * (1 - beta * m) + beta * (gx * cx[x] + base);
      along_z[x] = beta * gm, along_f[x] = beta * gf, along_y[x] = beta * gy;
    }
  }
  for (std::int64_t i = 0; i < q.g; ++i) {
    const T cf = grid_point<T>(i, q.g);
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T cy = grid_point<T>(y, q.s);
      const T* row = z + i * plane + y * width;
      const T* weights = w + i * plane + y * width;
      T* out = grad + i * plane + y * width;
      if (add)
        for (std::int64_t x = 0; x < width; ++x)
          out[x] += weights[x] * (constant[x] + along_z[x] * row[x] + cf * along_f[x] + cy * along_y[x]);
      else
        for (std::int64_t x = 0; x < width; ++x)
          out[x] = weights[x] * (constant[x] + along_z[x] * row[x] + cf * along_f[x] + cy * along_y[x]);
    }
  }
}

// The tent relu(1 − |q − p|/Δ) at grid point q and its slope in p: sign(q − p)/Δ inside the tent, 0
// outside and at q = p (the torch path's derivatives of relu and abs there). Computed as the torch
// path does, u = q − p then |u|/Δ, so that a phase on a grid point (an extrapolation that lands on
// one) takes the same side of the kink in both.
template <typename T>
inline T tent(T q, T p, T step) {
  const T w = T(1) - std::abs(q - p) / step;
  return w > 0 ? w : T(0);
}
template <typename T>
inline T tent_slope(T q, T p, T step) {
  const T u = q - p;
  const T w = T(1) - std::abs(u) / step;
  return w > 0 ? (u > 0 ? T(1) : u < 0 ? T(-1) : T(0)) / step : T(0);
}
template <typename T>
T grid_step(std::int64_t n) {
  return n == 1 ? T(1) : T(2) / static_cast<T>(n - 1);
}

// Row i of `values` (and of `slopes`, unless null): the tent (its slope) at grid point i of n for
// every column's phase `at`.
template <typename T>
VIDSSL_VECTOR_CLONES void tent_rows(std::int64_t n, T step, const T* at, std::int64_t width, T* values, T* slopes) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T q = grid_point<T>(i, n);
    T* v = values + i * width;
    for (std::int64_t x = 0; x < width; ++x) v[x] = tent(q, at[x], step);
    if (!slopes) continue;
    T* d = slopes + i * width;
    for (std::int64_t x = 0; x < width; ++x) d[x] = tent_slope(q, at[x], step);
  }
}

// Each block's tents (and, for the gradient, their slopes) along the row: wx per column (times the
// block's m when `scaled`, as the unpooling uses it), wf per plane (g·W), wy per row (s·W). The
// blocks' phases are spread along the row first, so every tent is one vector loop.
template <typename T>
VIDSSL_VECTOR_CLONES void spread_tents(const T* magnitude, const T* phase, std::int64_t phase_plane, const PhaseBlockShape& q,
                                       bool scaled, bool slopes, RowScratch<T>& r) {
  const std::int64_t width = q.wb * q.s;
  const T step_f = grid_step<T>(q.g), step_s = grid_step<T>(q.s);
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    const T pf = phase[bx], px = phase[phase_plane + bx], py = phase[2 * phase_plane + bx];
    const T scale = scaled ? magnitude[bx] : T(1);
    for (std::int64_t x = bx * q.s; x < (bx + 1) * q.s; ++x) r.at_f[x] = pf, r.at_x[x] = px, r.at_y[x] = py, r.scale[x] = scale;
  }
  const T* at_f = r.at_f.data();
  const T* at_x = r.at_x.data();
  const T* at_y = r.at_y.data();
  const T* scale = r.scale.data();
  const T* cx = r.cx.data();
  for (std::int64_t x = 0; x < width; ++x) r.wx[x] = scale[x] * tent(cx[x], at_x[x], step_s);
  tent_rows(q.g, step_f, at_f, width, r.wf.data(), slopes ? r.df.data() : nullptr);
  tent_rows(q.s, step_s, at_y, width, r.wy.data(), slopes ? r.dy.data() : nullptr);
  if (slopes)
    for (std::int64_t x = 0; x < width; ++x) r.dx[x] = tent_slope(cx[x], at_x[x], step_s);
}

// Unpooling of one block row: maps = m·wx_x · wf_i · wy_y, written, or added where blocks overlap.
template <typename T>
VIDSSL_VECTOR_CLONES void unpool_block_row(std::int64_t plane, const PhaseBlockShape& q, bool add, const RowScratch<T>& r, T* maps) {
  const std::int64_t width = q.wb * q.s;
  const T* m_wx = r.wx.data();
  for (std::int64_t i = 0; i < q.g; ++i)
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T* wf = r.wf.data() + i * width;
      const T* wy = r.wy.data() + y * width;
      T* out = maps + i * plane + y * width;
      if (add)
        for (std::int64_t x = 0; x < width; ++x) out[x] += wf[x] * wy[x] * m_wx[x];
      else
        for (std::int64_t x = 0; x < width; ++x) out[x] = wf[x] * wy[x] * m_wx[x];
    }
}

// The unpooling's gradient in one block row: column sums of G·wf·wy, G·df·wy and G·wf·dy, then per
// block their sums against wx (and the first's against dx); the phase's gradients carry the block's m.
template <typename T>
VIDSSL_VECTOR_CLONES void unpool_backward_block_row(const T* grad, std::int64_t plane, const PhaseBlockShape& q, const T* magnitude,
                                                    std::int64_t phase_plane, RowScratch<T>& r, T* grad_magnitude, T* grad_phase) {
  const std::int64_t width = q.wb * q.s;
  T* sum_m = r.c.data();
  T* sum_f = r.d.data();
  T* sum_y = r.e.data();
  for (T* v : {sum_m, sum_f, sum_y}) std::fill(v, v + width, T(0));
  for (std::int64_t i = 0; i < q.g; ++i)
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T* wf = r.wf.data() + i * width;
      const T* df = r.df.data() + i * width;
      const T* wy = r.wy.data() + y * width;
      const T* dy = r.dy.data() + y * width;
      const T* g = grad + i * plane + y * width;
#pragma GCC ivdep
      for (std::int64_t x = 0; x < width; ++x) {
        const T g_wy = g[x] * wy[x];
        sum_m[x] += g_wy * wf[x];
        sum_f[x] += g_wy * df[x];
        sum_y[x] += g[x] * dy[x] * wf[x];
      }
    }
  const T* wx = r.wx.data();
  const T* dx = r.dx.data();
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    T gm = 0, gf = 0, gx = 0, gy = 0;
    for (std::int64_t x = bx * q.s; x < (bx + 1) * q.s; ++x) {
      gm += sum_m[x] * wx[x], gf += sum_f[x] * wx[x], gx += sum_m[x] * dx[x], gy += sum_y[x] * wx[x];
    }
    const T m = magnitude[bx];
    grad_magnitude[bx] = gm;
    grad_phase[bx] = m * gf, grad_phase[phase_plane + bx] = m * gx, grad_phase[2 * phase_plane + bx] = m * gy;
  }
}

// Each task is one (sample, block row) and all its feature blocks: blocks of one row write only
// their own rows of the maps, so tasks never write the same value.
template <typename T, typename Body>
void for_each_block_row(const PhaseBlockShape& q, const Body& body) {
  at::parallel_for(0, q.n * q.hb, 1, [&](std::int64_t begin, std::int64_t end) {
    RowScratch<T> scratch(q);
    for (std::int64_t task = begin; task < end; ++task)
      for (std::int64_t k = 0; k < q.k; ++k) body(BlockRow(q, task / q.hb, k, task % q.hb), scratch);
  });
}

std::int64_t plane_size(const PhaseBlockShape& q) { return q.hb * q.s * q.wb * q.s; }

// Blocks that tile the features (stride g) cover every map once and write it; others add into maps
// zeroed first (overlapping blocks), which also leaves the maps between spaced-out blocks at 0.
bool tiles(const PhaseBlockShape& q) { return q.stride == q.g; }

}  // namespace

template <typename T>
void phase_pool_cpu(const T* maps, const PhaseBlockShape& q, T beta, T* magnitude, T* phase, T* weights) {
  const std::int64_t plane = plane_size(q), cells = q.hb * q.wb;
  for_each_block_row<T>(q, [&](const BlockRow& at, RowScratch<T>& scratch) {
    pool_block_row(maps + at.maps, weights + at.weights, plane, q, beta, scratch, magnitude + at.pooled, phase + at.phase, cells);
  });
}

template <typename T>
void phase_pool_backward_cpu(const T* maps, const T* weights, const T* magnitude, const T* phase, const T* grad_magnitude,
                             const T* grad_phase, const PhaseBlockShape& q, T beta, T* grad_maps) {
  const std::int64_t plane = plane_size(q), cells = q.hb * q.wb;
  if (!tiles(q)) std::fill(grad_maps, grad_maps + q.n * q.features * plane, T(0));
  for_each_block_row<T>(q, [&](const BlockRow& at, RowScratch<T>& scratch) {
    pool_backward_block_row(maps + at.maps, weights + at.weights, plane, q, beta, magnitude + at.pooled, phase + at.phase,
                            grad_magnitude + at.pooled, grad_phase + at.phase, cells, !tiles(q), scratch, grad_maps + at.maps);
  });
}

template <typename T>
void phase_unpool_cpu(const T* magnitude, const T* phase, const PhaseBlockShape& q, T* maps) {
  const std::int64_t plane = plane_size(q), cells = q.hb * q.wb;
  if (!tiles(q)) std::fill(maps, maps + q.n * q.features * plane, T(0));
  for_each_block_row<T>(q, [&](const BlockRow& at, RowScratch<T>& scratch) {
    spread_tents(magnitude + at.pooled, phase + at.phase, cells, q, /*scaled=*/true, /*slopes=*/false, scratch);
    unpool_block_row(plane, q, !tiles(q), scratch, maps + at.maps);
  });
}

template <typename T>
void phase_unpool_backward_cpu(const T* magnitude, const T* phase, const T* grad_maps, const PhaseBlockShape& q, T* grad_magnitude,
                               T* grad_phase) {
  const std::int64_t plane = plane_size(q), cells = q.hb * q.wb;
  for_each_block_row<T>(q, [&](const BlockRow& at, RowScratch<T>& scratch) {
    spread_tents(magnitude + at.pooled, phase + at.phase, cells, q, /*scaled=*/false, /*slopes=*/true, scratch);
    unpool_backward_block_row(grad_maps + at.maps, plane, q, magnitude + at.pooled, cells, scratch, grad_magnitude + at.pooled,
                              grad_phase + at.phase);
  });
}

template void phase_pool_cpu<float>(const float*, const PhaseBlockShape&, float, float*, float*, float*);
template void phase_pool_cpu<double>(const double*, const PhaseBlockShape&, double, double*, double*, double*);
template void phase_pool_backward_cpu<float>(const float*, const float*, const float*, const float*, const float*, const float*,
                                             const PhaseBlockShape&, float, float*);
template void phase_pool_backward_cpu<double>(const double*, const double*, const double*, const double*, const double*, const double*,
                                              const PhaseBlockShape&, double, double*);
template void phase_unpool_cpu<float>(const float*, const float*, const PhaseBlockShape&, float*);
template void phase_unpool_cpu<double>(const double*, const double*, const PhaseBlockShape&, double*);
template void phase_unpool_backward_cpu<float>(const float*, const float*, const float*, const PhaseBlockShape&, float*, float*);
template void phase_unpool_backward_cpu<double>(const double*, const double*, const double*, const PhaseBlockShape&, double*,
                                                double*);

}  // namespace vidssl
