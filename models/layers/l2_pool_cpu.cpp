#include "models/layers/l2_pool_cpu.h"

#include "models/ops/cpu_loops.h"

#include <cmath>
#include <vector>

namespace vidssl {
namespace {

// Block row (n, group, by): its g·s rows of W = Wb·s codes are rows y of planes i at
// `codes + i·plane + y·W` from `first`; its Wb outputs at `pooled`.
struct L2BlockRow {
  std::int64_t first, pooled;
  L2BlockRow(const L2BlockShape& q, std::int64_t n, std::int64_t group, std::int64_t by) {
    const std::int64_t width = q.wb * q.s, plane = q.hb * q.s * width;
    first = (n * q.groups + group) * q.g * plane + by * q.s * width;
    pooled = ((n * q.groups + group) * q.hb + by) * q.wb;
  }
};

template <typename T>
VIDSSL_VECTOR_CLONES void l2_pool_block_row(const T* codes, std::int64_t plane, const L2BlockShape& q, T eps, T* column_sum,
                                            T* pooled) {
  const std::int64_t width = q.wb * q.s;
  std::fill(column_sum, column_sum + width, T(0));
  for (std::int64_t i = 0; i < q.g; ++i)
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T* row = codes + i * plane + y * width;
      for (std::int64_t x = 0; x < width; ++x) column_sum[x] += row[x] * row[x];
    }
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    T energy = 0;
    for (std::int64_t x = bx * q.s; x < (bx + 1) * q.s; ++x) energy += column_sum[x];
    pooled[bx] = std::sqrt(energy + eps);
  }
}

template <typename T>
VIDSSL_VECTOR_CLONES void l2_pool_backward_block_row(const T* codes, std::int64_t plane, const L2BlockShape& q, const T* pooled,
                                                     const T* grad_pooled, T* ratio, T* grad_codes) {
  const std::int64_t width = q.wb * q.s;
  for (std::int64_t bx = 0; bx < q.wb; ++bx) {
    const T r = grad_pooled[bx] / pooled[bx];
    for (std::int64_t x = bx * q.s; x < (bx + 1) * q.s; ++x) ratio[x] = r;
  }
  for (std::int64_t i = 0; i < q.g; ++i)
    for (std::int64_t y = 0; y < q.s; ++y) {
      const T* row = codes + i * plane + y * width;
      T* out = grad_codes + i * plane + y * width;
      for (std::int64_t x = 0; x < width; ++x) out[x] = row[x] * ratio[x];
    }
}

// One task per (sample, block row), all groups: the blocks tile the codes, so tasks never write
// the same value.
template <typename T, typename Body>
void for_each_l2_block_row(const L2BlockShape& q, const Body& body) {
  at::parallel_for(0, q.n * q.hb, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<T> row(static_cast<std::size_t>(q.wb * q.s));
    for (std::int64_t task = begin; task < end; ++task)
      for (std::int64_t group = 0; group < q.groups; ++group) body(L2BlockRow(q, task / q.hb, group, task % q.hb), row.data());
  });
}

}  // namespace

template <typename T>
void l2_pool_cpu(const T* codes, const L2BlockShape& q, T eps, T* pooled) {
  const std::int64_t plane = q.hb * q.s * q.wb * q.s;
  for_each_l2_block_row<T>(q, [&](const L2BlockRow& at, T* row) {
    l2_pool_block_row(codes + at.first, plane, q, eps, row, pooled + at.pooled);
  });
}

template <typename T>
void l2_pool_backward_cpu(const T* codes, const T* pooled, const T* grad_pooled, const L2BlockShape& q, T* grad_codes) {
  const std::int64_t plane = q.hb * q.s * q.wb * q.s;
  for_each_l2_block_row<T>(q, [&](const L2BlockRow& at, T* row) {
    l2_pool_backward_block_row(codes + at.first, plane, q, pooled + at.pooled, grad_pooled + at.pooled, row, grad_codes + at.first);
  });
}

template void l2_pool_cpu<float>(const float*, const L2BlockShape&, float, float*);
template void l2_pool_cpu<double>(const double*, const L2BlockShape&, double, double*);
template void l2_pool_backward_cpu<float>(const float*, const float*, const float*, const L2BlockShape&, float*);
template void l2_pool_backward_cpu<double>(const double*, const double*, const double*, const L2BlockShape&, double*);

}  // namespace vidssl
