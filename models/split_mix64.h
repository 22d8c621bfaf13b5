#pragma once

#include <cmath>
#include <cstdint>

namespace vidssl {

// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014) with the few draws vidssl needs. Why not <random>:
// the std:: distributions are implementation-defined, so the same seed gives other numbers under
// another standard library; these are the same numbers on every machine, and tests can pin them.
//
//   SplitMix64 rng(seed);
//   double u = rng.uniform(-1, 1);
//   std::uint64_t i = rng.below(n);   // an index into n items
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // [0, n) for n ≥ 1; the bias of scaling a 53-bit draw is below 2⁻²⁰ for any n under 2³².
  std::uint64_t below(std::uint64_t n) {
    const auto i = static_cast<std::uint64_t>(uniform() * static_cast<double>(n));
    return i < n ? i : n - 1;
  }
  double normal() {  // Box–Muller
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
  }
  std::uint64_t state() const { return state_; }

 private:
  std::uint64_t state_;
};

}  // namespace vidssl
