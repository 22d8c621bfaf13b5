#pragma once

#include <cstdint>

namespace vidssl {

// The shape of phase pooling and unpooling on contiguous tensors: N×F×(Hb·s)×(Wb·s) maps,
// N×K×Hb×Wb magnitudes, N×K×3×Hb×Wb phases ([f, x, y]); block k covers maps k·stride … k·stride + g − 1.
struct PhaseBlockShape {
  std::int64_t n = 0, k = 0, hb = 0, wb = 0;
  std::int64_t features = 0;   // F
  std::int64_t g = 0, s = 0, stride = 0;
};

// The CPU loops of PhasePool and PhaseUnpool (layers/phase_pool.h), in place of the torch path's
// unfolded copies, softmax and broadcast products of N×K×g×Hb×s×Wb×s tensors and their gradients,
// which were most of a Model B step (docs/benchmarks.md). They walk a block row at a time: its g·s
// rows of the maps, each a plain loop over the whole width that the compiler vectorizes, with each
// block's quantities (its maximum, sums, tents) spread along the row. The tents and their slopes are
// those of the torch path, kinks included (slope 0 at the grid point and outside the tent), so both
// give the same values and gradients. Block rows are split over at::parallel_for; blocks that
// overlap (or leave maps out) add into maps zeroed first.
// Pooling: m = Σ z·w, p = Σ c·w over each block, w = softmax(βz) (the block's maximum subtracted),
// c the block's grid coordinates. The weights are kept for the gradient, in the layout of the
// maps, one plane per block's feature (N×K×g×H×W).
template <typename T>
void phase_pool_cpu(const T* maps, const PhaseBlockShape& shape, T beta, T* magnitude, T* phase, T* weights);

// The gradient in z of Σ grad_m·m + Σ grad_p·p: for z_j of a block, w_j [grad_m (1 + β (z_j − m)) +
// β Σ_d grad_p,d (c_j,d − p_d)], added over the blocks that hold z_j.
template <typename T>
void phase_pool_backward_cpu(const T* maps, const T* weights, const T* magnitude, const T* phase, const T* grad_magnitude,
                             const T* grad_phase, const PhaseBlockShape& shape, T beta, T* grad_maps);

template <typename T>
void phase_unpool_cpu(const T* magnitude, const T* phase, const PhaseBlockShape& shape, T* maps);

// The gradients in m and p of Σ grad_maps · maps.
template <typename T>
void phase_unpool_backward_cpu(const T* magnitude, const T* phase, const T* grad_maps, const PhaseBlockShape& shape,
                               T* grad_magnitude, T* grad_phase);

}  // namespace vidssl
