#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

// What the image-op tests share: independent double-precision references built from explicit
// loops, and the comparisons.
namespace vidssl::test {

// cuDNN may run float convolutions in TF32 (a 10-bit mantissa) on Ampere and later GPUs; these
// tests compare formulas at float precision, so they turn it off while they run.
class FullPrecisionConvolutions {
 public:
  FullPrecisionConvolutions() : saved_(at::globalContext().allowTF32CuDNN()) {
    at::globalContext().setAllowTF32CuDNN(false);
  }
  ~FullPrecisionConvolutions() { at::globalContext().setAllowTF32CuDNN(saved_); }

 private:
  bool saved_;
};

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kCPU, torch::kFloat64) - b.to(torch::kCPU, torch::kFloat64)).abs().max().item<double>();
}

inline torch::Tensor random_image(std::vector<std::int64_t> sizes, std::uint64_t seed) {
  torch::manual_seed(seed);
  return torch::rand(sizes);
}

// Reflection without repeating the edge: −1 → 1, n → n − 2.
inline std::int64_t reflect_index(std::int64_t i, std::int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

// An N×C×H×W tensor as doubles, and back.
struct Image {
  std::int64_t n, c, h, w;
  std::vector<double> data;
  double& at(std::int64_t ni, std::int64_t ci, std::int64_t y, std::int64_t x) {
    return data[((ni * c + ci) * h + y) * w + x];
  }
  double at(std::int64_t ni, std::int64_t ci, std::int64_t y, std::int64_t x) const {
    return data[((ni * c + ci) * h + y) * w + x];
  }
};

inline Image to_image(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kCPU, torch::kFloat64).contiguous();
  Image image{d.size(0), d.size(1), d.size(2), d.size(3), {}};
  image.data.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  return image;
}

inline torch::Tensor to_tensor(const Image& image) {
  return torch::tensor(image.data, torch::kFloat64).reshape({image.n, image.c, image.h, image.w});
}

// The binomial [1 4 6 4 1] as an explicit 5×5 kernel (outer product), divided by `norm`.
inline double binomial_5x5(int dy, int dx, double norm) {
  static const double b[5] = {1, 4, 6, 4, 1};
  return b[dy] * b[dx] / norm;
}

// One pyramid step down from the definition: full 5×5 binomial with reflect indexing at every pixel,
// then the even rows and columns.
inline Image naive_pyramid_down(const Image& in) {
  Image out{in.n, in.c, (in.h + 1) / 2, (in.w + 1) / 2, {}};
  out.data.assign(out.n * out.c * out.h * out.w, 0.0);
  for (std::int64_t n = 0; n < in.n; ++n)
    for (std::int64_t c = 0; c < in.c; ++c)
      for (std::int64_t y = 0; y < out.h; ++y)
        for (std::int64_t x = 0; x < out.w; ++x) {
          double sum = 0;
          for (int dy = 0; dy < 5; ++dy)
            for (int dx = 0; dx < 5; ++dx)
              sum += binomial_5x5(dy, dx, 256) *
                     in.at(n, c, reflect_index(2 * y + dy - 2, in.h), reflect_index(2 * x + dx - 2, in.w));
          out.at(n, c, y, x) = sum;
        }
  return out;
}

// up(coarse) to h×w from the definition: zeros inserted between the samples (coarse at even
// positions), then the 5×5 binomial ×4 with reflect indexing.
inline Image naive_pyramid_up(const Image& coarse, std::int64_t h, std::int64_t w) {
  Image zeros{coarse.n, coarse.c, h, w, std::vector<double>(coarse.n * coarse.c * h * w, 0.0)};
  for (std::int64_t n = 0; n < coarse.n; ++n)
    for (std::int64_t c = 0; c < coarse.c; ++c)
      for (std::int64_t y = 0; y < coarse.h; ++y)
        for (std::int64_t x = 0; x < coarse.w; ++x) zeros.at(n, c, 2 * y, 2 * x) = coarse.at(n, c, y, x);
  Image out = zeros;
  for (std::int64_t n = 0; n < out.n; ++n)
    for (std::int64_t c = 0; c < out.c; ++c)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x) {
          double sum = 0;
          for (int dy = 0; dy < 5; ++dy)
            for (int dx = 0; dx < 5; ++dx)
              sum += binomial_5x5(dy, dx, 64) * zeros.at(n, c, reflect_index(y + dy - 2, h), reflect_index(x + dx - 2, w));
          out.at(n, c, y, x) = sum;
        }
  return out;
}

// Runs `f` and expects a std::invalid_argument whose one-line message contains `expected`.
template <typename F>
void expect_invalid_argument(F&& f, const std::string& expected) {
  try {
    f();
    ADD_FAILURE() << "no std::invalid_argument; expected one mentioning '" << expected << "'";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
  }
}

}  // namespace vidssl::test
