#include "models/layers/phase_pool_cpu.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace vidssl {
namespace {

// Grid point i of n on [−1, 1] and the grid step, as PhaseBlockOptions::grid and ::step.
template <typename T>
T grid_point(std::int64_t i, std::int64_t n) {
  return n == 1 ? T(0) : T(-1) + T(2) * static_cast<T>(i) / static_cast<T>(n - 1);
}
template <typename T>
T grid_step(std::int64_t n) {
  return n == 1 ? T(1) : T(2) / static_cast<T>(n - 1);
}

// relu(1 − |q − p|/Δ) at every grid point q, and its slope in p: sign(q − p)/Δ inside the tent,
// 0 outside and at q = p (the torch path's derivatives of relu and abs there).
template <typename T>
void tent(T p, std::int64_t n, T* weight, T* slope) {
  const T step = grid_step<T>(n);
  for (std::int64_t i = 0; i < n; ++i) {
    const T u = grid_point<T>(i, n) - p;
    const T w = T(1) - std::abs(u) / step;
    weight[i] = w > 0 ? w : T(0);
    if (slope) slope[i] = w > 0 ? (u > 0 ? T(1) : u < 0 ? T(-1) : T(0)) / step : T(0);
  }
}

struct Strides {
  std::int64_t map_h, map_w, map_plane, phase_plane;
  explicit Strides(const PhaseBlockShape& q)
      : map_h(q.hb * q.s), map_w(q.wb * q.s), map_plane(map_h * map_w), phase_plane(q.hb * q.wb) {}
};

// A block's codes in (feature, y, x) order, the torch path's order, and their coordinates.
template <typename T>
struct BlockCodes {
  std::vector<T> z, w, cf, cx, cy;
  explicit BlockCodes(const PhaseBlockShape& q) : z(q.g * q.s * q.s), w(z.size()), cf(z.size()), cx(z.size()), cy(z.size()) {
    std::size_t b = 0;
    for (std::int64_t i = 0; i < q.g; ++i)
      for (std::int64_t y = 0; y < q.s; ++y)
        for (std::int64_t x = 0; x < q.s; ++x, ++b) {
          cf[b] = grid_point<T>(i, q.g);
          cy[b] = grid_point<T>(y, q.s);
          cx[b] = grid_point<T>(x, q.s);
        }
  }
  // Reads block (n, k, by, bx) of the maps and computes its softmax weights into `w` and `weights`.
  void read(const T* maps, const PhaseBlockShape& q, const Strides& st, std::int64_t n, std::int64_t k, std::int64_t by, std::int64_t bx,
            T beta, T* weights) {
    gather(maps, q, st, n, k, by, bx, z.data());
    const T top = *std::max_element(z.begin(), z.end());
    T sum = 0;
    for (std::size_t j = 0; j < z.size(); ++j) sum += (w[j] = std::exp(beta * (z[j] - top)));
    for (auto& v : w) v /= sum;
    scatter(w.data(), q, st, n, k, by, bx, weights);
  }
  // Reads block (n, k, by, bx) of the maps and its kept weights.
  void reread(const T* maps, const T* weights, const PhaseBlockShape& q, const Strides& st, std::int64_t n, std::int64_t k, std::int64_t by,
              std::int64_t bx) {
    gather(maps, q, st, n, k, by, bx, z.data());
    gather(weights, q, st, n, k, by, bx, w.data(), q.g);
  }

 private:
  // Block (n, k, by, bx) of N×F×H×W maps (block_planes 0) or of N×K×g×H×W weights (block_planes g), in block order.
  static void gather(const T* planes, const PhaseBlockShape& q, const Strides& st, std::int64_t n, std::int64_t k, std::int64_t by,
                     std::int64_t bx, T* out, std::int64_t block_planes = 0) {
    for (std::int64_t i = 0; i < q.g; ++i) {
      const std::int64_t plane = block_planes ? (n * q.k + k) * q.g + i : n * q.features + k * q.stride + i;
      const T* at = planes + plane * st.map_plane + by * q.s * st.map_w + bx * q.s;
      for (std::int64_t y = 0; y < q.s; ++y, at += st.map_w)
        for (std::int64_t x = 0; x < q.s; ++x) *out++ = at[x];
    }
  }
  static void scatter(const T* in, const PhaseBlockShape& q, const Strides& st, std::int64_t n, std::int64_t k, std::int64_t by,
                      std::int64_t bx, T* weights) {
    for (std::int64_t i = 0; i < q.g; ++i) {
      T* at = weights + ((n * q.k + k) * q.g + i) * st.map_plane + by * q.s * st.map_w + bx * q.s;
      for (std::int64_t y = 0; y < q.s; ++y, at += st.map_w)
        for (std::int64_t x = 0; x < q.s; ++x) at[x] = *in++;
    }
  }
};

}  // namespace

template <typename T>
void phase_pool_cpu(const T* maps, const PhaseBlockShape& q, T beta, T* magnitude, T* phase, T* weights) {
  const Strides st(q);
  at::parallel_for(0, q.n * q.hb, 1, [&](std::int64_t begin, std::int64_t end) {
    BlockCodes<T> block(q);
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t n = task / q.hb, by = task % q.hb;
      for (std::int64_t k = 0; k < q.k; ++k)
        for (std::int64_t bx = 0; bx < q.wb; ++bx) {
          block.read(maps, q, st, n, k, by, bx, beta, weights);
          T m = 0, pf = 0, px = 0, py = 0;
          for (std::size_t j = 0; j < block.z.size(); ++j) {
            m += block.z[j] * block.w[j];
            pf += block.cf[j] * block.w[j];
            px += block.cx[j] * block.w[j];
            py += block.cy[j] * block.w[j];
          }
          const std::int64_t cell = by * q.wb + bx;
          magnitude[(n * q.k + k) * st.phase_plane + cell] = m;
          T* p = phase + (n * q.k + k) * 3 * st.phase_plane + cell;
          p[0] = pf, p[st.phase_plane] = px, p[2 * st.phase_plane] = py;
        }
    }
  });
}

template <typename T>
void phase_pool_backward_cpu(const T* maps, const T* weights, const T* magnitude, const T* phase, const T* grad_magnitude,
                             const T* grad_phase, const PhaseBlockShape& q, T beta, T* grad_maps) {
  const Strides st(q);
  // Blocks that tile the features write each gradient once; overlapping ones add theirs.
  const bool overlapping = q.stride != q.g;
  if (overlapping) std::fill(grad_maps, grad_maps + q.n * q.features * st.map_plane, T(0));
  at::parallel_for(0, q.n * q.hb, 1, [&](std::int64_t begin, std::int64_t end) {
    BlockCodes<T> block(q);
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t n = task / q.hb, by = task % q.hb;
      for (std::int64_t k = 0; k < q.k; ++k)
        for (std::int64_t bx = 0; bx < q.wb; ++bx) {
          block.reread(maps, weights, q, st, n, k, by, bx);
          const std::int64_t cell = by * q.wb + bx, at = (n * q.k + k) * st.phase_plane + cell;
          const T m = magnitude[at], gm = grad_magnitude[at];
          const T* p = phase + (n * q.k + k) * 3 * st.phase_plane + cell;
          const T* gp = grad_phase + (n * q.k + k) * 3 * st.phase_plane + cell;
          const T gf = gp[0], gx = gp[st.phase_plane], gy = gp[2 * st.phase_plane];
          const T base = -(gf * p[0] + gx * p[st.phase_plane] + gy * p[2 * st.phase_plane]);
          std::size_t b = 0;
          for (std::int64_t i = 0; i < q.g; ++i) {
            T* plane = grad_maps + (n * q.features + k * q.stride + i) * st.map_plane;
            for (std::int64_t y = 0; y < q.s; ++y) {
              T* row = plane + (by * q.s + y) * st.map_w + bx * q.s;
              for (std::int64_t x = 0; x < q.s; ++x, ++b) {
                const T along_phase = gf * block.cf[b] + gx * block.cx[b] + gy * block.cy[b] + base;
                const T g = block.w[b] * (gm * (1 + beta * (block.z[b] - m)) + beta * along_phase);
                row[x] = overlapping ? row[x] + g : g;
              }
            }
          }
        }
    }
  });
}

template <typename T>
void phase_unpool_cpu(const T* magnitude, const T* phase, const PhaseBlockShape& q, T* maps) {
  const Strides st(q);
  std::fill(maps, maps + q.n * q.features * st.map_plane, T(0));
  // One task per (sample, block row): its blocks write only their own rows of the maps.
  at::parallel_for(0, q.n * q.hb, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> wf(q.g), wx(q.s), wy(q.s);
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t n = task / q.hb, by = task % q.hb;
      for (std::int64_t k = 0; k < q.k; ++k)
        for (std::int64_t bx = 0; bx < q.wb; ++bx) {
          const std::int64_t cell = by * q.wb + bx;
          const T m = magnitude[(n * q.k + k) * st.phase_plane + cell];
          const T* p = phase + (n * q.k + k) * 3 * st.phase_plane + cell;
          tent(p[0], q.g, wf.data(), static_cast<T*>(nullptr));
          tent(p[st.phase_plane], q.s, wx.data(), static_cast<T*>(nullptr));
          tent(p[2 * st.phase_plane], q.s, wy.data(), static_cast<T*>(nullptr));
          for (std::int64_t i = 0; i < q.g; ++i) {
            if (wf[i] == 0) continue;
            T* plane = maps + (n * q.features + k * q.stride + i) * st.map_plane;
            for (std::int64_t y = 0; y < q.s; ++y) {
              const T a = m * wf[i] * wy[y];
              T* row = plane + (by * q.s + y) * st.map_w + bx * q.s;
              for (std::int64_t x = 0; x < q.s; ++x) row[x] += a * wx[x];
            }
          }
        }
    }
  });
}

template <typename T>
void phase_unpool_backward_cpu(const T* magnitude, const T* phase, const T* grad_maps, const PhaseBlockShape& q, T* grad_magnitude,
                               T* grad_phase) {
  const Strides st(q);
  at::parallel_for(0, q.n * q.hb, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> wf(q.g), wx(q.s), wy(q.s), df(q.g), dx(q.s), dy(q.s);
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t n = task / q.hb, by = task % q.hb;
      for (std::int64_t k = 0; k < q.k; ++k)
        for (std::int64_t bx = 0; bx < q.wb; ++bx) {
          const std::int64_t cell = by * q.wb + bx;
          const std::int64_t at = (n * q.k + k) * st.phase_plane + cell;
          const T m = magnitude[at];
          const T* p = phase + (n * q.k + k) * 3 * st.phase_plane + cell;
          tent(p[0], q.g, wf.data(), df.data());
          tent(p[st.phase_plane], q.s, wx.data(), dx.data());
          tent(p[2 * st.phase_plane], q.s, wy.data(), dy.data());
          T sum_m = 0, sum_f = 0, sum_x = 0, sum_y = 0;
          for (std::int64_t i = 0; i < q.g; ++i) {
            if (wf[i] == 0 && df[i] == 0) continue;
            const T* plane = grad_maps + (n * q.features + k * q.stride + i) * st.map_plane;
            for (std::int64_t y = 0; y < q.s; ++y) {
              const T* row = plane + (by * q.s + y) * st.map_w + bx * q.s;
              T along_x = 0, along_dx = 0;
              for (std::int64_t x = 0; x < q.s; ++x) {
                along_x += row[x] * wx[x];
                along_dx += row[x] * dx[x];
              }
              sum_m += wf[i] * wy[y] * along_x;
              sum_f += df[i] * wy[y] * along_x;
              sum_x += wf[i] * wy[y] * along_dx;
              sum_y += wf[i] * dy[y] * along_x;
            }
          }
          grad_magnitude[at] = sum_m;
          T* gp = grad_phase + (n * q.k + k) * 3 * st.phase_plane + cell;
          gp[0] = m * sum_f;
          gp[st.phase_plane] = m * sum_x;
          gp[2 * st.phase_plane] = m * sum_y;
        }
    }
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
