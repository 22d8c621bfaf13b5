#include "models/ops/image_op.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "models/ops/contrast_normalizer.h"
#include "models/ops/gaussian_pyramid.h"
#include "models/ops/laplacian_pyramid.h"
#include "tests/models/ops/image_op_testing.h"

namespace vidssl {
namespace {

// Every output of the three ops, in one list, for comparisons.
std::vector<torch::Tensor> all_outputs(const torch::Tensor& x, OpPath path = OpPath::automatic) {
  std::vector<torch::Tensor> out{ContrastNormalizer()(x, path)};
  for (const torch::Tensor& level : GaussianPyramid({/*levels=*/3})(x, path)) out.push_back(level);
  const LaplacianPyramid laplacian({/*levels=*/3});
  const std::vector<torch::Tensor> bands = laplacian(x, path);
  out.insert(out.end(), bands.begin(), bands.end());
  out.push_back(laplacian.reconstruct(bands, path));
  return out;
}

class ThreadCount {
 public:
  explicit ThreadCount(int threads) : saved_(at::get_num_threads()) { at::set_num_threads(threads); }
  ~ThreadCount() { at::set_num_threads(saved_); }

 private:
  int saved_;
};

// The tests run on one thread (tests/test_main.cpp); this is where the CPU loops split their rows
// over two. Each row is computed by one thread and c is summed in row order, so the split cannot
// change a bit.
TEST(ImageOps, CpuResultsDoNotDependOnTheThreadCount) {
  const torch::Tensor x = test::random_image({2, 3, 97, 131}, 81);
  std::vector<torch::Tensor> one, two;
  {
    const ThreadCount threads(1);
    one = all_outputs(x);
  }
  {
    const ThreadCount threads(2);
    two = all_outputs(x);
  }
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(torch::equal(one[i], two[i])) << "output " << i;
}

TEST(ImageOps, NonContiguousAndRankThreeInputsGiveTheSameResults) {
  const torch::Tensor x = test::random_image({1, 2, 40, 30}, 82);
  const torch::Tensor transposed = x.transpose(2, 3).contiguous().transpose(2, 3);  // same values, other strides
  ASSERT_FALSE(transposed.is_contiguous());
  const auto expected = all_outputs(x);
  const auto strided = all_outputs(transposed);
  const auto rank3 = all_outputs(x[0]);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(torch::equal(expected[i], strided[i])) << "output " << i;
    EXPECT_EQ(rank3[i].dim(), 3) << "output " << i;
    EXPECT_TRUE(torch::equal(expected[i][0], rank3[i])) << "output " << i;
  }
}

// The CPU loops record no gradient, so a tensor that wants one takes the torch path.
TEST(ImageOps, GradientsFlowThroughTheTorchPath) {
  const torch::Tensor x = test::random_image({1, 1, 24, 20}, 83).requires_grad_();
  EXPECT_FALSE(runs_fast_cpu(x, OpPath::automatic));
  torch::Tensor loss = torch::zeros({});
  for (const torch::Tensor& out : all_outputs(x)) loss = loss + out.square().sum();
  loss.backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_GT(x.grad().abs().sum().item<float>(), 0.f);
  EXPECT_TRUE(runs_fast_cpu(x.detach(), OpPath::automatic));
  EXPECT_FALSE(runs_fast_cpu(x.detach(), OpPath::reference));
}

}  // namespace
}  // namespace vidssl
