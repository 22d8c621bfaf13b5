// Learning claims of Model A, each trained a few hundred steps on small frames of real clips
// (Debian's opencv-doc) against a baseline trained or measured on the same data.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <random>
#include <string>
#include <utility>

#include "models/slow/slow_metrics.h"
#include "models/slow/slow_sparse_learner.h"
#include "tests/test_data.h"

namespace vidssl {
namespace {

constexpr int kWidth = 80, kHeight = 60;

torch::Tensor frames_of(const std::string& name, int max_frames) { return test::normalized_clip(name, kWidth, kHeight, max_frames); }

// Online-style training: each step takes the pair ending at the stream's current position plus
// batch − 1 earlier pairs drawn at random (what the replay buffer does); a pair is frames t and
// t + gap (train.frame_gap).
void train(SlowSparseLearner& learner, const torch::Tensor& frames, int steps, int batch, unsigned seed, int gap = 1) {
  std::mt19937 rng(seed);
  for (int s = 0; s < steps; ++s) {
    const int newest = s % static_cast<int>(frames.size(0) - gap);
    std::vector<torch::Tensor> pairs;
    for (int i = 0; i < batch; ++i) {
      const int t = i == 0 ? newest : static_cast<int>(rng() % (newest + 1));
      pairs.push_back(torch::stack({frames[t], frames[t + gap]}));
    }
    learner.train(torch::stack(pairs));
  }
  for (const auto& step : learner.read_steps()) ASSERT_FALSE(step.skipped) << "step " << step.step;
}

OptimizerOptions adam(double lr) {
  OptimizerOptions o;
  o.lr = lr;
  return o;
}

// Sixteen pairs of consecutive frames spread over the clip, the same before and after training.
torch::Tensor fixed_pairs(const torch::Tensor& frames) {
  std::vector<torch::Tensor> pairs;
  for (std::int64_t t = 0; t + 1 < frames.size(0); t += frames.size(0) / 16) pairs.push_back(frames.slice(0, t, t + 2));
  return torch::stack(pairs);
}

// What one layer's loss gives: the codes it reconstructs from (the encoder's, or FISTA's h* in
// PSD training), their residual energy and how sparse they are.
struct CodeFigures {
  double residual = 0, active = 0, top_decile = 0, prediction = 0;
};
CodeFigures layer_figures(const SlowSparseLoss& loss) {
  torch::NoGradGuard no_grad;
  // Sparse in a sense that holds for tanh codes too, which are seldom exactly 0: the largest
  // 10 % of |h| carry most of the code's L1 mass (0.25 for dense Gaussian codes).
  const auto magnitude = loss.codes.abs().flatten();
  CodeFigures f;
  f.residual = residual_energy(loss.frames, loss.reconstructed).item<double>();
  f.active = active_fraction(loss.codes).item<double>();
  f.top_decile = (std::get<0>(magnitude.topk(magnitude.numel() / 10)).sum() / magnitude.sum().clamp_min(1e-12)).item<double>();
  f.prediction = loss.prediction.item<double>();
  return f;
}

// The model's own loss on the fixed pairs, its first layer's figures.
CodeFigures code_figures(SlowSparse& model, const torch::Tensor& frames) {
  torch::NoGradGuard no_grad;
  return layer_figures(model->loss(fixed_pairs(frames)));
}

// Every learning test trains on each device present (CPU, then CUDA where there is one). Here
// every encoder, trained as it is meant to be: the paper's conv + ReLU and 3-step LISTA directly on
// the loss (both start as one ISTA step from the decoder, LISTA as three, in both lateral forms), the PSD encoder
// D·tanh(conv) by PSD training, predicting the sparse codes FISTA infers (trained directly on the
// loss, tanh codes stay dense: measured here, 81 % of |h| above 1e-3, the top decile 56 % of the
// mass, and a residual energy that does not fall from its 0.22 at the start).
TEST(SlowSparseLearning, EveryEncoderLowersItsResidualEnergyWithSparseCodesOnARealClip) {
  const auto clip = frames_of("vtest.avi", 300);
  if (!clip.defined()) GTEST_SKIP() << "vtest.avi (opencv-doc) or ffmpeg not installed";
  for (const auto& device : test::test_devices()) {
    for (const auto& [encoder, lateral] :
         {std::pair{SlowEncoder::relu, ListaLateral::full}, std::pair{SlowEncoder::lista, ListaLateral::full},
          std::pair{SlowEncoder::lista, ListaLateral::factored}, std::pair{SlowEncoder::psd, ListaLateral::full}}) {
      const std::string name =
          std::string(to_string(encoder)) + (encoder == SlowEncoder::lista ? std::string("_") + to_string(lateral) : "");
      SCOPED_TRACE(device.str() + " " + name);
      const auto frames = clip.to(device);
      const bool psd = encoder == SlowEncoder::psd;
      torch::manual_seed(1);
      auto options = SlowSparseOptions().filters(16).kernel(7).encoder(encoder).lista_lateral(lateral);
      if (psd) options.training(SlowTraining::psd).fista_steps(20);
      SlowSparseLearner learner(options, adam(3e-3), ClipLearnerOptions{}, device);
      const CodeFigures start = code_figures(learner.model(), frames);
      train(learner, frames, psd ? 60 : 300, 4, 3);
      const CodeFigures end = code_figures(learner.model(), frames);
      RecordProperty(name + "_residual_energy_start", std::to_string(start.residual));
      RecordProperty(name + "_residual_energy_end", std::to_string(end.residual));
      RecordProperty(name + "_active_fraction", std::to_string(end.active));
      RecordProperty(name + "_top_decile_share", std::to_string(end.top_decile));
      std::printf("%s: residual energy %.4f -> %.4f, active fraction %.4f, top decile's share of |h| %.3f, prediction %.4f -> %.4f\n",
                  name.c_str(), start.residual, end.residual, end.active, end.top_decile, start.prediction, end.prediction);
      // Measured here: relu 0.72 -> 0.18 (its single ISTA step starts far off), lista 0.29 -> 0.23 (factored: 0.23 -> 0.13),
      // psd (FISTA's codes) 0.114 -> 0.089.
      EXPECT_LT(end.residual, (encoder == SlowEncoder::relu ? 0.5 : 0.9) * start.residual);
      EXPECT_LT(end.active, 0.2);
      EXPECT_GT(end.top_decile, 0.9);
      if (psd) {
        EXPECT_LT(end.prediction, 0.8 * start.prediction) << "the encoder learns to predict FISTA's codes";
      }
    }
  }
}

// A second layer (second_layer_filters) learns sparse codes of the first layer's pooled maps, each
// frame's standardized, while the first layer learns: its residual energy on those maps falls
// from where its ISTA start leaves it, with most of its codes at zero. Measured here: 0.83 -> 0.12,
// 13 % of its codes active, the top decile of |h| 98 % of the mass (66 % at the start).
TEST(SlowSparseLearning, ASecondLayerLearnsSparseCodesOfTheFirstLayersMaps) {
  const auto clip = frames_of("vtest.avi", 300);
  if (!clip.defined()) GTEST_SKIP() << "vtest.avi (opencv-doc) or ffmpeg not installed";
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto frames = clip.to(device);
    torch::manual_seed(1);
    SlowSparseLearner learner(SlowSparseOptions().filters(16).kernel(7).second_layer_filters(16).second_layer_kernel(5), adam(3e-3),
                              ClipLearnerOptions{}, device);
    const auto second = [&] {
      torch::NoGradGuard no_grad;
      return layer_figures(*learner.model()->loss(fixed_pairs(frames)).second_layer);
    };
    const CodeFigures start = second();
    train(learner, frames, 300, 4, 3);
    const CodeFigures end = second();
    std::printf("second layer: residual energy %.4f -> %.4f, active fraction %.4f, top decile's share of |h| %.3f (at the start %.3f)\n",
                start.residual, end.residual, end.active, end.top_decile, start.top_decile);
    RecordProperty("second_layer_residual_energy_start", std::to_string(start.residual));
    RecordProperty("second_layer_residual_energy_end", std::to_string(end.residual));
    EXPECT_LT(end.residual, 0.4 * start.residual);
    EXPECT_LT(end.active, 0.25);
    EXPECT_GT(end.top_decile, 0.9);
  }
}

// Decoder filters whose horizontally and vertically adjacent weights correlate by less than 0.3:
// still close to the white noise they were drawn as (about 0; measured after 300 steps here: mean
// 0.40 with the encoder from the decoder, 0.08 with an independent encoder).
int noise_filters(SlowSparse& model) {
  torch::NoGradGuard no_grad;
  const auto w = model->decoder->weight[0];  // F×k×k
  const auto centred = w - w.mean({1, 2}, true);
  const auto energy = centred.pow(2).sum({1, 2});
  const auto across = (centred.slice(2, 1) * centred.slice(2, 0, -1)).sum({1, 2});
  const auto down = (centred.slice(1, 1) * centred.slice(1, 0, -1)).sum({1, 2});
  const auto correlation = 0.5 * (across + down) / energy;
  std::printf("adjacent-weight correlation per filter: min %.2f mean %.2f\n", correlation.min().item<double>(),
              correlation.mean().item<double>());
  return static_cast<int>((correlation < 0.3).sum().item<std::int64_t>());
}

// The encoder starts as one ISTA step of the decoder (SlowSparseImpl::init_encoder_from_decoder).
// Baseline: the same model with the encoder drawn independently (LibTorch's default conv init):
// features whose codes start unrelated to their decoder filter leave those filters noise.
TEST(SlowSparseLearning, EncoderInitialisedFromTheDecoderLearnsEveryFilter) {
  const auto clip = frames_of("vtest.avi", 300);
  if (!clip.defined()) GTEST_SKIP() << "vtest.avi (opencv-doc) or ffmpeg not installed";
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto frames = clip.to(device);
    int noise[2];
    for (int independent = 0; independent < 2; ++independent) {
      torch::manual_seed(1);
      SlowSparseLearner learner(SlowSparseOptions().filters(32).kernel(9), adam(2e-3), ClipLearnerOptions{}, device);
      if (independent) learner.model()->encoder_filter->reset_parameters();
      train(learner, frames, 300, 4, 3);
      noise[independent] = noise_filters(learner.model());
    }
    std::printf("noise filters of 32: encoder from decoder %d, independent encoder %d\n", noise[0], noise[1]);
    EXPECT_LE(noise[0], 4);
    EXPECT_GE(noise[1], 16);
  }
}

// The three clips never trained on, together (each clip's TCR and AUC are taken against the
// whole set, as the paper draws its far frames and its negatives from the whole dataset).
struct HeldOutSet {
  std::vector<std::string> names;
  torch::Tensor frames;  // undefined where a clip or ffmpeg is missing
  std::vector<FrameTiming> timing;
  std::string missing;
};
HeldOutSet held_out_set() {
  const std::pair<const char*, double> clips_and_rates[] = {{"box.mp4", 30000.0 / 1001}, {"tree.avi", 68 / 29.5}, {"Megamind.avi", 23.976}};
  HeldOutSet set;
  std::vector<torch::Tensor> clips;
  for (const auto& [name, fps] : clips_and_rates) {
    clips.push_back(frames_of(name, 300));
    if (!clips.back().defined()) {
      set.missing = name;
      return set;
    }
    for (std::int64_t i = 0; i < clips.back().size(0); ++i)
      set.timing.push_back({static_cast<std::int32_t>(set.names.size()), static_cast<std::int64_t>(1e6 * i / fps)});
    set.names.emplace_back(name);
  }
  set.frames = torch::cat(clips);
  return set;
}

struct SlownessSetting {
  const char* name;
  double beta;
  SlownessTerm term;
  double floor;  // models.slow.activity_floor
};

// The learning tests' model, small enough that CI trains it in about fifteen seconds: 16 filters
// 7×7, with the setting's slowness.
SlowSparseOptions small_model(const SlownessSetting& setting) {
  return SlowSparseOptions().filters(16).kernel(7).beta(setting.beta).slowness(setting.term).activity_floor(setting.floor);
}

// Trained 600 steps of batch 8 on cup.mp4 at 80×60, at the webcam configs' time step (pairs 4
// frames apart).
SlowSparseLearner trained_on_cup(const SlowSparseOptions& options, int seed, const torch::Device& device, const torch::Tensor& train_clip) {
  torch::manual_seed(seed);
  SlowSparseLearner learner(options, adam(3e-3), ClipLearnerOptions{}, device);
  train(learner, train_clip.to(device), 600, 8, seed, 4);
  return learner;
}

const SlownessSetting kSparseOnly{"beta0", 0.0, SlownessTerm::l1, 0.0};
const SlownessSetting kPapersTermBeta2{"l1_beta2", 2.0, SlownessTerm::l1, 0.0};
const SlownessSetting kConfigsSetting{"normalized_beta2_floor5", 2.0, SlownessTerm::normalized, 5.0};

// Slowness against the sparse auto-encoder (β 0): each held-out clip's TCR over its consecutive
// frames against far frames of the whole set (docs/results.md, Model A).
// Measured here, seeds 1 and 2, against β 0 (residual energy 0.23, no dark features):
// - the paper's l1 term at β 2: 15–29 % lower TCR on every clip, asserted 8 %; the
//   residual energy rises to 0.35;
// - the normalized term (slowness: normalized) at β 0.3: 23–38 % lower, asserted 15 %, with the
//   residual energy at β 0's level (0.215, 0.234), asserted within 15 %;
// - the configs' setting, normalized at β 2 with the activity floor at 5: 32–46 % lower, asserted
//   15 %, residual energy 0.32 (asserted within 1.5× β 0's) and no feature dark, asserted at most
//   1 of 16; without the floor β 2 turns 9 of 16 features dark at the same residual energy.
TEST(SlowSparseLearning, SlownessLowersTheTemporalCoherenceRatioOnEveryHeldOutClip) {
  const auto train_clip = frames_of("cup.mp4", 217);
  if (!train_clip.defined()) GTEST_SKIP() << "cup.mp4 (opencv-doc) or ffmpeg not installed";
  const auto held_out = held_out_set();
  if (!held_out.frames.defined()) GTEST_SKIP() << held_out.missing << " (opencv-doc) or ffmpeg not installed";
  struct Bounds {
    SlownessSetting setting;
    double most_tcr;       // at most this share of β 0's TCR, on every clip
    double most_residual;  // at most this share of β 0's residual energy (0: not asserted)
    int most_dark;         // at most this many dark features of 16 (-1: not asserted)
  };
  const Bounds bounds[] = {{kPapersTermBeta2, 0.92, 0.0, -1},
                           {{"normalized_beta0.3", 0.3, SlownessTerm::normalized, 0.0}, 0.85, 1.15, -1},
                           {kConfigsSetting, 0.85, 1.5, 1}};
  for (const auto& device : test::test_devices()) {
    for (const int seed : {1, 2}) {
      SCOPED_TRACE(device.str() + " seed " + std::to_string(seed));
      const auto figures_of = [&](const SlownessSetting& setting) {
        auto learner = trained_on_cup(small_model(setting), seed, device, train_clip);
        torch::NoGradGuard no_grad;
        const auto codes = learner.model()->encode(held_out.frames.to(device));
        const auto features = learner.model()->pool(codes).flatten(1).cpu();
        std::vector<double> figures;  // TCR per clip, the residual energy, the dark features
        for (int c = 0; c < 3; ++c) figures.push_back(temporal_coherence_ratio(features, held_out.timing, {.clip = c}));
        figures.push_back(code_figures(learner.model(), held_out.frames.slice(0, 0, 200).to(device)).residual);
        figures.push_back(static_cast<double>(dark_channels(codes.abs().mean({0, 2, 3}).cpu())));
        return figures;
      };
      const auto base = figures_of(kSparseOnly);
      for (const auto& bound : bounds) {
        const auto& setting = bound.setting;
        const auto slow = figures_of(setting);
        for (int c = 0; c < 3; ++c) {
          const auto& name = held_out.names[static_cast<std::size_t>(c)];
          RecordProperty(std::string("tcr_") + setting.name + "_" + name + "_seed" + std::to_string(seed), std::to_string(slow[c]));
          std::printf("seed %d %s: TCR %s %.4f, beta 0 %.4f (%.1f %% lower)\n", seed, name.c_str(), setting.name, slow[c], base[c],
                      100 * (1 - slow[c] / base[c]));
          EXPECT_LE(slow[c], bound.most_tcr * base[c]) << name << ": " << setting.name << " " << slow[c] << ", beta 0 " << base[c];
        }
        std::printf("seed %d %s: residual energy %.4f (beta 0 %.4f), dark features %.0f (beta 0 %.0f)\n", seed, setting.name, slow[3],
                    base[3], slow[4], base[4]);
        if (bound.most_residual > 0) {
          EXPECT_LE(slow[3], bound.most_residual * base[3]) << setting.name << ": residual energy against beta 0's";
        }
        if (bound.most_dark >= 0) {
          EXPECT_LE(slow[4], bound.most_dark) << setting.name << ": dark features";
        }
      }
    }
  }
}

// The paper's temporal AUC with its scenes, distinct videos: each held-out clip is one scene, its
// middle frame queries every frame of the set. box.mp4 and tree.avi are told apart from the rest
// by any of these models (AP 1.000); Megamind.avi, an animation with cuts, is not: its middle
// frame's shot is one of many. Measured here, seeds 1 and 2, Megamind.avi's AP: β 0 0.542 and
// 0.548; the paper's l1 term at β 2 0.632 and 0.692, asserted β 0's + 0.04; the configs'
// setting 0.745 both, asserted β 0's + 0.1. With every frame of a clip querying in turn
// (ScenePrecision::every), Megamind.avi's mean AP: β 0 0.717 and 0.710; l1 β 2 0.788 and 0.808,
// asserted β 0's + 0.04; the configs' setting 0.829 and 0.848, asserted + 0.08. The clips at the
// ceiling stay there (asserted 0.99) by both measures.
// The study (docs/results.md, Model A, six held-out videos) finds the same at 160×120 on two
// clips of six, the two not at the ceiling.
TEST(SlowSparseLearning, SlownessTellsAHeldOutVideoWithCutsFromTheOthers) {
  const auto train_clip = frames_of("cup.mp4", 217);
  if (!train_clip.defined()) GTEST_SKIP() << "cup.mp4 (opencv-doc) or ffmpeg not installed";
  const auto held_out = held_out_set();
  if (!held_out.frames.defined()) GTEST_SKIP() << held_out.missing << " (opencv-doc) or ffmpeg not installed";
  const auto scenes = fixed_length_scenes(held_out.timing, 1e4);  // longer than any clip: one scene each
  struct Margins {
    SlownessSetting setting;
    double middle, every;  // above β 0's AP on Megamind.avi by at least this, middle frame / every frame querying
  };
  const Margins settings[] = {{kPapersTermBeta2, 0.04, 0.04}, {kConfigsSetting, 0.1, 0.08}};
  for (const auto& device : test::test_devices()) {
    for (const int seed : {1, 2}) {
      SCOPED_TRACE(device.str() + " seed " + std::to_string(seed));
      // Each clip's AP with its middle frame querying, and averaged over every frame querying.
      const auto precision_of = [&](const SlownessSetting& setting) {
        auto learner = trained_on_cup(small_model(setting), seed, device, train_clip);
        torch::NoGradGuard no_grad;
        const auto features = learner.model()->pool(learner.model()->encode(held_out.frames.to(device))).flatten(1).cpu();
        return scene_average_precision(features, scenes);
      };
      const auto [base, base_every] = precision_of(kSparseOnly);  // middle, every
      for (const auto& [setting, margin, margin_every] : settings) {
        const auto [slow, slow_every] = precision_of(setting);
        for (int c = 0; c < 3; ++c) {
          const auto& name = held_out.names[static_cast<std::size_t>(c)];
          std::printf("seed %d %s: AP %s %.4f, beta 0 %.4f; every frame querying %.4f, beta 0 %.4f\n", seed, name.c_str(), setting.name,
                      slow.at(c), base.at(c), slow_every.at(c), base_every.at(c));
          RecordProperty(std::string("ap_") + setting.name + "_" + name + "_seed" + std::to_string(seed), std::to_string(slow.at(c)));
          RecordProperty(std::string("ap_every_") + setting.name + "_" + name + "_seed" + std::to_string(seed), std::to_string(slow_every.at(c)));
          if (name == "Megamind.avi") {
            EXPECT_GE(slow.at(c), base.at(c) + margin) << name << ": " << setting.name << " against beta 0";
            EXPECT_GE(slow_every.at(c), base_every.at(c) + margin_every) << name << ": " << setting.name << " against beta 0, every frame querying";
          } else {
            EXPECT_GE(slow.at(c), 0.99) << name << ": " << setting.name;
            EXPECT_GE(slow_every.at(c), 0.99) << name << ": " << setting.name << ", every frame querying";
          }
        }
      }
    }
  }
}

// run.precision: bf16 learns what fp32 learns: the same model, seed and frames trained in both,
// the conv + ReLU encoder's residual energy falls as far in bfloat16 (measured here on the CPU:
// 0.720 -> 0.1874 in fp32, 0.1875 in bf16), the weights stay float32 and differ from fp32's (the
// convolutions did run in bfloat16).
TEST(SlowSparseLearning, Bf16TrainsAsFarAsFp32) {
  const auto clip = frames_of("vtest.avi", 120);
  if (!clip.defined()) GTEST_SKIP() << "vtest.avi (opencv-doc) or ffmpeg not installed";
  for (const auto& device : test::test_devices()) {
    SCOPED_TRACE(device.str());
    const auto frames = clip.to(device);
    double start = 0, end[2] = {0, 0};
    torch::Tensor decoders[2];
    const Precision precisions[2] = {Precision::fp32, Precision::bf16};
    for (int p = 0; p < 2; ++p) {
      torch::manual_seed(1);
      ClipLearnerOptions clips;
      clips.precision = precisions[p];
      SlowSparseLearner learner(SlowSparseOptions().filters(16).kernel(7), adam(3e-3), clips, device);
      start = code_figures(learner.model(), frames).residual;
      train(learner, frames, 150, 4, 3);
      end[p] = code_figures(learner.model(), frames).residual;
      for (const auto& parameter : learner.model()->parameters()) EXPECT_EQ(parameter.scalar_type(), torch::kFloat);
      decoders[p] = learner.model()->decoder->weight.detach().clone();
    }
    EXPECT_GT((decoders[1] - decoders[0]).abs().max().item<double>(), 1e-4) << "bf16 trained exactly as fp32";
    RecordProperty("residual_energy_fp32", std::to_string(end[0]));
    RecordProperty("residual_energy_bf16", std::to_string(end[1]));
    std::printf("residual energy %.4f -> fp32 %.4f, bf16 %.4f\n", start, end[0], end[1]);
    EXPECT_LT(end[1], 0.5 * start);
    EXPECT_LT(end[1], 1.1 * end[0]) << "bf16 " << end[1] << " against fp32 " << end[0];
  }
}

// The second layer trained greedily (second_layer_after), with slowness at its own β
// (second_layer_beta_scale: its standardized input makes its other terms far larger than the
// first layer's), against the same two-layer model at β 0: its pooled codes' TCR on each held-out
// clip. 16 + 16 filters, 300 steps of the first layer, then 300 of the second, on cup.mp4.
// Measured here, seeds 1 and 2, the configs' setting against β 0: at scale 16, 30–54 % lower on
// every clip, asserted 20 %; at scale 1 (the first layer's β) 19–44 % lower, and scale 16 is
// below scale 1 on every clip and seed by 9–24 %, asserted 5 %.
TEST(SlowSparseLearning, AGreedySecondLayerAtItsOwnBetaIsSlowerThanItsSparseOnly) {
  const auto train_clip = frames_of("cup.mp4", 217);
  if (!train_clip.defined()) GTEST_SKIP() << "cup.mp4 (opencv-doc) or ffmpeg not installed";
  const auto held_out = held_out_set();
  if (!held_out.frames.defined()) GTEST_SKIP() << held_out.missing << " (opencv-doc) or ffmpeg not installed";
  for (const auto& device : test::test_devices()) {
    for (const int seed : {1, 2}) {
      SCOPED_TRACE(device.str() + " seed " + std::to_string(seed));
      const auto tcr_of = [&](const SlownessSetting& setting, double scale) {
        auto learner = trained_on_cup(
            small_model(setting).second_layer_filters(16).second_layer_kernel(5).second_layer_after(300).second_layer_beta_scale(scale), seed,
            device, train_clip);
        torch::NoGradGuard no_grad;
        auto& model = learner.model();
        const auto features = model->top_features(model->pool(model->encode(held_out.frames.to(device)))).flatten(1).cpu();
        std::vector<double> tcr;
        for (int c = 0; c < 3; ++c) tcr.push_back(temporal_coherence_ratio(features, held_out.timing, {.clip = c}));
        return tcr;
      };
      const auto base = tcr_of(kSparseOnly, 1.0), own = tcr_of(kConfigsSetting, 16.0), first = tcr_of(kConfigsSetting, 1.0);
      for (int c = 0; c < 3; ++c) {
        const auto& name = held_out.names[static_cast<std::size_t>(c)];
        std::printf("seed %d %s: second layer TCR beta 0 %.4f, configs' setting %.4f (%.1f %% lower), at scale 16 %.4f (%.1f %% lower)\n", seed,
                    name.c_str(), base[c], first[c], 100 * (1 - first[c] / base[c]), own[c], 100 * (1 - own[c] / base[c]));
        RecordProperty("second_layer_tcr_scale16_" + name + "_seed" + std::to_string(seed), std::to_string(own[c]));
        EXPECT_LE(own[c], 0.8 * base[c]) << name << ": at scale 16 " << own[c] << ", beta 0 " << base[c];
        EXPECT_LE(own[c], 0.95 * first[c]) << name << ": at scale 16 " << own[c] << ", at the first layer's beta " << first[c];
      }
    }
  }
}

}  // namespace
}  // namespace vidssl
