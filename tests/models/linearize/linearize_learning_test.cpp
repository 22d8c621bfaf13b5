// Learning claims of Model B, each trained a few hundred steps on small frames against a baseline
// computed on the same held-out frames.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "models/linearize/block_motion.h"
#include "models/linearize/linearize_learner.h"
#include "models/linearize/linearize_metrics.h"
#include "models/ops/contrast_normalizer.h"
#include "stages/synthetic_source.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

// Contrast-normalized frames of `clips` clips of SyntheticSource sprites at constant velocity (no
// rotation or scaling), one T×1×H×W tensor per clip.
std::vector<torch::Tensor> sprite_clips(int clips, std::uint64_t seed) {
  SyntheticOptions o;
  o.kind = SyntheticKind::sprites;
  o.width = 32;
  o.height = 32;
  o.num_sprites = 2;
  o.sprite_size = 10;
  o.min_speed = 1.5;  // px/frame: under a pixel, copy-last and the cross-fade are already close
  o.max_speed = 3.0;
  o.frames_per_clip = 16;
  o.num_clips = clips;
  o.seed = seed;
  SyntheticSource source(o);
  const ContrastNormalizer normalize;
  std::vector<std::vector<torch::Tensor>> by_clip(static_cast<std::size_t>(clips));
  Frame frame;
  while (source.read(frame))
    by_clip[static_cast<std::size_t>(frame.clip_id)].push_back(normalize(frame.image.to(torch::kFloat).unsqueeze(0) / 255)[0]);
  std::vector<torch::Tensor> out;
  for (const auto& frames : by_clip) out.push_back(torch::stack(frames));
  return out;
}

// Every triplet (t−1, t, t+1) of the clips: T×3×1×H×W.
torch::Tensor sprite_triplets(int clips, std::uint64_t seed) {
  std::vector<torch::Tensor> triplets;
  for (const auto& frames : sprite_clips(clips, seed))
    for (std::int64_t t = 0; t + 2 < frames.size(0); ++t) triplets.push_back(frames.slice(0, t, t + 3));
  return torch::stack(triplets);
}

// Triplets (t−1, t, t+1), or with probability ½ (t−1, t, t+2): a skipped frame. Returns the
// triplets and the labels (1: skipped).
std::pair<torch::Tensor, torch::Tensor> skip_triplets(int clips, std::uint64_t seed) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::vector<torch::Tensor> triplets;
  std::vector<float> skipped;
  for (const auto& frames : sprite_clips(clips, seed))
    for (std::int64_t t = 0; t + 3 < frames.size(0); ++t) {
      const bool skip = rng() % 2 == 1;
      triplets.push_back(torch::stack({frames[t], frames[t + 1], frames[t + (skip ? 3 : 2)]}));
      skipped.push_back(skip ? 1.0f : 0.0f);
    }
  return {torch::stack(triplets), torch::tensor(skipped)};
}

void train(LinearizeLearner& learner, const torch::Tensor& triplets, int steps, int batch, unsigned seed) {
  std::mt19937 rng(seed);
  for (int s = 0; s < steps; ++s) {
    std::vector<torch::Tensor> chosen;
    for (int i = 0; i < batch; ++i) chosen.push_back(triplets[static_cast<std::int64_t>(rng() % triplets.size(0))]);
    learner.train(torch::stack(chosen));
  }
  for (const auto& step : learner.read_steps()) ASSERT_FALSE(step.skipped) << "step " << step.step;
}

OptimizerOptions adam(double lr) {
  OptimizerOptions o;
  o.lr = lr;
  return o;
}

// Held-out clips are new sprites (another seed). Predictions use δ = 0: δ inferred from the true
// next frame would be an oracle.
//
// Pooling blocks of 8×8 pixels here, not DESIGN's 4×4: a phase is linear in the motion only while
// the feature stays inside its block, and these sprites move 3-6 px between x^{t−1} and x^{t+1}.
// Measured (600 steps, seeds 1/2/3): 4×4 blocks, 32 or 64 filters, +1.9 to +2.0 dB over the
// cross-fade; 8×8 blocks, 32 filters +2.2 to +2.3 dB, 64 filters +2.5 dB (prediction +3.6 dB).
// Every learning test trains on each device present (CPU, then CUDA where there is one).
TEST(LinearizeLearning, OnSpritesPredictionBeatsCopyLastAndInterpolationBeatsCrossFade) {
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    torch::manual_seed(1);
    const auto training = sprite_triplets(24, 1).to(device), held_out = sprite_triplets(6, 99).to(device);
    auto options = LinearizeOptions().filters(64).kernel(9);
    options.block().space(8);
    LinearizeLearner learner(options, adam(2e-3), ClipLearnerOptions{}, device);
    train(learner, training, 600, 8, 2);
    torch::NoGradGuard no_grad;
    auto& model = learner.model();
    const auto previous = model->pool(model->encode(held_out.select(1, 0)));
    const auto current = model->pool(model->encode(held_out.select(1, 1)));
    const auto next = model->pool(model->encode(held_out.select(1, 2)));
    const double predict = mean_psnr(model->predict(previous, current), held_out.select(1, 2)).item<double>();
    const double copy_last = mean_psnr(held_out.select(1, 1), held_out.select(1, 2)).item<double>();
    const double feature = mean_psnr(model->interpolate(previous, next), held_out.select(1, 1)).item<double>();
    const double cross_fade = mean_psnr(0.5 * (held_out.select(1, 0) + held_out.select(1, 2)), held_out.select(1, 1)).item<double>();
    std::printf("held-out sprites: predict %.2f dB vs copy-last %.2f dB; feature interpolation %.2f dB vs cross-fade %.2f dB\n", predict,
                copy_last, feature, cross_fade);
    RecordProperty("psnr_predict", std::to_string(predict));
    RecordProperty("psnr_copy_last", std::to_string(copy_last));
    RecordProperty("psnr_feature", std::to_string(feature));
    RecordProperty("psnr_crossfade", std::to_string(cross_fade));
    EXPECT_GE(predict, copy_last + 3.0);
    EXPECT_GE(feature, cross_fade + 2.0);
  }
}

// The paper's probe: a model trained on triplets where a frame is skipped at random must spend
// its latent δ on the skip (the phase moves twice as far), so a linear probe on δ recovers it.
TEST(LinearizeLearning, ALogisticProbeOnDeltaRecoversASkippedFrame) {
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    torch::manual_seed(1);
    const auto [training, unused] = skip_triplets(24, 3);
    LinearizeLearner learner(LinearizeOptions().filters(32).kernel(9), adam(2e-3), ClipLearnerOptions{}, device);
    train(learner, training.to(device), 600, 8, 2);
    const auto [held_out, labels] = skip_triplets(24, 77);
    torch::Tensor delta;
    {
      torch::NoGradGuard no_grad;
      delta = learner.model()->loss(held_out.to(device)).delta.cpu();  // N×3, inferred from each triplet
    }
    // Standardized δ, a logistic regression fitted on the first half, scored on the second.
    const auto n = delta.size(0), half = n / 2;
    const auto mean = delta.slice(0, 0, half).mean(0), std = delta.slice(0, 0, half).std(0).clamp_min(1e-8);
    const auto features = (delta - mean) / std;
    auto w = torch::zeros({3}, torch::requires_grad()), b = torch::zeros({1}, torch::requires_grad());
    torch::optim::LBFGS probe({w, b}, torch::optim::LBFGSOptions(1.0).max_iter(200));
    probe.step([&] {
      probe.zero_grad();
      auto loss = torch::binary_cross_entropy_with_logits(torch::mv(features.slice(0, 0, half), w) + b, labels.slice(0, 0, half));
      loss.backward();
      return loss;
    });
    torch::NoGradGuard no_grad;
    const auto predicted = (torch::mv(features.slice(0, half), w) + b > 0).to(torch::kFloat);
    const double accuracy = (predicted == labels.slice(0, half)).to(torch::kFloat).mean().item<double>();
    const double majority = std::max(labels.slice(0, half).mean().item<double>(), 1 - labels.slice(0, half).mean().item<double>());
    std::printf("skip probe on delta: accuracy %.3f on %lld held-out triplets (majority class %.3f)\n", accuracy,
                static_cast<long long>(n - half), majority);
    RecordProperty("probe_accuracy", std::to_string(accuracy));
    // Measured over seeds 1, 2, 3 of torch::manual_seed (2026-12-01, 156 held-out triplets, majority
    // class 0.532): 0.801, 0.769, 0.795 on this machine's AVX-512; 0.827, 0.776, 0.763 with oneDNN and
    // ATen held to AVX2; 0.731 once on CI's machine with 78 triplets. Seeds and machines spread by
    // 0.10: the probe must beat the majority class by more than that.
    EXPECT_GE(accuracy, majority + 0.15);
  }
}

// The curvature term straightens phase trajectories: the same model trained identically with
// λ = 1 (the default) and λ = 0, mean 1 − cos on held-out sprite clips. Measured here: 1.02 against
// 1.38 (λ = 0.1 gave 1.31: too weak beside the per-pixel prediction error).
TEST(LinearizeLearning, TheCurvatureTermStraightensPhaseTrajectoriesOnHeldOutClips) {
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto training = sprite_triplets(24, 1).to(device), held_out = sprite_triplets(6, 99).to(device);
    double curvature[2];
    const double lambdas[2] = {1.0, 0.0};
    for (int i = 0; i < 2; ++i) {
      torch::manual_seed(1);
      LinearizeLearner learner(LinearizeOptions().filters(32).kernel(9).curvature(lambdas[i]), adam(2e-3), ClipLearnerOptions{}, device);
      train(learner, training, 600, 8, 2);
      torch::NoGradGuard no_grad;
      auto& model = learner.model();
      curvature[i] =
          phase_curvature(model->pool(model->encode(held_out.select(1, 0))), model->pool(model->encode(held_out.select(1, 1))),
                          model->pool(model->encode(held_out.select(1, 2))))
              .item<double>();
    }
    std::printf("held-out phase curvature (1 - cos): lambda 1 %.4f, lambda 0 %.4f\n", curvature[0], curvature[1]);
    RecordProperty("curvature_lambda", std::to_string(curvature[0]));
    RecordProperty("curvature_zero", std::to_string(curvature[1]));
    EXPECT_LT(curvature[0], 0.9 * curvature[1]);
  }
}

// Online-style training on one clip: each step takes the triplet (t, t + gap, t + 2·gap) ending at
// the stream's current position plus batch − 1 earlier ones drawn at random (the replay buffer).
void train_online(LinearizeLearner& learner, const torch::Tensor& frames, int gap, int batch, unsigned seed) {
  std::mt19937 rng(seed);
  const int span = 2 * gap;
  for (int newest = 0; newest + span < frames.size(0); ++newest) {
    std::vector<torch::Tensor> triplets;
    for (int i = 0; i < batch; ++i) {
      const int t = i == 0 ? newest : static_cast<int>(rng() % (newest + 1));
      triplets.push_back(torch::stack({frames[t], frames[t + gap], frames[t + span]}));
    }
    learner.train(torch::stack(triplets));
  }
  for (const auto& step : learner.read_steps()) ASSERT_FALSE(step.skipped) << "step " << step.step;
}

// Triplets (x^{t−gap}, x^t, x^{t+gap}) of `frames` starting at every other frame, N×3×C×H×W on `device`.
torch::Tensor gap_triplets(const torch::Tensor& frames, int gap, torch::Device device) {
  std::vector<torch::Tensor> triplets;
  for (std::int64_t t = 0; t + 2 * gap < frames.size(0); t += 2) triplets.push_back(frames.slice(0, t, t + 2 * gap + 1, gap));
  return torch::stack(triplets).to(device);
}

// The configs' setting at CI scale (32 filters 9×9 in 2×2 blocks, λ 0.01), trained online on
// `training` in triplets of consecutive frames, 4 a step; torch seeded `seed`, the sampler seed + 1.
std::unique_ptr<LinearizeLearner> shipped_setting_trained_on(const torch::Tensor& training, torch::Device device, unsigned seed) {
  torch::manual_seed(seed);
  auto options = LinearizeOptions().filters(32).kernel(9).curvature(0.01);
  options.block().space(2);
  auto learner = std::make_unique<LinearizeLearner>(options, adam(2e-3), ClipLearnerOptions{}, device);
  train_online(*learner, training.to(device), 1, 4, seed + 1);
  return learner;
}

// On real frames the curvature term at the sprites' weight (λ = 1) costs the code what it keeps:
// the phases of a nearly still scene jitter, and λ = 1 (12 to 30 times the per-pixel prediction
// error there) lowers 1 − cos by smoothing the code. At λ = 0.01, the scale DESIGN
// asks of λ (a fraction of the per-pixel error), the code keeps more of x^t through pooling and
// unpooling, and feature interpolation follows. Trained at a gap of 4 frames on cup.mp4 (one pass,
// 2×2 blocks, 32 filters), scored on the first 120 frames of held-out box.mp4 at gap 4. Measured
// here, seeds 1/2/3 (torch; the sampler's 2/3/4): autoencode 21.9/21.7/22.1 dB at λ 1, 23.8/24.1/24.3
// at λ 0.01 (+1.8 to +2.4); interpolation 21.8/21.5/21.9 against 23.2/23.5/23.7 (+1.5 to +1.9). The
// seeds spread by 0.5 dB, the margins asserted are 1 dB. At 160×120 on 700 frames of three clips
// (docs/results.md, Model B), box.mp4: autoencode 23.5 → 32.4 dB, interpolation 22.2 → 25.1 dB.
TEST(LinearizeLearning, OnRealFramesACurvatureWeightAtThePixelErrorsScaleKeepsTheCodeAndInterpolatesBetter) {
  const auto training = test::normalized_clip("cup.mp4", 80, 60, 300), held_out = test::normalized_clip("box.mp4", 80, 60, 120);
  if (!training.defined() || !held_out.defined()) GTEST_SKIP() << "cup.mp4 or box.mp4 (opencv-doc) or ffmpeg not installed";
  constexpr int kGap = 4;
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto x = gap_triplets(held_out, kGap, device);
    const double lambdas[2] = {1.0, 0.01};
    double autoencode[2], feature[2], cross_fade = 0;
    for (int i = 0; i < 2; ++i) {
      torch::manual_seed(1);
      auto options = LinearizeOptions().filters(32).kernel(9).curvature(lambdas[i]);
      options.block().space(2);
      LinearizeLearner learner(options, adam(2e-3), ClipLearnerOptions{}, device);
      train_online(learner, training.to(device), kGap, 4, 2);
      torch::NoGradGuard no_grad;
      auto& model = learner.model();
      const auto previous = model->pool(model->encode(x.select(1, 0)));
      const auto current = model->pool(model->encode(x.select(1, 1)));
      const auto next = model->pool(model->encode(x.select(1, 2)));
      autoencode[i] = mean_psnr(model->reconstruct(current), x.select(1, 1)).item<double>();
      feature[i] = mean_psnr(model->interpolate(previous, next), x.select(1, 1)).item<double>();
      cross_fade = mean_psnr(0.5 * (x.select(1, 0) + x.select(1, 2)), x.select(1, 1)).item<double>();
    }
    std::printf("held-out box.mp4 at gap %d: autoencode x^t %.2f dB (lambda 1) vs %.2f dB (lambda 0.01); feature interpolation %.2f vs %.2f dB "
                "(cross-fade %.2f dB)\n",
                kGap, autoencode[0], autoencode[1], feature[0], feature[1], cross_fade);
    RecordProperty("psnr_autoencode_lambda_1", std::to_string(autoencode[0]));
    RecordProperty("psnr_autoencode_lambda_001", std::to_string(autoencode[1]));
    RecordProperty("psnr_feature_lambda_1", std::to_string(feature[0]));
    RecordProperty("psnr_feature_lambda_001", std::to_string(feature[1]));
    EXPECT_GE(autoencode[1], autoencode[0] + 1.0);
    EXPECT_GE(feature[1], feature[0] + 1.0);
  }
}

// Where things move, averaging the phases moves them: feature interpolation beats the cross-fade
// of the code's own reconstructions, 0.5·(G(x^{t−g}) + G(x^{t+g})), which is what averaging would
// give if the phases moved nothing (against the pixel cross-fade, the code's loss would blur the
// claim: docs/results.md, Model B); and with the residual the code does not hold cross-faded
// beside it, the interpolation beats the pixel cross-fade. The shipped setting (λ 0.01, triplets
// of consecutive frames, 2×2 blocks), trained on cup.mp4 and scored on held-out Megamind.avi at
// gap 8, where its content moves several pixels (scripts/block_motion.py). Measured here at
// 80×60, seeds 1/2/3: over the decoded cross-fade +0.19/+0.24/+0.22 dB, with the residual over
// the pixel cross-fade (21.05 dB) +0.17/+0.17/+0.22 dB; at 160×120 after 700 frames of three
// clips, +0.36 and +0.33 dB (seed 1). The seeds spread by 0.05 dB; the margin asserted for each
// is 0.1 dB. With λ 1 the same test measures −0.01/−0.01/−0.02 dB over the decoded cross-fade
// (and fails): a code smoothed that much moves nothing.
TEST(LinearizeLearning, OnRealFramesThatMoveAveragingThePhasesBeatsTheCrossFade) {
  const auto training = test::normalized_clip("cup.mp4", 80, 60, 300), held_out = test::normalized_clip("Megamind.avi", 80, 60, 200);
  if (!training.defined() || !held_out.defined()) GTEST_SKIP() << "cup.mp4 or Megamind.avi (opencv-doc) or ffmpeg not installed";
  constexpr int kGap = 8;
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto x = gap_triplets(held_out, kGap, device);
    for (const unsigned seed : {1u, 2u, 3u}) {
      const auto learner = shipped_setting_trained_on(training, device, seed);
      torch::NoGradGuard no_grad;
      auto& model = learner->model();
      const auto previous = model->pool(model->encode(x.select(1, 0)));
      const auto next = model->pool(model->encode(x.select(1, 2)));
      const double feature = mean_psnr(model->interpolate(previous, next), x.select(1, 1)).item<double>();
      const double decoded_fade = mean_psnr(0.5 * (model->reconstruct(previous) + model->reconstruct(next)), x.select(1, 1)).item<double>();
      const auto pixel_fade = 0.5 * (x.select(1, 0) + x.select(1, 2));
      const double fade = mean_psnr(pixel_fade, x.select(1, 1)).item<double>();
      // With what the code does not hold cross-faded beside it (vidssl eval's psnr_feature_residual).
      const auto with_residual =
          model->interpolate(previous, next) + pixel_fade - 0.5 * (model->reconstruct(previous) + model->reconstruct(next));
      const double residual = mean_psnr(with_residual, x.select(1, 1)).item<double>();
      std::printf("seed %u, held-out Megamind.avi at gap %d: feature interpolation %.2f dB, cross-fade of the reconstructions %.2f dB "
                  "(%+.2f); with the residual %.2f dB, pixel cross-fade %.2f dB (%+.2f)\n",
                  seed, kGap, feature, decoded_fade, feature - decoded_fade, residual, fade, residual - fade);
      RecordProperty("phase_gain_seed_" + std::to_string(seed), std::to_string(feature - decoded_fade));
      RecordProperty("residual_gain_seed_" + std::to_string(seed), std::to_string(residual - fade));
      EXPECT_GE(feature, decoded_fade + 0.1) << "seed " << seed;
      EXPECT_GE(residual, fade + 0.1) << "seed " << seed;
    }
  }
}

// opencv-doc's building.jpg, a 640×480 window panned 4 px right and 2 px down a frame, made with
// FFmpeg and brought down to 80×60: 80 frames of fine real texture moving half a pixel a frame.
torch::Tensor panned_building(const std::string& image) {
  const std::string pan = test::scratch_dir("fine-texture-pan") + "/pan.mkv";
  const std::string make = "ffmpeg -nostdin -v error -y -loop 1 -i '" + image +
                           "' -vf \"scale=1024:768,crop=640:480:n*4:n*2\" -frames:v 80 -c:v ffv1 '" + pan + "'";
  if (std::system(make.c_str()) != 0) return {};
  return test::normalized_frames(pan, 80, 60, 80);
}

// Fine real texture moving half a pixel a frame (opencv-doc's building.jpg, a 640×480 window
// panned 4 px right and 2 px down a frame, brought down to 80×60), where the cross-fade fails
// though at gap 4 things move 2 px each way, about one 2×2 block. The held-out videos of
// docs/results.md that move so (a city at night, a turning globe) are where the paper's estimates
// meet issue 16's targets (+1 dB over the cross-fade, +2 dB over copy-last); trained on cup.mp4,
// the model meets them here, by more than the seeds' spread (seeds 1–3: +1.37 to +1.52 and +3.55
// to +3.80 dB), and the phases' own part, against the cross-fade of the reconstructions, is
// +0.93 to +1.04 dB.
TEST(LinearizeLearning, OnFineTextureMovingHalfAPixelAFrameThePhasesBeatTheCrossFadeByADecibel) {
  const auto training = test::normalized_clip("cup.mp4", 80, 60, 300);
  const std::string image = test::opencv_clip("building.jpg");
  if (!training.defined() || image.empty()) GTEST_SKIP() << "cup.mp4 or building.jpg (opencv-doc) or ffmpeg not installed";
  const auto held_out = panned_building(image);
  ASSERT_TRUE(held_out.defined()) << "FFmpeg could not pan " << image;
  constexpr int kGap = 4;
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto x = gap_triplets(held_out, kGap, device);
    for (const unsigned seed : {1u, 2u, 3u}) {
      const auto learner = shipped_setting_trained_on(training, device, seed);
      torch::NoGradGuard no_grad;
      auto& model = learner->model();
      const auto previous = model->pool(model->encode(x.select(1, 0)));
      const auto current = model->pool(model->encode(x.select(1, 1)));
      const auto next = model->pool(model->encode(x.select(1, 2)));
      const double feature = mean_psnr(model->interpolate(previous, next), x.select(1, 1)).item<double>();
      const double fade = mean_psnr(0.5 * (x.select(1, 0) + x.select(1, 2)), x.select(1, 1)).item<double>();
      const double decoded_fade = mean_psnr(0.5 * (model->reconstruct(previous) + model->reconstruct(next)), x.select(1, 1)).item<double>();
      const double predict = mean_psnr(model->predict(previous, current), x.select(1, 2)).item<double>();
      const double copy_last = mean_psnr(x.select(1, 1), x.select(1, 2)).item<double>();
      std::printf("seed %u, building.jpg panned, gap %d: feature interpolation %.2f dB, cross-fade %.2f dB (%+.2f), of the "
                  "reconstructions %.2f dB (%+.2f); prediction %.2f dB, copy-last %.2f dB (%+.2f)\n",
                  seed, kGap, feature, fade, feature - fade, decoded_fade, feature - decoded_fade, predict, copy_last, predict - copy_last);
      EXPECT_LT(fade, 25.0) << "the cross-fade fails here";
      EXPECT_GE(feature, fade + 1.0) << "seed " << seed;
      EXPECT_GE(feature, decoded_fade + 0.5) << "seed " << seed << ": the phases move it, not the code's smoothing";
      EXPECT_GE(predict, copy_last + 2.0) << "seed " << seed;
    }
  }
}

// Where things move several pixels each way, more than a 2×2 block holds, the phases cannot move
// them; block motion aligning the frames first (an option beyond the paper, block_motion.h: each
// pixel moved by a mixture of motion hypotheses) does. The building pan above at gap 11: 5.5 px
// right and 2.75 px down each way. Measured here, seeds 1–3: the aligned cross-fade 16.94 dB
// against the cross-fade's 13.94 (one bilinear field instead of the mixture gave about 14.6); the
// phases on the aligned frames 16.67 to 16.78, +2.1 to +2.3 dB over the phases without alignment,
// and with the residual 16.93 to 16.94, what the alignment gives; prediction from the aligned
// frames with the residual 21.45 to 21.47 dB, +8.3 over copy-last (13.15), the motion-compensated
// copy-last 21.36. On the mixture's frames the phases' own share is gone (it was +0.5 dB on the
// one field's): the test asserts issue 16's targets (+1 and +2 dB), that aligning first lets the
// phases move it (+1 dB, half the smallest measured), and that the phases with the residual lose
// at most 0.1 dB of the alignment (the seeds spread by 0.01 dB).
TEST(LinearizeLearning, WhereThingsMoveBeyondTheBlockAligningFirstMovesThemAndThePhasesKeepIt) {
  const auto training = test::normalized_clip("cup.mp4", 80, 60, 300);
  const std::string image = test::opencv_clip("building.jpg");
  if (!training.defined() || image.empty()) GTEST_SKIP() << "cup.mp4 or building.jpg (opencv-doc) or ffmpeg not installed";
  const auto held_out = panned_building(image);
  ASSERT_TRUE(held_out.defined()) << "FFmpeg could not pan " << image;
  constexpr int kGap = 11;
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto x = gap_triplets(held_out, kGap, device);
    for (const unsigned seed : {1u, 2u, 3u}) {
      const auto learner = shipped_setting_trained_on(training, device, seed);
      torch::NoGradGuard no_grad;
      auto& model = learner->model();
      const auto truth = x.select(1, 1);
      const double fade = mean_psnr(0.5 * (x.select(1, 0) + x.select(1, 2)), truth).item<double>();
      const auto previous = model->pool(model->encode(x.select(1, 0))), next = model->pool(model->encode(x.select(1, 2)));
      const double feature = mean_psnr(model->interpolate(previous, next), truth).item<double>();
      const auto halfway = align_halfway(x.select(1, 0), x.select(1, 2));
      const auto a = model->pool(model->encode(halfway.earlier)), c = model->pool(model->encode(halfway.later));
      const auto aligned_fade = 0.5 * (halfway.earlier + halfway.later);
      const double fade_aligned = mean_psnr(aligned_fade, truth).item<double>();
      const auto middle = model->interpolate(a, c), decoded_fade = 0.5 * (model->reconstruct(a) + model->reconstruct(c));
      const double feature_aligned = mean_psnr(middle, truth).item<double>();
      const double decoded_fade_aligned = mean_psnr(decoded_fade, truth).item<double>();
      const auto with_residual = middle + aligned_fade - decoded_fade;
      const double residual_aligned = mean_psnr(with_residual, truth).item<double>();
      const auto ahead = align_ahead(x.select(1, 0), truth);
      const auto b = model->pool(model->encode(ahead.later));
      const auto predicted = model->predict(model->pool(model->encode(ahead.earlier)), b);
      const double copy_last = mean_psnr(truth, x.select(1, 2)).item<double>();
      const double copy_aligned = mean_psnr(ahead.later, x.select(1, 2)).item<double>();
      const double predict_aligned = mean_psnr(predicted, x.select(1, 2)).item<double>();
      const double predict_residual = mean_psnr(predicted + ahead.later - model->reconstruct(b), x.select(1, 2)).item<double>();
      std::printf("seed %u, building.jpg panned, gap %d: cross-fade %.2f, feature %.2f; aligned: cross-fade %.2f, feature %.2f (decoded "
                  "cross-fade %.2f), with the residual %.2f dB; copy-last %.2f, aligned %.2f, predict aligned %.2f, with the "
                  "residual %.2f dB\n",
                  seed, kGap, fade, feature, fade_aligned, feature_aligned, decoded_fade_aligned, residual_aligned, copy_last, copy_aligned,
                  predict_aligned, predict_residual);
      EXPECT_GE(residual_aligned, fade + 1.0) << "seed " << seed << ": issue 16's target";
      EXPECT_GE(feature_aligned, feature + 1.0) << "seed " << seed << ": aligning first lets the phases move it";
      EXPECT_GE(residual_aligned, fade_aligned - 0.1) << "seed " << seed << ": the phases keep what the alignment gives";
      EXPECT_GE(predict_residual, copy_last + 2.0) << "seed " << seed << ": issue 16's target";
      EXPECT_GE(predict_residual, copy_aligned - 0.1) << "seed " << seed << ": the phases keep what the alignment gives";
    }
  }
}

}  // namespace
}  // namespace vidssl
