#include "apps/kinds/slow_kind.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <vector>

#include "apps/held_out_source.h"
#include "apps/kinds/clip_learner_keys.h"
#include "models/slow/slow_metrics.h"
#include "models/slow/slow_sparse_learner.h"
#include "models/training/json_line.h"
#include "models/training/module_state.h"
#include "stages/config_reader.h"
#include "stages/preprocess_stage.h"
#include "stages/video_folder.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

// The mean of the scenes' figures (by scene) over the scenes of one clip; NaN (null) where it has none.
double clip_mean(const std::map<std::int64_t, double>& by_scene, const std::map<std::int64_t, std::int32_t>& clip_of_scene, std::int32_t clip) {
  double sum = 0;
  int scenes = 0;
  for (const auto& [scene, value] : by_scene) {
    if (clip_of_scene.at(scene) != clip) continue;
    sum += value;
    ++scenes;
  }
  return scenes ? sum / scenes : std::nan("");
}

// Each clip's TCR and temporal AUC within the whole held-out set, as a JSON array: its near pairs
// against far frames of every clip, its scenes' middle frames and every frame ranking every frame
// (`precision`, by scene), and its R-precision and the other clip that intrudes most among its
// frames' nearest (`clip_confusion`); the ranking compares `ranked`, the features or, with
// --center, the features less their mean. A folder's clips are named by their files (when none was
// skipped, else by number).
std::string per_clip_figures(const torch::Tensor& features, const torch::Tensor& ranked, const std::vector<FrameTiming>& timing,
                             const std::vector<std::int64_t>& scenes, const ScenePrecision& precision, const EvaluationRequest& request) {
  std::map<std::int32_t, std::int64_t> frames;
  std::map<std::int64_t, std::int32_t> clip_of_scene;
  for (std::size_t i = 0; i < timing.size(); ++i) {
    ++frames[timing[i].clip_id];
    clip_of_scene[scenes[i]] = timing[i].clip_id;
  }
  std::vector<std::string> names;
  if (fs::is_directory(request.source)) names = list_video_files(request.source);
  if (names.size() != frames.size()) names.clear();
  std::map<std::int32_t, std::string> name_of;
  std::size_t order = 0;  // clip numbers grow with each clip read; a folder reads its files in order
  for (const auto& [clip, count] : frames)
    name_of[clip] = names.empty() ? std::to_string(clip) : fs::path(names[order++]).filename().string();
  const auto confusion = clip_confusion(ranked, timing);
  std::string out = "[";
  for (const auto& [clip, count] : frames) {
    JsonLine line;
    line.add("clip", clip);
    if (!names.empty()) line.add("name", name_of[clip]);
    line.add("frames", count);
    try {
      line.add("tcr", temporal_coherence_ratio(features, timing, {.min_gap_s = request.min_gap_seconds, .near_gap = request.gap, .clip = clip}));
    } catch (const std::invalid_argument&) {
      line.add("tcr", std::nan(""));  // a clip too short for one near pair: null
    }
    line.add("temporal_auc", clip_mean(precision.middle, clip_of_scene, clip));
    line.add("temporal_auc_every", clip_mean(precision.every, clip_of_scene, clip));
    if (const auto found = confusion.find(clip); found != confusion.end()) {
      line.add("r_precision", found->second.r_precision);
      if (found->second.confused_with >= 0) {
        line.add("confused_with", name_of[found->second.confused_with]);
        line.add("confused_share", found->second.confused_share);
      }
    }
    out += (out.size() > 1 ? ", " : "") + line.str();
  }
  return out + "]";
}

// Model A on held-out frames: features are the pooled codes P(h) of each frame, h the encoder's
// codes or, with --codes inferred, FISTA's; with a second layer, its pooled codes of P(h) (the
// residual energy, active fraction and dark features stay the first layer's, the dark maps are
// the features').
std::string evaluate_slow(const SlowSparseOptions& model_options, const EvaluationRequest& request) {
  auto source = open_held_out_source(request);
  SlowSparse model(model_options);
  load_module_tensors(*model, request.checkpoint.weights);
  model->to(request.device);
  model->eval();
  PreprocessOptions preprocess_options = request.preprocess;
  preprocess_options.size_multiple = model->size_multiple();
  const PreprocessStage preprocess("eval", preprocess_options);

  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> features;
  std::vector<FrameTiming> timing;
  double residual = 0, energy = 0, active = 0, units = 0;
  torch::Tensor feature_activity, map_activity;  // Σ|h| per feature, ΣP per pooled map
  std::vector<torch::Tensor> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    const auto x = torch::stack(batch);
    const auto h = request.inferred_codes ? model->infer(x) : model->encode(x);
    residual += (x - model->decode(h)).pow(2).sum().item<double>();
    energy += x.pow(2).sum().item<double>();
    active += (h.abs() > 1e-3).sum().item<double>();
    units += static_cast<double>(h.numel());
    const auto pooled = model->pool(h);
    const auto feature_sum = h.abs().sum({0, 2, 3}).cpu();
    feature_activity = feature_activity.defined() ? feature_activity + feature_sum : feature_sum;
    const auto top = model->top_features(pooled);
    const auto map_sum = top.sum({0, 2, 3}).cpu();
    map_activity = map_activity.defined() ? map_activity + map_sum : map_sum;
    features.push_back(top.flatten(1).cpu());
    batch.clear();
  };
  Frame frame;
  while (source->read(frame)) {
    batch.push_back(preprocess.prepare(frame.image));
    timing.push_back({frame.clip_id, frame.timestamp_us});
    if (batch.size() == 16) flush();
    for (const auto& w : source->take_warnings()) spdlog::warn("{}", w);
  }
  for (const auto& w : source->take_warnings()) spdlog::warn("{}", w);
  flush();
  if (timing.size() < 3)
    throw std::runtime_error(request.source + ": only " + std::to_string(timing.size()) + " frames; eval needs at least 3");
  const auto all = torch::cat(features);
  const auto scenes = fixed_length_scenes(timing, request.scene_seconds, request.scene_gap_seconds);
  const auto ranked = request.centered ? center_features(all) : all;  // what the AUC's cosine similarity compares
  const auto precision = scene_average_precision(ranked, scenes);
  return JsonLine()
      .add("model", "slow")
      .add("checkpoint", request.checkpoint_folder)
      .add("step", request.checkpoint.step)
      .add("layers", static_cast<std::int64_t>(model_options.second_layer_filters() > 0 ? 2 : 1))
      .add("source", request.source)
      .add("frames", static_cast<std::int64_t>(timing.size()))
      .add("gap", request.gap)
      .add("codes", request.inferred_codes ? "inferred" : "encoder")
      .add("tcr", temporal_coherence_ratio(all, timing, {.min_gap_s = request.min_gap_seconds, .near_gap = request.gap}))
      .add("temporal_auc", mean_average_precision(precision.middle))
      .add("temporal_auc_every", mean_average_precision(precision.every))
      .add("residual_energy", residual / std::max(energy, 1e-12))
      .add("active_fraction", active / std::max(units, 1.0))
      .add("dark_features", dark_channels(feature_activity))
      .add("dark_maps", dark_channels(map_activity))
      .add("scene_seconds", request.scene_seconds)
      .add("scene_gap", request.scene_gap_seconds)
      .add("centered", request.centered)
      .add_raw("clips", per_clip_figures(all, ranked, timing, scenes, precision, request))
      .str();
}

class SlowRecipe final : public LearnerRecipe {
 public:
  SlowSparseOptions model;
  OptimizerOptions optimizer;
  ClipLearnerOptions clips;

  std::unique_ptr<Learner> make(const LearnerSource& source, torch::Device device) const override {
    SlowSparseOptions m = model;
    m.channels(source.channels);
    return std::make_unique<SlowSparseLearner>(m, optimizer, clips, device);
  }
  std::string describe() const override {
    return fmt::format("Model A (slow): {} encoder, {} filters {}x{}, alpha {}, beta {} ({} slowness), activity floor {} at {}, training {}{}{}{}",
                       to_string(model.encoder()), model.filters(), model.kernel(), model.kernel(), model.alpha(), model.beta(),
                       to_string(model.slowness()), model.activity_floor(), model.activity_floor_share(), to_string(model.training()),
                       model.psd_slowness() == PsdSlowness::inference ? " (slowness in the inference)" : "",
                       model.second_layer_filters() > 0 ? fmt::format(", second layer {} filters {}x{}, beta {}", model.second_layer_filters(),
                                                                      model.second_layer_kernel(), model.second_layer_kernel(),
                                                                      second_layer_options(model).beta())
                                                        : "",
                       model.second_layer_after() > 0 ? fmt::format(" (greedy: the first layer alone for {} steps, then the second)", model.second_layer_after())
                                                      : "");
  }
  std::string evaluate(const EvaluationRequest& request) const override { return evaluate_slow(model, request); }
};

std::unique_ptr<LearnerRecipe> read_slow(ConfigReader& r, const std::string& prefix, const LearnerContext& context) {
  auto recipe = std::make_unique<SlowRecipe>();
  SlowSparseOptions& m = recipe->model;
  m.channels(context.channels);
  SlowEncoder encoder = m.encoder();
  r.read_choice(prefix + "encoder", encoder, {{"relu", SlowEncoder::relu}, {"psd", SlowEncoder::psd}, {"lista", SlowEncoder::lista}});
  m.encoder(encoder);
  SlowTraining training = m.training();
  r.read_choice(prefix + "training", training, {{"direct", SlowTraining::direct}, {"psd", SlowTraining::psd}});
  m.training(training);
  r.read(prefix + "filters", m.filters());
  r.read(prefix + "kernel", m.kernel());
  r.read(prefix + "lista_steps", m.lista_steps());
  r.read_choice(prefix + "lista_lateral", m.lista_lateral(), {{"full", ListaLateral::full}, {"factored", ListaLateral::factored}});
  r.read(prefix + "alpha", m.alpha());
  r.read(prefix + "beta", m.beta());
  SlownessTerm slowness = m.slowness();
  r.read_choice(prefix + "slowness", slowness, {{"l1", SlownessTerm::l1}, {"normalized", SlownessTerm::normalized}});
  m.slowness(slowness);
  r.read(prefix + "activity_floor", m.activity_floor());
  r.read(prefix + "activity_floor_share", m.activity_floor_share());
  r.read(prefix + "pool_features", m.pool_features());
  r.read(prefix + "pool_space", m.pool_space());
  r.read(prefix + "fista_steps", m.fista_steps());
  r.read(prefix + "fista_lipschitz", m.fista_lipschitz());
  r.read(prefix + "fista_backtrack", m.fista_backtrack());
  r.read_choice(prefix + "psd_slowness", m.psd_slowness(), {{"encoder", PsdSlowness::encoder}, {"inference", PsdSlowness::inference}});
  r.read(prefix + "inference_smoothing", m.inference_smoothing());
  r.read(prefix + "second_layer_filters", m.second_layer_filters());
  r.read(prefix + "second_layer_kernel", m.second_layer_kernel());
  r.read(prefix + "second_layer_after", m.second_layer_after());
  r.read(prefix + "second_layer_beta_scale", m.second_layer_beta_scale());
  check_under(prefix, [&] { check_options(m); });
  recipe->optimizer = context.optimizer;
  recipe->clips = read_clip_learner_options(r, prefix, context);
  return recipe;
}

}  // namespace

const LearnerKind& slow_kind() {
  static const LearnerKind kind{"slow", "Model A, slow & sparse features", &read_slow};
  return kind;
}

}  // namespace vidssl
