#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace vidssl {

// e^x in straight-line float arithmetic, so that a loop calling it vectorizes (std::exp is a call
// into libm and keeps a loop scalar; compiled with -fno-trapping-math the clamps are selects). Phase
// pooling's softmax takes one per code, most of a pooling pass before this (docs/benchmarks.md).
// x = k ln 2 + r with |r| ≤ ½ ln 2 (ln 2 in two parts, Cody–Waite), e^r by Cephes' expf polynomial,
// 2^k written into the exponent bits. Relative error under 3e-7 on [−87, 88] (tests/models/layers/
// fast_exp_test.cpp against std::exp in double); x is clamped there, so below −87 it returns about
// 2^−126 rather than a denormal or 0, which a softmax weight cannot tell apart. Doubles keep std::exp.
inline float fast_exp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // Round to nearest by adding and taking away 1.5·2^23: no call, no branch.
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - k * 0.693359375f) + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(k) + 127) << 23;
  float two_to_k;
  std::memcpy(&two_to_k, &bits, sizeof two_to_k);
  return p * two_to_k;
}
inline double fast_exp(double x) { return std::exp(x); }

}  // namespace vidssl
