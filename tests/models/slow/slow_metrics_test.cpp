#include "models/slow/slow_metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vidssl {
namespace {

std::vector<FrameTiming> one_clip(int frames, double fps) {
  std::vector<FrameTiming> t(frames);
  for (int i = 0; i < frames; ++i) t[i].timestamp_us = static_cast<std::int64_t>(i * 1e6 / fps);
  return t;
}

TEST(TemporalCoherenceRatio, ConstantStepFeaturesGiveTheRatioOfDistances) {
  // f_t = t along one axis: consecutive distance 1; every pair ≥ 2 s apart (20 frames at 10 fps)
  // has distance ≥ 20, so TCR ≤ 1/20.
  auto features = torch::arange(100, torch::kDouble).view({100, 1});
  const double tcr = temporal_coherence_ratio(features, one_clip(100, 10));
  EXPECT_LE(tcr, 1.0 / 20);
  EXPECT_GT(tcr, 1.0 / 100);
}

TEST(TemporalCoherenceRatio, BoundedByHandOnTwoClips) {
  // Clip 0 frames are 0 (but frame 0 is 1), clip 1 frames are 3, in one dimension. Inside a
  // 0.5-second clip no frame is 2 s away, so s is always drawn from the other clip.
  auto features = torch::cat({torch::zeros({5, 1}), torch::full({5, 1}, 3.0)}).to(torch::kDouble);
  features[0][0] = 1.0;  // one step of 1 inside clip 0
  std::vector<FrameTiming> timing = one_clip(10, 10);
  for (int i = 5; i < 10; ++i) timing[i].clip_id = 1;
  // near: 8 consecutive pairs, total distance 1; far: each t draws from the other clip: distances
  // 2 (for frame 0), 3 (frames 1-4), 3 (frames 5-9 to frames 1-4) or 2 (to frame 0).
  const double tcr = temporal_coherence_ratio(features, timing, {.seed = 7});
  EXPECT_GT(tcr, (1.0 / 8) / 3.0 - 1e-12);
  EXPECT_LT(tcr, (1.0 / 8) / 2.0 + 1e-12);
}

TEST(TemporalCoherenceRatio, NearPairsAtAGapSpanThatManyFrames) {
  // f_t = t² on one clip of 4 frames, every frame 2 s from any other (fps 0.5), with a single
  // far candidate structure known by hand: at gap 2 the near pairs are (0, 2) and (1, 3), distances
  // 4 and 8; each t draws one of the other three frames, whose mean distance bounds the ratio.
  auto features = torch::tensor({0.0, 1.0, 4.0, 9.0}, torch::kDouble).view({4, 1});
  const auto timing = one_clip(4, 0.5);
  const double gap1 = temporal_coherence_ratio(features, timing, {.seed = 3, .near_gap = 1});
  const double gap2 = temporal_coherence_ratio(features, timing, {.seed = 3, .near_gap = 2});
  // Same seed, same far draws: the ratio of the two is the ratio of the near means, 6 / (9/3).
  EXPECT_NEAR(gap2 / gap1, 6.0 / 3.0, 1e-12);
  EXPECT_THROW(temporal_coherence_ratio(features, timing, {.seed = 3, .near_gap = 4}), std::invalid_argument) << "no pair 4 frames apart in 4 frames";
}

TEST(TemporalCoherenceRatio, OneClipOfSeveralAgainstFarFramesOfTheWholeSet) {
  // Clip 0 = {0, 1}, clip 1 = {10, 10, 10}, one dimension, all within 2 s: every far frame is
  // from the other clip, whatever the draw. Clip 0: near 1, far 10 (t = 0) and 9 (t = 1).
  auto features = torch::tensor({0.0, 1.0, 10.0, 10.0, 10.0}, torch::kDouble).view({5, 1});
  auto timing = one_clip(5, 10);
  for (int i = 2; i < 5; ++i) timing[i].clip_id = 1;
  EXPECT_NEAR(temporal_coherence_ratio(features, timing, {.clip = 0}), 1.0 / 9.5, 1e-12);
  EXPECT_NEAR(temporal_coherence_ratio(features, timing, {.clip = 1}), 0.0, 1e-12) << "clip 1 does not change";
}

TEST(TemporalAuc, PerfectScenesScoreOneAndShuffledScoreNearChance) {
  torch::manual_seed(31);
  const int scenes = 6, per_scene = 10;
  auto centres = torch::randn({scenes, 16}, torch::kDouble) * 10;
  std::vector<std::int64_t> label;
  std::vector<torch::Tensor> rows;
  for (int s = 0; s < scenes; ++s)
    for (int i = 0; i < per_scene; ++i) {
      rows.push_back(centres[s] + 0.01 * torch::randn({16}, torch::kDouble));
      label.push_back(s);
    }
  auto features = torch::stack(rows);
  EXPECT_NEAR(temporal_auc(features, label), 1.0, 1e-12);
  auto noise = torch::randn({scenes * per_scene, 16}, torch::kDouble);
  const double chance = temporal_auc(noise, label);
  EXPECT_LT(chance, 0.35) << "random features retrieve a scene's 9 other frames among 59 at about 9/59";
}

TEST(TemporalAuc, AveragePrecisionOfAHandRankedExample) {
  // Scene 0 = frames {0, 1, 2}, its middle frame 1 is the query. Cosines to frame 1: f0 0.995,
  // f3 0.874, f4 0.8, f2 0 -> ranking 0, 3, 4, 2: the relevant frames 0 and 2 come at ranks 1 and
  // 4, AP = (1/1 + 2/4) / 2. Scene 1 = {3, 4}, query 4: f3 (0.99) ranks first, AP = 1.
  auto features = torch::tensor({{1.0, 0.1}, {1.0, 0.0}, {0.0, 1.0}, {0.9, 0.5}, {0.8, 0.6}}, torch::kDouble);
  const double ap_query_1 = (1.0 + 2.0 / 4) / 2;
  EXPECT_NEAR(temporal_auc(features, {0, 0, 0, 1, 1}), (ap_query_1 + 1.0) / 2, 1e-12);
  const auto per_scene = scene_average_precision(features, {0, 0, 0, 1, 1}).middle;
  ASSERT_EQ(per_scene.size(), 2u);
  EXPECT_NEAR(per_scene.at(0), ap_query_1, 1e-12);
  EXPECT_NEAR(per_scene.at(1), 1.0, 1e-12);
}

// Average precision counted, not sorted: for each relevant frame r, the precision among the frames
// at least as similar to q as r is (no ties in random features).
double counted_average_precision(const torch::Tensor& features, std::int64_t q, const std::vector<std::int64_t>& label) {
  const auto n = features.size(0);
  auto cosine = [&](std::int64_t i) {
    return (features[q] * features[i]).sum().item<double>() / (features[q].norm().item<double>() * features[i].norm().item<double>());
  };
  double sum = 0;
  int relevant = 0;
  for (std::int64_t r = 0; r < n; ++r) {
    if (r == q || label[r] != label[q]) continue;
    ++relevant;
    int above = 0, above_relevant = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (i == q || cosine(i) < cosine(r)) continue;
      ++above;
      above_relevant += label[i] == label[q];
    }
    sum += static_cast<double>(above_relevant) / above;
  }
  return sum / relevant;
}

TEST(TemporalAuc, EveryFrameQueryingIsTheMeanOfTheFramesCountedPrecisions) {
  torch::manual_seed(5);
  const std::vector<std::int64_t> label{0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2};
  const auto features = torch::randn({12, 3}, torch::kDouble) + torch::tensor({1.0, 0.0, 0.0}, torch::kDouble);
  const auto [middle, every] = scene_average_precision(features, label);
  ASSERT_EQ(middle.size(), 3u);
  ASSERT_EQ(every.size(), 3u);
  for (const std::int64_t scene : {0, 1, 2}) {
    std::vector<std::int64_t> frames;
    for (std::int64_t i = 0; i < 12; ++i)
      if (label[i] == scene) frames.push_back(i);
    double sum = 0;
    for (const auto q : frames) sum += counted_average_precision(features, q, label);
    EXPECT_NEAR(every.at(scene), sum / static_cast<double>(frames.size()), 1e-12) << "scene " << scene;
    EXPECT_NEAR(middle.at(scene), counted_average_precision(features, frames[frames.size() / 2], label), 1e-12) << "scene " << scene;
  }
}

TEST(FixedLengthScenes, CutsEachClipIntoSegments) {
  auto timing = one_clip(25, 10);
  for (int i = 20; i < 25; ++i) {
    timing[i].clip_id = 1;
    timing[i].timestamp_us = (i - 20) * 100000;
  }
  auto scenes = fixed_length_scenes(timing, 1.0);
  EXPECT_EQ(scenes[0], 0);
  EXPECT_EQ(scenes[9], 0);
  EXPECT_EQ(scenes[10], 1);
  EXPECT_EQ(scenes[19], 1);
  EXPECT_EQ(scenes[20], 2) << "a new clip starts a new scene";

  // 1-s scenes with 0.5 s left out after each: frames 0-9 scene 0, 10-14 none, 15-24 scene 1 …
  const auto apart = fixed_length_scenes(one_clip(40, 10), 1.0, 0.5);
  EXPECT_EQ(apart[9], 0);
  EXPECT_EQ(apart[10], -1);
  EXPECT_EQ(apart[14], -1);
  EXPECT_EQ(apart[15], 1);
  EXPECT_EQ(apart[24], 1);
  EXPECT_EQ(apart[25], -1);
  EXPECT_EQ(apart[30], 2);
}

TEST(TemporalAuc, FramesOfNoSceneAreNeitherQueriedNorRanked) {
  // Frame 2 equals scene 0's query (frame 1). Labelled scene 1, it ranks first for that query
  // (AP ½), and scene 1's query (frame 3) finds it third after frames 4 and 1 (AP (1 + ⅔)/2);
  // labelled −1, it is left out and each query finds its scene first.
  auto features = torch::tensor({{1.0, 0.0}, {0.9, 0.1}, {0.9, 0.1}, {0.1, 0.9}, {0.0, 1.0}}, torch::kDouble);
  EXPECT_NEAR(temporal_auc(features, {0, 0, 1, 1, 1}), (0.5 + (1.0 + 2.0 / 3) / 2) / 2, 1e-12);
  EXPECT_NEAR(temporal_auc(features, {0, 0, -1, 1, 1}), 1.0, 1e-12);
}

// Frames as directions in the plane, one row per angle in degrees.
torch::Tensor directions(const std::vector<double>& degrees) {
  std::vector<double> xy;
  for (const double d : degrees) {
    xy.push_back(std::cos(d * M_PI / 180));
    xy.push_back(std::sin(d * M_PI / 180));
  }
  return torch::tensor(xy, torch::kDouble).view({static_cast<std::int64_t>(degrees.size()), 2});
}

TEST(ClipConfusion, CountsTheOtherClipsFramesAmongEachFramesNearestByHand) {
  // Clip 0 at 0°, 12° and 50°; clip 1 at 20° and 60°; clip 2 at 45°. Clip 0 (n 3: each frame's
  // nearest 2): 0° finds 12°, 20° (clip 1); 12° finds 20° (clip 1), 0°; 50° finds 45° (clip 2),
  // 60° (clip 1). R-precision (1/2 + 1/2 + 0) / 3; intruders clip 1 three, clip 2 one. Clip 1
  // (n 2: the nearest 1): 20° finds 12°, 60° finds 50°, both clip 0. Clip 2 has one frame.
  const auto features = 3.0 * directions({0, 12, 50, 20, 60, 45});  // scale: cosine ignores it
  std::vector<FrameTiming> timing(6);
  timing[3].clip_id = timing[4].clip_id = 1;
  timing[5].clip_id = 2;
  const auto confusion = clip_confusion(features, timing);
  ASSERT_EQ(confusion.size(), 2u) << "a clip of one frame has no figure";
  EXPECT_NEAR(confusion.at(0).r_precision, 1.0 / 3, 1e-12);
  EXPECT_EQ(confusion.at(0).confused_with, 1);
  EXPECT_NEAR(confusion.at(0).confused_share, 0.75, 1e-12);
  EXPECT_NEAR(confusion.at(1).r_precision, 0.0, 1e-12);
  EXPECT_EQ(confusion.at(1).confused_with, 0);
  EXPECT_NEAR(confusion.at(1).confused_share, 1.0, 1e-12);
}

TEST(ClipConfusion, AClipWhoseFramesComeFirstHasNoIntruders) {
  const auto confusion = clip_confusion(directions({0, 5, 10, 90, 95}), {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}});
  for (const int clip : {0, 1}) {
    EXPECT_DOUBLE_EQ(confusion.at(clip).r_precision, 1.0);
    EXPECT_EQ(confusion.at(clip).confused_with, -1);
    EXPECT_DOUBLE_EQ(confusion.at(clip).confused_share, 0.0);
  }
}

TEST(ClipConfusion, MatchesADirectLoopOverEveryPairOfFrames) {
  torch::manual_seed(3);
  const auto features = torch::randn({40, 6}, torch::kDouble);
  std::vector<FrameTiming> timing(40);
  for (int i = 0; i < 40; ++i) timing[i].clip_id = (i * 7) % 4;  // four clips of ten, interleaved rows
  const auto confusion = clip_confusion(features, timing);
  const auto cosine = [&](int i, int j) { return (features[i].dot(features[j]) / (features[i].norm() * features[j].norm())).item<double>(); };
  for (int c = 0; c < 4; ++c) {
    SCOPED_TRACE("clip " + std::to_string(c));
    std::map<int, int> intruders;
    int own = 0, ranked = 0, other = 0;
    for (int i = 0; i < 40; ++i) {
      if (timing[i].clip_id != c) continue;
      std::vector<std::pair<double, int>> by_similarity;
      for (int j = 0; j < 40; ++j)
        if (j != i) by_similarity.push_back({-cosine(i, j), timing[j].clip_id});
      std::sort(by_similarity.begin(), by_similarity.end());
      for (int k = 0; k < 9; ++k, ++ranked) {  // the clip's other 9 frames' worth
        if (by_similarity[k].second == c) {
          ++own;
        } else {
          ++intruders[by_similarity[k].second];
          ++other;
        }
      }
    }
    int top = -1;
    for (const auto& [clip, count] : intruders)
      if (top < 0 || count > intruders[top]) top = clip;
    EXPECT_NEAR(confusion.at(c).r_precision, static_cast<double>(own) / ranked, 1e-12);
    EXPECT_EQ(confusion.at(c).confused_with, top);
    EXPECT_NEAR(confusion.at(c).confused_share, static_cast<double>(intruders[top]) / other, 1e-12);
  }
}

TEST(CenterFeatures, SubtractsTheMeanRow) {
  const auto features = torch::tensor({1.0, 2.0, 3.0, 6.0, 5.0, 10.0}, torch::kDouble).view({3, 2});
  const auto expected = torch::tensor({-2.0, -4.0, 0.0, 0.0, 2.0, 4.0}, torch::kDouble).view({3, 2});
  EXPECT_TRUE(torch::allclose(center_features(features), expected));
}

// A hub: features that share a large common part (as non-negative pooled maps do) make the frames
// nearest that part everyone's neighbours. Around an offset of 20 in every dimension, clip 0
// spreads along y at x + 3, clip 1 along z at x − 3, and clip 2 sits at the offset, ±0.1 along
// w: uncentered, clip 2 is the nearest of one frame of each of the others (cosines 0.9982 against
// 0.9965, by hand); centered, each of those clips finds its own frame first (0.38 against 0).
TEST(CenterFeatures, TakesAHubOutOfEveryClipsNearest) {
  const auto features = 20.0 + torch::tensor({3.0, 2.0, 0.0, 0.0, 3.0, -2.0, 0.0, 0.0,     // clip 0
                                              -3.0, 0.0, 2.0, 0.0, -3.0, 0.0, -2.0, 0.0,   // clip 1
                                              0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0, -0.1},    // clip 2
                                             torch::kDouble)
                                   .view({6, 4});
  std::vector<FrameTiming> timing(6);
  timing[2].clip_id = timing[3].clip_id = 1;
  timing[4].clip_id = timing[5].clip_id = 2;
  const auto raw = clip_confusion(features, timing), centered = clip_confusion(center_features(features), timing);
  for (const int clip : {0, 1}) {
    SCOPED_TRACE("clip " + std::to_string(clip));
    EXPECT_EQ(raw.at(clip).confused_with, 2);
    EXPECT_DOUBLE_EQ(raw.at(clip).r_precision, 0.5);
    EXPECT_EQ(centered.at(clip).confused_with, -1);
    EXPECT_DOUBLE_EQ(centered.at(clip).r_precision, 1.0);
  }
}

TEST(DarkChannels, CountsChannelsBelowTheShareOfTheMostActive) {
  const auto activity = torch::tensor({2.0, 0.09, 0.1, 1.0, 0.0});
  EXPECT_EQ(dark_channels(activity), 2);        // below 0.05 × 2 = 0.1: 0.09 and 0
  EXPECT_EQ(dark_channels(activity, 0.5), 3);   // below 1: 0.09, 0.1 and 0 (1 itself is not below)
  EXPECT_EQ(dark_channels(torch::ones({8})), 0);
  EXPECT_EQ(dark_channels(torch::zeros({8})), 8) << "a model whose codes are all zero is all dark";
  EXPECT_THROW(dark_channels(torch::ones({2, 2})), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
