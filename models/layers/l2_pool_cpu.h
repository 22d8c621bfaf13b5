#pragma once

#include <cstdint>

namespace vidssl {

// The shape of L2 pooling on contiguous tensors: N×(G·g)×(Hb·s)×(Wb·s) codes into N×G×Hb×Wb.
struct L2BlockShape {
  std::int64_t n = 0, groups = 0, hb = 0, wb = 0;
  std::int64_t g = 0, s = 0;  // features and pixels per block side
};

// The CPU loops of L2Pool (layers/l2_pool.h): P = sqrt(Σ h² + ε) over each block in one read of the
// codes, where the torch path (h·h, a sum over three strided axes of a 7-d view, sqrt, and their
// gradients) made about six passes over Model A's largest tensor: forward and backward for 2×32×240×320
// codes 61 ms there, 5 ms here (docs/benchmarks.md, 2026-12-01 fifth sitting; avg_pool3d in place of
// the strided sum only halved it). A block row at a time: column sums of h² over its g·s rows, each a
// plain loop the compiler vectorizes, then each block's s columns.
template <typename T>
void l2_pool_cpu(const T* codes, const L2BlockShape& shape, T eps, T* pooled);

// The gradient in h of Σ grad·P: h · grad/P, each block's grad/P spread along its rows.
template <typename T>
void l2_pool_backward_cpu(const T* codes, const T* pooled, const T* grad_pooled, const L2BlockShape& shape, T* grad_codes);

}  // namespace vidssl
