#include "models/linearize/block_motion.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include "tests/test_data.h"

namespace vidssl {
namespace {

// An H×W window of `base` (1×1×…) whose top-left corner is at (x, y).
torch::Tensor window(const torch::Tensor& base, std::int64_t x, std::int64_t y, std::int64_t h, std::int64_t w) {
  return base.slice(2, y, y + h).slice(3, x, x + w).contiguous();
}

TEST(BlockMotion, FindsAKnownShiftOfRandomTextureInEveryInnerBlockForEitherAnchor) {
  for (const auto& device : test::test_devices()) {
    torch::manual_seed(3);
    const std::int64_t h = 40, w = 48, margin = 10;
    const auto base = torch::randn({1, 1, h + 2 * margin, w + 2 * margin}, torch::dtype(torch::kDouble).device(device));
    const auto a = window(base, margin, margin, h, w);
    const auto options = BlockMotionOptions().block(8).radius(6);
    // Blocks of the outer ring see the repeated border, not the moved content: only inner ones are exact.
    auto inner = [](const torch::Tensor& d) { return d.slice(2, 1, -1).slice(3, 1, -1).cpu(); };
    auto all_equal = [](const torch::Tensor& d, double value) { return torch::all(d == value).item<bool>(); };
    // b(p) = a(p − v): the content moved by v, (4, −6), then (3, −5), whose halves fall between pixels.
    for (const auto& [vx, vy] : {std::pair{4, -6}, std::pair{3, -5}}) {
      SCOPED_TRACE("v = (" + std::to_string(vx) + ", " + std::to_string(vy) + ")");
      const auto b = window(base, margin - vx, margin - vy, h, w);
      const auto second = inner(block_motion(a, b, MotionAnchor::second, options));
      EXPECT_TRUE(all_equal(second.select(1, 0), vx)) << second.select(1, 0);
      EXPECT_TRUE(all_equal(second.select(1, 1), vy)) << second.select(1, 1);
      // Halfway, each frame has moved half of v.
      const auto middle = inner(block_motion(a, b, MotionAnchor::middle, options));
      EXPECT_TRUE(all_equal(middle.select(1, 0), vx / 2.0)) << middle.select(1, 0);
      EXPECT_TRUE(all_equal(middle.select(1, 1), vy / 2.0)) << middle.select(1, 1);
    }
  }
}

// The search against plain loops over every block and candidate on the half-pixel grid, the
// frames sampled bilinearly with the border repeated by clamping. Random frames: a cheapest
// displacement, not a true motion, which only the indexing finds.
TEST(BlockMotion, PicksTheDisplacementADirectLoopFindsCheapest) {
  torch::manual_seed(5);
  const std::int64_t h = 12, w = 10, block = 4, radius = 1;
  const auto a = torch::randn({1, 2, h, w}, torch::kDouble), b = torch::randn({1, 2, h, w}, torch::kDouble);
  auto pixel = [&](const torch::Tensor& x, std::int64_t c, std::int64_t y, std::int64_t i) {
    return x[0][c][std::clamp<std::int64_t>(y, 0, h - 1)][std::clamp<std::int64_t>(i, 0, w - 1)].item<double>();
  };
  auto at = [&](const torch::Tensor& x, std::int64_t c, double y, double i) {  // bilinear
    const auto y0 = static_cast<std::int64_t>(std::floor(y)), i0 = static_cast<std::int64_t>(std::floor(i));
    const double fy = y - y0, fi = i - i0;
    return (1 - fy) * ((1 - fi) * pixel(x, c, y0, i0) + fi * pixel(x, c, y0, i0 + 1)) +
           fy * ((1 - fi) * pixel(x, c, y0 + 1, i0) + fi * pixel(x, c, y0 + 1, i0 + 1));
  };
  for (const auto anchor : {MotionAnchor::middle, MotionAnchor::second}) {
    const auto found = block_motion(a, b, anchor, BlockMotionOptions().block(block).radius(radius).subpixel(2).tolerance(0));
    for (std::int64_t by = 0; by < h / block; ++by)
      for (std::int64_t bx = 0; bx < w / block + 1; ++bx) {  // w = 10: the last block is 2 pixels wide
        double best = std::numeric_limits<double>::infinity(), best_x = 0, best_y = 0;
        for (double dy = -radius; dy <= radius; dy += 0.5)
          for (double dx = -radius; dx <= radius; dx += 0.5) {
            double sum = 0;
            std::int64_t count = 0;
            for (std::int64_t y = by * block; y < std::min(h, (by + 1) * block); ++y)
              for (std::int64_t x = bx * block; x < std::min(w, (bx + 1) * block); ++x)
                for (std::int64_t c = 0; c < 2; ++c) {
                  const double other = anchor == MotionAnchor::middle ? at(b, c, y + dy, x + dx) : pixel(b, c, y, x);
                  const double e = at(a, c, y - dy, x - dx) - other;
                  sum += e * e;
                  ++count;
                }
            // Border blocks can tie exactly (the repeated edge): the shortest displacement wins.
            const double cost = sum / count;
            const bool shorter = dx * dx + dy * dy < best_x * best_x + best_y * best_y;
            if (cost < best - 1e-12 || (cost <= best + 1e-12 && shorter)) best = cost, best_x = dx, best_y = dy;
          }
        EXPECT_EQ(found[0][0][by][bx].item<double>(), best_x) << "block " << bx << "," << by;
        EXPECT_EQ(found[0][1][by][bx].item<double>(), best_y) << "block " << bx << "," << by;
      }
  }
}

// Texture moving v = (2, −1) a frame: aligned halfway, x^{t−1} and x^{t+1} are x^t; aligned
// ahead, x^t moved on by its velocity is x^{t+1}. Not to 1e-9: the wrong hypotheses (none, and
// outer blocks' vectors seeing the repeated border) keep a weight of about floor / their
// disagreement, 1e-4 / 2 here.
TEST(BlockMotion, AlignedFramesLandOnTheThirdFramesGrid) {
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    torch::manual_seed(11);
    const std::int64_t h = 32, w = 40, margin = 8;
    const auto base = torch::randn({1, 1, h + 2 * margin, w + 2 * margin}, torch::kDouble).to(device);
    auto frame = [&](std::int64_t t) { return window(base, margin - 2 * t, margin + t, h, w); };
    // Pixels between inner blocks' centres: the outer ring of blocks sees the repeated border.
    auto inner = [](const torch::Tensor& x) { return x.slice(2, 12, -12).slice(3, 12, -12); };
    const auto halfway = align_halfway(frame(-1), frame(1));
    EXPECT_LT((inner(halfway.earlier) - inner(frame(0))).abs().max().item<double>(), 2e-3);
    EXPECT_LT((inner(halfway.later) - inner(frame(0))).abs().max().item<double>(), 2e-3);
    const auto ahead = align_ahead(frame(-1), frame(0));
    EXPECT_LT((inner(ahead.earlier) - inner(frame(1))).abs().max().item<double>(), 2e-3);
    EXPECT_LT((inner(ahead.later) - inner(frame(1))).abs().max().item<double>(), 2e-3);
  }
}

TEST(MotionHypotheses, AreNoneTheBilinearFieldAndTheVectorsOfTheBlockAndItsEightNeighbours) {
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    torch::manual_seed(3);
    const std::int64_t block = 4, h = 10, w = 14;  // blocks 3×4, the last row and column partial
    const auto blocks = torch::randn({2, 2, 3, 4}, torch::kDouble);
    auto fields = motion_hypotheses(blocks.to(device), h, w, block);
    ASSERT_EQ(fields.size(), 11u);
    for (auto& field : fields) field = field.cpu();
    EXPECT_EQ(fields[0].abs().max().item<double>(), 0.0);
    EXPECT_TRUE(torch::allclose(fields[1], dense_motion(blocks, h, w), 0, 1e-12));
    for (std::int64_t k = 0; k < 9; ++k) {
      const std::int64_t oy = k / 3 - 1, ox = k % 3 - 1;
      ASSERT_EQ(fields[2 + k].sizes(), (std::vector<std::int64_t>{2, 2, h, w}));
      for (std::int64_t n = 0; n < 2; ++n)
        for (std::int64_t y = 0; y < h; ++y)
          for (std::int64_t x = 0; x < w; ++x) {
            const auto by = std::clamp<std::int64_t>(y / block + oy, 0, 2), bx = std::clamp<std::int64_t>(x / block + ox, 0, 3);
            for (std::int64_t c = 0; c < 2; ++c)
              ASSERT_EQ(fields[2 + k][n][c][y][x].item<double>(), blocks[n][c][by][bx].item<double>()) << "hypothesis " << k << " pixel " << x << "," << y;
          }
    }
  }
}

TEST(HypothesisWeights, AreTheNormalizedInverseOfTheWindowsMeanDisagreementPlusTheFloor) {
  torch::manual_seed(4);
  const std::int64_t k_count = 3, h = 6, w = 7, window = 3;
  const double floor = 0.1;
  const auto disagreement = torch::rand({1, k_count, h, w}, torch::kDouble);
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto weights = hypothesis_weights(disagreement.to(device), window, floor).cpu();
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x) {
        std::vector<double> inverse;
        double sum = 0;
        for (std::int64_t k = 0; k < k_count; ++k) {
          double mean = 0;
          for (std::int64_t dy = -1; dy <= 1; ++dy)
            for (std::int64_t dx = -1; dx <= 1; ++dx)
              mean += disagreement[0][k][std::clamp<std::int64_t>(y + dy, 0, h - 1)][std::clamp<std::int64_t>(x + dx, 0, w - 1)].item<double>() / 9.0;
          inverse.push_back(1.0 / (floor + mean));
          sum += inverse.back();
        }
        for (std::int64_t k = 0; k < k_count; ++k) EXPECT_NEAR(weights[0][k][y][x].item<double>(), inverse[k] / sum, 1e-12) << "pixel " << x << "," << y;
      }
  }
  EXPECT_THROW(hypothesis_weights(disagreement, 4, floor), std::invalid_argument);
  EXPECT_THROW(hypothesis_weights(disagreement, 3, 0.0), std::invalid_argument);
}

// A textured square moving 3 px a frame to the right over a still textured wall, placed so that
// blocks straddle its edges: frames t = −1, 0, 1, 1×1×48×64, drawn on the CPU (the same on every
// device).
std::vector<torch::Tensor> square_over_wall(int seed, const torch::Device& device) {
  torch::manual_seed(seed);
  const auto wall = torch::randn({1, 1, 48, 64}, torch::kDouble);
  const auto square = torch::randn({1, 1, 14, 14}, torch::kDouble);
  std::vector<torch::Tensor> frames;
  for (std::int64_t t = -1; t <= 1; ++t) {
    frames.push_back(wall.clone());
    frames.back().slice(2, 13, 27).slice(3, 21 + 3 * t, 35 + 3 * t).copy_(square);
  }
  for (auto& frame : frames) frame = frame.to(device);
  return frames;
}

// One bilinear field smears the square's motion onto the wall around it (there, worse than the
// cross-fade); the mixture gives each pixel the hypothesis under which the two frames agree. What
// is left is the wall the square uncovers, which one of the two frames does not see. Measured,
// seeds 1–5: the mixture's squared error is 0.39–0.58 of the one field's, 0.54–0.72 of the
// cross-fade's.
TEST(AlignHalfway, WhereBlocksHoldTwoMotionsTheMixtureBeatsTheOneBilinearField) {
  for (const auto& device : test::test_devices()) {
    for (const int seed : {1, 2, 3}) {
      SCOPED_TRACE(device.str());
      const auto frames = square_over_wall(seed, device);
      const auto &a = frames[0], &middle = frames[1], &c = frames[2];
      const auto error = [&](const torch::Tensor& estimate) { return (estimate - middle).pow(2).mean().item<double>(); };
      const auto field = dense_motion(block_motion(a, c, MotionAnchor::middle), a.size(2), a.size(3));
      const double one_field = error(0.5 * (shift_by(a, field, 1.0) + shift_by(c, field, -1.0)));
      const auto mixed = align_halfway(a, c);
      const double mixture = error(0.5 * (mixed.earlier + mixed.later)), cross_fade = error(0.5 * (a + c));
      std::printf("seed %d, mean squared error: cross-fade %.4f, one bilinear field %.4f, mixture %.4f\n", seed, cross_fade, one_field, mixture);
      EXPECT_LT(mixture, 0.7 * one_field) << "seed " << seed;
      EXPECT_LT(mixture, 0.8 * cross_fade) << "seed " << seed;
    }
  }
}

// The same square predicted a frame on from the two before it. Measured, seeds 1–5: the mixture's
// squared error is 0.70–0.79 of the one field's, 0.56–0.66 of copy-last's.
TEST(AlignAhead, WhereBlocksHoldTwoMotionsTheMixtureBeatsTheOneBilinearField) {
  for (const auto& device : test::test_devices()) {
    for (const int seed : {1, 2, 3}) {
      SCOPED_TRACE(device.str());
      const auto frames = square_over_wall(seed, device);
      const auto &a = frames[0], &b = frames[1], &next = frames[2];
      const auto error = [&](const torch::Tensor& estimate) { return (estimate - next).pow(2).mean().item<double>(); };
      const auto field = dense_motion(block_motion(a, b, MotionAnchor::second), a.size(2), a.size(3));
      const double one_field = error(shift_by(b, field, 1.0));
      const double mixture = error(align_ahead(a, b).later), copy_last = error(b);
      std::printf("seed %d, mean squared error: copy-last %.4f, one bilinear field %.4f, mixture %.4f\n", seed, copy_last, one_field, mixture);
      EXPECT_LT(mixture, 0.85 * one_field) << "seed " << seed;
      EXPECT_LT(mixture, 0.75 * copy_last) << "seed " << seed;
    }
  }
}

TEST(BlockMotion, AFlatFrameStaysStill) {
  const auto a = torch::full({2, 1, 16, 16}, 0.3), b = torch::full({2, 1, 16, 16}, 0.3);
  for (const auto anchor : {MotionAnchor::middle, MotionAnchor::second})
    EXPECT_EQ(block_motion(a, b, anchor).abs().max().item<float>(), 0.0f);
}

TEST(BlockMotion, RefusesFramesOfTwoShapesAndABadBlock) {
  const auto a = torch::zeros({1, 1, 16, 16});
  EXPECT_THROW(block_motion(a, torch::zeros({1, 1, 16, 8}), MotionAnchor::middle), std::invalid_argument);
  EXPECT_THROW(block_motion(a, a, MotionAnchor::middle, BlockMotionOptions().block(0)), std::invalid_argument);
  EXPECT_THROW(shift_by(a, torch::zeros({1, 2, 8, 8}), 1.0), std::invalid_argument);
}

TEST(DenseMotion, IsBilinearBetweenBlockCentres) {
  // One value per block of 4 pixels: 0, 1, 2, 3 along x. Block j's centre is pixel 4j + 1.5.
  const auto blocks = torch::arange(4, torch::kDouble).view({1, 1, 1, 4}).expand({1, 2, 2, 4}).contiguous();
  const auto field = dense_motion(blocks, 8, 16);
  for (std::int64_t x = 2; x < 14; ++x) EXPECT_NEAR(field[0][0][3][x].item<double>(), (x - 1.5) / 4.0, 1e-12) << "pixel " << x;
}

TEST(ShiftBy, AWholePixelFieldMovesTheFrameAndAHalfPixelAveragesTwoNeighbours) {
  for (const auto& device : test::test_devices()) {
    torch::manual_seed(7);
    const auto x = torch::randn({1, 1, 10, 12}, torch::dtype(torch::kDouble).device(device));
    auto constant = [&](double dx, double dy) {
      return torch::stack({torch::full({1, 10, 12}, dx, x.options()), torch::full({1, 10, 12}, dy, x.options())}, 1);
    };
    const auto moved = shift_by(x, constant(2, 1), 1.0).cpu();  // x(p − (2, 1))
    const auto half = shift_by(x, constant(1, 0), -0.5).cpu();  // x(p + (0.5, 0))
    const auto original = x.cpu();
    for (std::int64_t y = 1; y < 10; ++y)
      for (std::int64_t i = 2; i < 11; ++i) {
        EXPECT_NEAR(moved[0][0][y][i].item<double>(), original[0][0][y - 1][i - 2].item<double>(), 1e-9);
        EXPECT_NEAR(half[0][0][y][i].item<double>(), 0.5 * (original[0][0][y][i] + original[0][0][y][i + 1]).item<double>(), 1e-9);
      }
  }
}

}  // namespace
}  // namespace vidssl
