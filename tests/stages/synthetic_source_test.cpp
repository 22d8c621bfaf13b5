#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "stages/synthetic_source.h"
#include "tests/stages/pacing_harness.h"
#include "tests/stages/read_frames.h"

namespace vidssl {
namespace {

TEST(SyntheticSource, SameSeedSameVideoOtherSeedOtherVideo) {
  for (const auto kind : {SyntheticKind::sprites, SyntheticKind::gratings}) {
    const SyntheticOptions options{.kind = kind, .frames_per_clip = 4, .num_clips = 2, .seed = 3, .noise_std = 5};
    SyntheticSource a(options), b(options);
    SyntheticOptions other = options;
    other.seed = 4;
    SyntheticSource c(other);
    const auto fa = test::read_frames(a), fb = test::read_frames(b), fc = test::read_frames(c);
    ASSERT_EQ(fa.size(), 8u);
    for (std::size_t k = 0; k < fa.size(); ++k) {
      EXPECT_TRUE(torch::equal(fa[k].image, fb[k].image)) << k;
      EXPECT_FALSE(torch::equal(fa[k].image, fc[k].image)) << k;
    }
  }
}

TEST(SyntheticSource, ClipsFramesAndTimestamps) {
  SyntheticSource source({.width = 32, .height = 24, .frames_per_clip = 5, .num_clips = 3, .fps = 20});
  EXPECT_EQ(source.info().frame_count, 15);
  EXPECT_EQ(source.info().width, 32);
  EXPECT_FALSE(source.info().live);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 15u);
  for (int k = 0; k < 15; ++k) {
    EXPECT_EQ(frames[k].index, k);
    EXPECT_EQ(frames[k].clip_id, k / 5);
    EXPECT_EQ(frames[k].clip_frame, k % 5);
    EXPECT_EQ(frames[k].timestamp_us, (k % 5) * 50000);
    EXPECT_EQ(frames[k].image.sizes(), (std::vector<std::int64_t>{1, 24, 32}));
  }
  // Each clip brings new sprites.
  EXPECT_FALSE(torch::equal(frames[0].image, frames[5].image));
}

TEST(SyntheticSource, SourceOptionsSetSizeChannelsAndLength) {
  SyntheticSource source({.kind = SyntheticKind::gratings, .num_clips = 0},
                         {.path = "synthetic:gratings", .width = 40, .height = 20, .channels = 3, .max_frames = 7});
  EXPECT_EQ(source.info().frame_count, 7);
  const auto frames = test::read_frames(source);
  ASSERT_EQ(frames.size(), 7u);
  EXPECT_EQ(frames[0].image.sizes(), (std::vector<std::int64_t>{3, 20, 40}));
  EXPECT_TRUE(torch::equal(frames[0].image.slice(0, 1, 3), torch::full({2, 20, 40}, 128, torch::kUInt8)));
}

// One untextured-looking check of the truth: the sprite's intensity mass sits at its position.
TEST(SyntheticSource, SpriteTruthMatchesTheImageAndMovesByItsVelocity) {
  SyntheticSource source({.width = 64, .height = 64, .num_sprites = 1, .sprite_size = 10, .min_speed = 1.5,
                          .max_speed = 1.5, .frames_per_clip = 20, .num_clips = 1, .seed = 11});
  Frame frame;
  SpriteTruth previous;
  for (int k = 0; k < 20; ++k) {
    ASSERT_TRUE(source.read(frame));
    const SpriteTruth s = source.truth().sprites.at(0);
    EXPECT_NEAR(std::hypot(s.vx, s.vy), 1.5, 1e-9);
    // Inside the frame, wholly.
    EXPECT_GE(s.x, 4.5 - 1e-9);
    EXPECT_LE(s.x, 58.5 + 1e-9);
    const auto mask = (frame.image[0].to(torch::kInt32) - 128).abs().gt(0).to(torch::kFloat64);
    const auto ys = torch::arange(64, torch::kFloat64).view({64, 1}), xs = torch::arange(64, torch::kFloat64).view({1, 64});
    const double mass = mask.sum().item<double>();
    ASSERT_GT(mass, 50) << "sprite not drawn at frame " << k;
    EXPECT_NEAR((mask * xs).sum().item<double>() / mass, s.x, 0.75) << k;
    EXPECT_NEAR((mask * ys).sum().item<double>() / mass, s.y, 0.75) << k;
    if (k > 0) {
      const bool bounced = (s.vx != previous.vx) || (s.vy != previous.vy);
      if (!bounced) {
        EXPECT_NEAR(s.x, previous.x + previous.vx, 1e-9);
        EXPECT_NEAR(s.y, previous.y + previous.vy, 1e-9);
      }
    }
    previous = s;
  }
}

TEST(SyntheticSource, WrappingSpritesStayOnTheTorus) {
  SyntheticSource source({.width = 16, .height = 16, .num_sprites = 2, .min_speed = 3, .max_speed = 4, .wrap = true,
                          .frames_per_clip = 30, .num_clips = 1});
  Frame frame;
  while (source.read(frame))
    for (const SpriteTruth& s : source.truth().sprites) {
      EXPECT_GE(s.x, 0);
      EXPECT_LT(s.x, 16);
      EXPECT_GE(s.y, 0);
      EXPECT_LT(s.y, 16);
    }
}

TEST(SyntheticSource, GratingIsTheSinusoidItsTruthDescribes) {
  SyntheticSource source({.kind = SyntheticKind::gratings, .width = 24, .height = 16, .max_rotation = 0.05,
                          .max_scale_rate = 0.02, .frames_per_clip = 6, .num_clips = 1, .seed = 5});
  Frame frame;
  GratingTruth previous;
  for (int k = 0; k < 6; ++k) {
    ASSERT_TRUE(source.read(frame));
    const GratingTruth g = source.truth().grating;
    for (int y = 0; y < 16; y += 5)
      for (int x = 0; x < 24; x += 7) {
        const double along = (x - 11.5) * std::cos(g.angle) + (y - 7.5) * std::sin(g.angle);
        const double expected = 128 + 100 * std::sin(2 * M_PI / g.period * (along - g.phase));
        EXPECT_NEAR(frame.image[0][y][x].item<int>(), expected, 0.51) << "frame " << k << " at " << x << "," << y;
      }
    if (k > 0) {
      EXPECT_NEAR(g.phase, previous.phase + previous.speed, 1e-9);
      EXPECT_NEAR(g.angle, previous.angle + previous.angular_velocity, 1e-9);
      EXPECT_NEAR(g.period, previous.period * (1 + previous.scale_rate), 1e-9);
    }
    previous = g;
  }
}

TEST(SyntheticSource, NoiseHasTheAskedSpread) {
  SyntheticOptions options{.kind = SyntheticKind::gratings, .width = 64, .height = 64, .frames_per_clip = 1, .num_clips = 1};
  SyntheticSource clean(options);
  options.noise_std = 4;
  SyntheticSource noisy(options);
  Frame a, b;
  ASSERT_TRUE(clean.read(a));
  ASSERT_TRUE(noisy.read(b));
  const double spread = (b.image.to(torch::kFloat64) - a.image.to(torch::kFloat64)).std().item<double>();
  EXPECT_NEAR(spread, 4, 0.4);
}

// --realtime paces each clip from its first frame (timestamps restart at every clip).
TEST(SyntheticSource, RealtimePacesOnTheClockAndRestartsAtEachClip) {
  SimulatedClock clock(1000);
  SyntheticSource source({.width = 8, .height = 8, .frames_per_clip = 2, .num_clips = 2, .fps = 25},
                         {.path = "synthetic:sprites", .realtime = true}, &clock);
  const auto released_at = test::paced_release_times(source, clock, 4, 2, 40000);
  // Frames 1 and 3 wait a period; frame 2 opens clip 1 and goes out at once, right after frame 1.
  EXPECT_EQ(released_at, (std::vector<std::int64_t>{1000, 41000, 41000, 81000}));
}

TEST(SyntheticSource, PathNamesTheKind) {
  EXPECT_EQ(synthetic_options_from_path("synthetic:sprites").kind, SyntheticKind::sprites);
  EXPECT_EQ(synthetic_options_from_path("synthetic:gratings").kind, SyntheticKind::gratings);
  try {
    synthetic_options_from_path("synthetic:plaid");
    FAIL();
  } catch (const SourceError& e) {
    EXPECT_STREQ(e.what(), "synthetic:plaid: expected synthetic:sprites or synthetic:gratings");
  }
  EXPECT_THROW(SyntheticSource({.frames_per_clip = 0}), SourceError);
}

}  // namespace
}  // namespace vidssl
