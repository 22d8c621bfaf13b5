#include "apps/kinds/neartofar_kind.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "apps/neartofar_evaluation.h"
#include "apps/run_folder.h"
#include "models/neartofar/near_to_far_learner.h"
#include "stages/config_reader.h"

namespace vidssl {
namespace {

class NearToFarRecipe final : public LearnerRecipe {
 public:
  NearToFarOptions model;
  std::string init_from;

  std::unique_ptr<Learner> make(const LearnerSource& source, torch::Device device) const override {
    NearToFarOptions m = model;
    m.net.in_channels(source.channels);
    // Without a stereo source there is no camera: the run refuses the learner (its needs() say stereo).
    // With one whose calibration gives no depth, every frame would go untrained: refuse it now.
    if (source.camera && !(source.camera->baseline > 0))
      throw std::invalid_argument("the stereo calibration gives a baseline of " + fmt::format("{:g}", source.camera->baseline + 0.0) +
                                  " m (B = -P1[3]/P1[0] in the source's calib.txt): near-to-far needs a positive baseline for depth");
    auto learner = std::make_unique<NearToFarLearner>(m, source.camera.value_or(StereoCamera{}), device);
    if (!init_from.empty()) init_from_model_a(learner->model(), init_from);
    return learner;
  }
  std::string describe() const override {
    return fmt::format("Model C (neartofar): stereo level {} ({} disparities), {} bands {:.0f}-{:.0f} m{}, classifier {}-{} features",
                       model.stereo_level, model.stereo.max_disparity, model.bands.bands, model.bands.near_distance,
                       model.bands.far_distance, model.bands.normalize ? "" : " (plain, not distance-normalized)", model.net.features(),
                       model.net.window_features());
  }
  std::string evaluate(const EvaluationRequest& request) const override { return evaluate_neartofar(model, init_from, request); }
};

std::unique_ptr<LearnerRecipe> read_neartofar(ConfigReader& r, const std::string& prefix, const LearnerContext& context) {
  auto recipe = std::make_unique<NearToFarRecipe>();
  NearToFarOptions& m = recipe->model;
  m.net.in_channels(context.channels);
  r.read(prefix + "stereo_level", m.stereo_level);
  r.read(prefix + "max_disparity", m.stereo.max_disparity);
  r.read_choice(prefix + "stereo_cost", m.stereo.cost, {{"census", StereoCost::census}, {"sad", StereoCost::sad}});
  r.read(prefix + "cost_window", m.stereo.cost_window);
  r.read(prefix + "aggregation_window", m.stereo.aggregation_window);
  r.read(prefix + "uniqueness", m.stereo.uniqueness);
  r.read(prefix + "stereo_max_distance", m.stereo_max_distance);
  r.read(prefix + "camera_height", m.ground.camera_height);
  r.read(prefix + "pitch", m.ground.pitch);
  r.read(prefix + "roll", m.ground.roll);
  r.read(prefix + "ground_max_distance", m.ground_max_distance);
  r.read(prefix + "plane_iterations", m.ground.iterations);
  r.read(prefix + "inlier_distance", m.ground.inlier_distance);
  r.read(prefix + "min_inliers", m.ground.min_inliers);
  r.read(prefix + "obstacle_height", m.labels.obstacle_height);
  r.read(prefix + "ground_tolerance", m.labels.ground_tolerance);
  r.read(prefix + "disparity_sigma", m.labels.disparity_sigma);
  r.read(prefix + "min_points", m.labels.min_points);
  r.read(prefix + "bands", m.bands.bands);
  r.read(prefix + "near_distance", m.bands.near_distance);
  r.read(prefix + "far_distance", m.bands.far_distance);
  r.read(prefix + "band_height", m.bands.band_height);
  r.read(prefix + "normalize_bands", m.bands.normalize);
  r.read(prefix + "plain_scale_distance", m.bands.plain_scale_distance);
  r.read(prefix + "features", m.net.features());
  r.read(prefix + "window_features", m.net.window_features());
  r.read(prefix + "buffer_capacity", m.buffer.capacity);
  r.read(prefix + "train_all_layers", m.train_all_layers);
  r.read(prefix + "train_max_distance", m.train_max_distance);
  r.read(prefix + "init_from", recipe->init_from);
  // Model C trains per frame from its own window buffer.
  r.read(prefix + "train.batch", m.batch);
  r.read(prefix + "train.steps_per_frame", m.steps_per_frame);
  m.optimizer = context.optimizer;
  m.seed = context.seed;
  m.precision = context.precision;
  m.buffer.seed = context.seed;
  m.ground.seed = context.seed;
  check_under(prefix, [&] { m.check(); });
  return recipe;
}

}  // namespace

const LearnerKind& neartofar_kind() {
  static const LearnerKind kind{"neartofar", "Model C, near-to-far traversability from stereo", &read_neartofar};
  return kind;
}

void init_from_model_a(NearToFar& model, const std::string& init_from) {
  const std::string folder = resolve_checkpoint(init_from, "");
  const CheckpointData data = CheckpointStore::load(folder);
  for (const char* key : {"encoder.weight", "lista.filter.weight"}) {
    const auto it = data.weights.find(key);
    if (it == data.weights.end()) continue;
    const std::int64_t n = model.net()->init_from_encoder(it->second);
    spdlog::info("classifier: first {} features start from {} of {}", n, key, folder);
    return;
  }
  throw std::runtime_error(folder + ": init_from wants a Model A (slow) checkpoint with an encoder, found model '" + data.model + "'");
}

}  // namespace vidssl
