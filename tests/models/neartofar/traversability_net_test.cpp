#include "models/neartofar/traversability_net.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_data.h"

namespace vidssl {
namespace {

// Applied along a band, output column j is exactly the network applied to the 12×25 window at
// band columns [4j, 4j + 25) alone: the convolutional form computes every window at once.
TEST(TraversabilityNet, EachOutputColumnIsItsWindowClassifiedAlone) {
  for (const auto& device : test::test_devices()) {
    torch::manual_seed(3);
    TraversabilityNet net;
    net->to(device);
    const torch::Tensor band = torch::randn({2, 3, 12, 121}, device);
    const torch::Tensor logits = net(band);
    ASSERT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, 5, 1, 25})) << device;
    for (std::int64_t j : {0, 7, 24}) {
      const torch::Tensor alone = net(band.slice(3, 4 * j, 4 * j + 25));
      ASSERT_EQ(alone.size(3), 1);
      EXPECT_TRUE(torch::allclose(alone.select(3, 0), logits.select(3, j), 1e-5, 1e-5)) << device << " window " << j;
    }
    EXPECT_EQ(net->features(band).size(1), 100);
  }
}

TEST(TraversabilityNet, StartsFromAnEncodersCentralPatches) {
  TraversabilityNet net;
  const torch::Tensor encoder = torch::randn({32, 1, 9, 9});
  EXPECT_EQ(net->init_from_encoder(encoder), 20);
  EXPECT_TRUE(torch::equal(net->conv1->weight[4][0], encoder[4][0].slice(0, 1, 8).slice(1, 1, 7)));
  EXPECT_EQ(net->conv1->weight.slice(1, 1, 3).abs().sum().item<float>(), 0.0f);  // chroma
  EXPECT_THROW(net->init_from_encoder(torch::randn({8, 1, 5, 5})), std::invalid_argument);
}

TEST(TraversabilityNet, RefusesBandsOfTheWrongShape) {
  TraversabilityNet net;
  EXPECT_THROW(net(torch::randn({1, 3, 10, 40})), std::invalid_argument);
  EXPECT_THROW(net(torch::randn({1, 3, 12, 20})), std::invalid_argument);
  EXPECT_THROW(TraversabilityNet(TraversabilityNetOptions().classes(1)), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
