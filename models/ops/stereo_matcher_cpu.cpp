#include "models/ops/stereo_matcher_cpu.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "models/ops/cpu_loops.h"

// The census cost is one popcount per pixel and disparity. The x86-64 baseline has no popcount
// instruction (GCC calls a table-driven libgcc routine instead, several times slower), so the census
// cost row is also compiled for CPUs with POPCNT and the loader picks the clone (every x86-64 CPU
// since 2008 has it). Other targets (aarch64) have a vector popcount in their baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__POPCNT__) && !defined(__clang__)
#define VIDSSL_POPCOUNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define VIDSSL_POPCOUNT_CLONES
#endif
// The box sums and the winner search are vector loops over floats: AVX2 clones do them 8 lanes at a
// time where the baseline's SSE2 does 4 (measured: 30 → 19 ms per half-size KITTI pair on one core).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__AVX2__) && !defined(__clang__)
#define VIDSSL_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VIDSSL_AVX2_CLONES
#endif

namespace vidssl {
namespace {

// What a thread buffer (cpu_loops.h) holds: the census codes of both images (the calling thread), a
// census row's window rows and bit halves, the cost rows of the box stages and a row's winners (each
// thread).
enum class Use { codes, census_rows, census_halves, costs, ring, winners };

// Census codes of one image: bit k (raster order over the window, the centre left out, the first
// neighbour in the highest bit) is set where neighbour k is darker than the centre; coordinates
// clamped to the image. Each row copies its window rows with clamped ends first, so the loops over u
// read contiguous memory; the bits gather in two 32-bit halves, whose shifts vectorize as 64-bit ones
// with SSE2 do not.
void census_codes(const float* image, std::int64_t height, std::int64_t width, int window, std::uint64_t* codes) {
  const int r = window / 2, bits = window * window - 1, high_bits = bits / 2;
  const std::int64_t padded_width = width + 2 * r;
  at::parallel_for(0, height, rows_per_task(width * window), [=](std::int64_t begin, std::int64_t end) {
    float* padded = thread_buffer<float, Use::census_rows>(static_cast<std::size_t>(window * padded_width));
    std::uint32_t* halves = thread_buffer<std::uint32_t, Use::census_halves>(static_cast<std::size_t>(2 * width));
    for (std::int64_t v = begin; v < end; ++v) {
      for (int dy = -r; dy <= r; ++dy) {
        const float* src = image + std::clamp<std::int64_t>(v + dy, 0, height - 1) * width;
        float* dst = padded + (dy + r) * padded_width;
        std::fill(dst, dst + r, src[0]);
        std::copy(src, src + width, dst + r);
        std::fill(dst + r + width, dst + padded_width, src[width - 1]);
      }
      const float* __restrict centre = padded + r * padded_width + r;
      std::uint32_t* __restrict high = halves;
      std::uint32_t* __restrict low = halves + width;
      std::fill(halves, halves + 2 * width, 0u);
      int k = 0;
      for (int dy = -r; dy <= r; ++dy)
        for (int dx = -r; dx <= r; ++dx) {
          if (dy == 0 && dx == 0) continue;
          const float* __restrict neighbour = padded + (dy + r) * padded_width + r + dx;
          std::uint32_t* __restrict word = k++ < high_bits ? high : low;
          for (std::int64_t u = 0; u < width; ++u)
            word[u] = (word[u] << 1) | static_cast<std::uint32_t>(neighbour[u] < centre[u]);
        }
      std::uint64_t* __restrict out = codes + v * width;
      for (std::int64_t u = 0; u < width; ++u)
        out[u] = (static_cast<std::uint64_t>(high[u]) << (bits - high_bits)) | low[u];
    }
  });
}

// cost[u·D + d] = popcount(left[u] XOR right[max(u − d, 0)]).
VIDSSL_POPCOUNT_CLONES
void census_cost_row(const std::uint64_t* __restrict left, const std::uint64_t* __restrict right, std::int64_t width,
                     int disparities, float* __restrict cost) {
  for (std::int64_t u = 0; u < width; ++u) {
    const std::uint64_t code = left[u];
    float* __restrict c = cost + u * disparities;
    const int inside = static_cast<int>(std::min<std::int64_t>(disparities, u + 1));
    for (int d = 0; d < inside; ++d) c[d] = static_cast<float>(__builtin_popcountll(code ^ right[u - d]));
    const float clamped = static_cast<float>(__builtin_popcountll(code ^ right[0]));
    for (int d = inside; d < disparities; ++d) c[d] = clamped;
  }
}

// cost[u·D + d] = |left[u] − right[max(u − d, 0)]|.
void absolute_difference_row(const float* __restrict left, const float* __restrict right, std::int64_t width,
                             int disparities, float* __restrict cost) {
  for (std::int64_t u = 0; u < width; ++u) {
    float* __restrict c = cost + u * disparities;
    const int inside = static_cast<int>(std::min<std::int64_t>(disparities, u + 1));
    for (int d = 0; d < inside; ++d) c[d] = std::abs(left[u] - right[u - d]);
    for (int d = inside; d < disparities; ++d) c[d] = std::abs(left[u] - right[0]);
  }
}

// out[u] = Σ in[u'] over u' ∈ [u − r, u + r] inside the row, for every disparity at once (a row is
// W × D, disparity fastest): a running sum along u, each step a vector of D adds.
VIDSSL_AVX2_CLONES
void box_along_row(const float* __restrict in, std::int64_t width, int disparities, int r, float* __restrict out) {
  const std::int64_t n = disparities;
  std::fill(out, out + n, 0.f);
  for (std::int64_t u = 0; u <= std::min<std::int64_t>(r, width - 1); ++u)
    for (std::int64_t d = 0; d < n; ++d) out[d] += in[u * n + d];
  for (std::int64_t u = 1; u < width; ++u) {
    float* __restrict o = out + u * n;
    const float* __restrict previous = o - n;
    const std::int64_t enter = u + r, leave = u - r - 1;
    if (enter < width && leave >= 0) {
      const float* __restrict a = in + enter * n;
      const float* __restrict b = in + leave * n;
      for (std::int64_t d = 0; d < n; ++d) o[d] = previous[d] + a[d] - b[d];
    } else if (enter < width) {
      const float* __restrict a = in + enter * n;
      for (std::int64_t d = 0; d < n; ++d) o[d] = previous[d] + a[d];
    } else if (leave >= 0) {
      const float* __restrict b = in + leave * n;
      for (std::int64_t d = 0; d < n; ++d) o[d] = previous[d] - b[d];
    } else {
      std::copy(previous, previous + n, o);
    }
  }
}

// sum[i] += enter[i] − leave[i] (either may be null: nothing enters or leaves).
VIDSSL_AVX2_CLONES
void slide(float* __restrict sum, const float* __restrict enter, const float* __restrict leave, std::int64_t n) {
  if (enter != nullptr && leave != nullptr) {
    for (std::int64_t i = 0; i < n; ++i) sum[i] += enter[i] - leave[i];
  } else if (enter != nullptr) {
    for (std::int64_t i = 0; i < n; ++i) sum[i] += enter[i];
  } else if (leave != nullptr) {
    for (std::int64_t i = 0; i < n; ++i) sum[i] -= leave[i];
  }
}

// A source of cost rows (W × D floats, disparity fastest). Box stages ask for rows in increasing
// order; a row pointer stays valid until the next request.
class CostRows {
 public:
  virtual ~CostRows() = default;
  virtual const float* row(std::int64_t v) = 0;
};

// The matching cost of each pixel before any window sum: a census Hamming distance, or |L − R|.
class PixelCosts final : public CostRows {
 public:
  PixelCosts(const float* left, const float* right, const std::uint64_t* left_codes, const std::uint64_t* right_codes,
             std::int64_t width, int disparities, float* buffer)
      : left_(left), right_(right), left_codes_(left_codes), right_codes_(right_codes), width_(width),
        disparities_(disparities), buffer_(buffer) {}

  const float* row(std::int64_t v) override {
    if (left_codes_ != nullptr)
      census_cost_row(left_codes_ + v * width_, right_codes_ + v * width_, width_, disparities_, buffer_);
    else
      absolute_difference_row(left_ + v * width_, right_ + v * width_, width_, disparities_, buffer_);
    return buffer_;
  }

 private:
  const float* left_;
  const float* right_;
  const std::uint64_t* left_codes_;
  const std::uint64_t* right_codes_;
  std::int64_t width_;
  int disparities_;
  float* buffer_;
};

// Sums of the input's rows over a (2r + 1)² box, zero outside the image. The horizontal sums of the
// 2r + 1 rows in the window stay in a ring; moving down a row adds the entering one to the running
// vertical sum and subtracts the leaving one in one pass (the entering row goes to a spare buffer,
// which then takes the leaving row's place). Integer-valued costs stay exact (far below 2^24).
class BoxedCosts final : public CostRows {
 public:
  // Floats of buffer, and row pointers of ring, a stage of this radius needs.
  static std::int64_t buffer_size(int r, std::int64_t width, int disparities) {
    return (2 * r + 3) * width * disparities;
  }
  static std::int64_t ring_size(int r) { return 2 * r + 1; }

  BoxedCosts(CostRows& input, int r, std::int64_t height, std::int64_t width, int disparities, float* buffer,
             float** ring)
      : input_(input), r_(r), height_(height), row_size_(width * disparities), width_(width), disparities_(disparities),
        sum_(buffer), spare_(buffer + row_size_), ring_(ring) {
    for (int i = 0; i < 2 * r + 1; ++i) ring_[i] = buffer + (i + 2) * row_size_;
  }

  const float* row(std::int64_t v) override {
    if (v != next_) {
      std::fill(sum_, sum_ + row_size_, 0.f);
      for (std::int64_t y = std::max<std::int64_t>(0, v - r_); y <= std::min(height_ - 1, v + r_); ++y) {
        box_along_row(input_.row(y), width_, disparities_, r_, slot(y));
        slide(sum_, slot(y), nullptr, row_size_);
      }
    } else {
      const std::int64_t enter = v + r_, leave = v - r_ - 1;
      if (enter < height_) box_along_row(input_.row(enter), width_, disparities_, r_, spare_);
      slide(sum_, enter < height_ ? spare_ : nullptr, leave >= 0 ? slot(leave) : nullptr, row_size_);
      if (enter < height_) std::swap(spare_, slot(enter));
    }
    next_ = v + 1;
    return sum_;
  }

 private:
  // Rows y and y + 2r + 1 share a slot: one enters as the other leaves.
  float*& slot(std::int64_t y) { return ring_[y % (2 * r_ + 1)]; }

  CostRows& input_;
  int r_;
  std::int64_t height_, row_size_, width_;
  int disparities_;
  float* sum_;
  float* spare_;
  float** ring_;
  std::int64_t next_ = -1;
};

// out[d·W + u] = in[u·D + d]: the box sums run along u with every disparity in one vector, the
// winner search along d with every column in one. In tiles, so that both sides stay in cache.
VIDSSL_AVX2_CLONES
void to_disparity_major(const float* __restrict in, std::int64_t width, int disparities, float* __restrict out) {
  constexpr std::int64_t kTile = 16;
  for (std::int64_t u0 = 0; u0 < width; u0 += kTile) {
    const std::int64_t u1 = std::min(width, u0 + kTile);
    for (std::int64_t d = 0; d < disparities; ++d)
      for (std::int64_t u = u0; u < u1; ++u) out[d * width + u] = in[u * disparities + d];
  }
}

// The running minimum of a row's costs over the disparities seen so far, and where it was, one
// column per lane.
struct Winners {
  float* best;
  std::int32_t* disparity;
};

// Disparity d's costs challenge the winners of `count` columns; ties keep the smaller disparity.
// Written with an integer mask: GCC vectorizes this form, not a ?: on the comparison.
VIDSSL_AVX2_CLONES
void challenge(const Winners& winners, const float* __restrict costs, std::int64_t count, std::int32_t d) {
  float* __restrict best = winners.best;
  std::int32_t* __restrict disparity = winners.disparity;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int32_t lower = -static_cast<std::int32_t>(costs[i] < best[i]);
    disparity[i] = (d & lower) | (disparity[i] & ~lower);
    best[i] = std::min(best[i], costs[i]);
  }
}

// second[u] = min(second[u], costs[u]) where |winner[u] − d| ≥ 2 (one unsigned comparison, which vectorizes).
VIDSSL_AVX2_CLONES
void challenge_second(const float* __restrict costs, std::int64_t count, std::int32_t d,
                      const std::int32_t* __restrict winner, float* __restrict second) {
  for (std::int64_t u = 0; u < count; ++u) {
    const bool far = static_cast<std::uint32_t>(winner[u] - d + 1) > 2u;
    const float lower = std::min(second[u], costs[u]);
    second[u] = far ? lower : second[u];
  }
}

// Floats and int32s of scratch disparity_row needs per thread.
std::int64_t disparity_row_floats(std::int64_t width, int disparities) { return (disparities + 3) * width; }
std::int64_t disparity_row_ints(std::int64_t width) { return 2 * width; }

// Winner-take-all, checks and sub-pixel vertex for one row of aggregated costs (W × D, disparity fastest).
void disparity_row(const float* costs, std::int64_t width, const StereoMatchParams& p, float* scratch,
                   std::int32_t* int_scratch, float* __restrict out) {
  const int n = p.max_disparity;
  float* t = scratch;
  to_disparity_major(costs, width, n, t);
  const auto plane = [&](int d) { return t + d * width; };
  float* __restrict second = t + n * width;
  Winners left{second + width, int_scratch};
  Winners right{second + 2 * width, int_scratch + width};

  std::fill(left.best, left.best + width, INFINITY);
  for (int d = 0; d < n; ++d) challenge(left, plane(d), width, d);
  if (p.lr_tolerance >= 0) {
    // Right column ur at disparity d is left column ur + d: row d read from column d on.
    std::fill(right.best, right.best + width, INFINITY);
    for (int d = 0; d < n && d < width; ++d) challenge(right, plane(d) + d, width - d, d);
  }
  if (p.uniqueness > 0) {
    // The best cost at ≥ 2 px from the winner.
    std::fill(second, second + width, INFINITY);
    for (int d = 0; d < n; ++d) challenge_second(plane(d), width, d, left.disparity, second);
  }

  const std::int64_t first = std::min<std::int64_t>(n - 1, width);
  std::fill(out, out + first, -1.f);
  for (std::int64_t u = first; u < width; ++u) {
    const int d = left.disparity[u];
    const float best = left.best[u];
    out[u] = -1.f;
    if (p.lr_tolerance >= 0 && std::abs(right.disparity[u - d] - d) > p.lr_tolerance) continue;
    if (p.uniqueness > 0 && !(second[u] - best > best * p.uniqueness)) continue;
    float offset = 0.f;
    if (d > 0 && d + 1 < n) {
      const float below = plane(d - 1)[u], above = plane(d + 1)[u];
      const float curvature = below - 2.f * best + above;
      if (curvature > 0.f) offset = (below - above) / (2.f * curvature);
    }
    out[u] = static_cast<float>(d) + offset;
  }
}

}  // namespace

void stereo_match_cpu(const float* left, const float* right, std::int64_t height, std::int64_t width,
                      const StereoMatchParams& p, float* disparity) {
  const int n = p.max_disparity;
  const std::int64_t row_size = width * n;
  const int cost_r = p.cost_window / 2, aggregation_r = p.aggregation_window / 2;
  std::uint64_t* left_codes = nullptr;
  std::uint64_t* right_codes = nullptr;
  if (p.census) {
    left_codes = thread_buffer<std::uint64_t, Use::codes>(static_cast<std::size_t>(2 * height * width));
    right_codes = left_codes + height * width;
    census_codes(left, height, width, p.cost_window, left_codes);
    census_codes(right, height, width, p.cost_window, right_codes);
  }
  // One task per thread: each streams its rows through the box stages, whose running sums start
  // over at the task's first row.
  const std::int64_t grain = std::max<std::int64_t>(1, height / std::max(1, at::get_num_threads()));
  at::parallel_for(0, height, grain, [=](std::int64_t begin, std::int64_t end) {
    const bool sad = !p.census;
    const std::int64_t floats = row_size + BoxedCosts::buffer_size(aggregation_r, width, n) +
                                (sad ? BoxedCosts::buffer_size(cost_r, width, n) : 0);
    float* buffer = thread_buffer<float, Use::costs>(static_cast<std::size_t>(floats));
    float** ring = thread_buffer<float*, Use::ring>(
        static_cast<std::size_t>(BoxedCosts::ring_size(aggregation_r) + BoxedCosts::ring_size(cost_r)));
    float* winners = thread_buffer<float, Use::winners>(static_cast<std::size_t>(disparity_row_floats(width, n)));
    std::int32_t* winner_ints =
        thread_buffer<std::int32_t, Use::winners>(static_cast<std::size_t>(disparity_row_ints(width)));
    PixelCosts pixel(left, right, left_codes, right_codes, width, n, buffer);
    float* next = buffer + row_size;
    std::optional<BoxedCosts> sad_window;
    if (sad) {
      sad_window.emplace(pixel, cost_r, height, width, n, next, ring + BoxedCosts::ring_size(aggregation_r));
      next += BoxedCosts::buffer_size(cost_r, width, n);
    }
    CostRows& matching = sad ? static_cast<CostRows&>(*sad_window) : static_cast<CostRows&>(pixel);
    BoxedCosts aggregated(matching, aggregation_r, height, width, n, next, ring);
    for (std::int64_t v = begin; v < end; ++v)
      disparity_row(aggregated.row(v), width, p, winners, winner_ints, disparity + v * width);
  });
}

}  // namespace vidssl
