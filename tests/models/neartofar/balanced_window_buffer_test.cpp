#include "models/neartofar/balanced_window_buffer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace vidssl {
namespace {

// Each window's pixels hold its own number, so a sample says which windows it drew.
torch::Tensor numbered(std::int64_t first, std::int64_t n) {
  return torch::arange(first, first + n, torch::kFloat32).view({n, 1, 1, 1}).expand({n, 3, 12, 25}).contiguous();
}

TEST(BalancedWindowBuffer, SamplesEveryPresentClassAboutEquallyOften) {
  BalancedWindowBuffer memory({.capacity = 500, .classes = 5, .seed = 4});
  // 900 ground windows, 12 obstacle windows, 3 unlabeled (−1) ones.
  memory.add(numbered(0, 900), torch::zeros({900}, torch::kInt64));
  memory.add(numbered(900, 12), torch::full({12}, 2, torch::kInt64));
  memory.add(numbered(912, 3), torch::full({3}, -1, torch::kInt64));
  EXPECT_EQ(memory.size(0), 100);  // capacity / classes
  EXPECT_EQ(memory.size(2), 12);
  EXPECT_EQ(memory.size(), 112);
  const auto [x, y] = memory.sample(2000);
  const double obstacle_share = (y == 2).sum().item<double>() / 2000.0;
  EXPECT_NEAR(obstacle_share, 0.5, 0.05);
  EXPECT_EQ(((y != 0) & (y != 2)).sum().item<std::int64_t>(), 0);
  // The ground ring kept the newest 100 of the 900 (numbers 800…899), and labels match windows.
  const torch::Tensor ids = x.select(1, 0).select(1, 0).select(1, 0);
  EXPECT_GE(ids.masked_select(y == 0).min().item<float>(), 800.0f);
  EXPECT_GE(ids.masked_select(y == 2).min().item<float>(), 900.0f);
  EXPECT_LT(ids.masked_select(y == 2).max().item<float>(), 912.0f);
}

// A checkpoint's buffer samples exactly what the saved one goes on to sample: same windows, same
// ring positions (the next window overwrites the same slot), same generator.
TEST(BalancedWindowBuffer, StateRestoresWindowsRingsAndGenerator) {
  BalancedWindowBuffer memory({.capacity = 50, .classes = 5, .seed = 9});
  memory.add(numbered(0, 23), torch::zeros({23}, torch::kInt64));  // wraps: ring of 10
  memory.add(numbered(100, 4), torch::full({4}, 3, torch::kInt64));
  memory.sample(7);  // move the generator on
  const auto state = memory.state();
  BalancedWindowBuffer restored({.capacity = 50, .classes = 5, .seed = 1});
  restored.load_state(state, torch::kCPU);
  EXPECT_EQ(restored.size(0), 10);
  EXPECT_EQ(restored.size(3), 4);
  EXPECT_EQ(restored.size(), 14);
  for (BalancedWindowBuffer* b : {&memory, &restored}) b->add(numbered(200, 1), torch::zeros({1}, torch::kInt64));
  const auto [x, y] = memory.sample(64);
  const auto [rx, ry] = restored.sample(64);
  EXPECT_TRUE(torch::equal(x, rx));
  EXPECT_TRUE(torch::equal(y, ry));

  BalancedWindowBuffer smaller({.capacity = 25, .classes = 5});
  EXPECT_THROW(smaller.load_state(state, torch::kCPU), std::runtime_error) << "10 windows a class do not fit in 5";
  auto damaged = state;
  damaged.erase("windows.class0");
  EXPECT_THROW(restored.load_state(damaged, torch::kCPU), std::runtime_error);
}

TEST(BalancedWindowBuffer, EmptyGivesNothingAndBadInputThrows) {
  BalancedWindowBuffer memory;
  EXPECT_FALSE(memory.sample(8).first.defined());
  EXPECT_THROW(memory.add(torch::zeros({2, 3, 12, 25}), torch::zeros({3}, torch::kInt64)), std::invalid_argument);
  EXPECT_THROW(BalancedWindowBuffer({.capacity = 2, .classes = 5}), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
