#include "apps/kinds/linearize_kind.h"

#include <spdlog/fmt/fmt.h>

#include "apps/kinds/clip_learner_keys.h"
#include "apps/linearize_evaluation.h"
#include "models/linearize/linearize_learner.h"
#include "stages/config_reader.h"

namespace vidssl {
namespace {

class LinearizeRecipe final : public LearnerRecipe {
 public:
  LinearizeOptions model;
  OptimizerOptions optimizer;
  ClipLearnerOptions clips;

  std::unique_ptr<Learner> make(const LearnerSource& source, torch::Device device) const override {
    LinearizeOptions m = model;
    m.channels(source.channels);
    return std::make_unique<LinearizeLearner>(m, optimizer, clips, device);
  }
  std::string describe() const override {
    const auto coarse = model.coarse_filters() > 0 ? fmt::format(", and {} filters pooled over {}x{}", model.coarse_filters(),
                                                                 model.coarse_space(), model.coarse_space())
                                                   : std::string();
    return fmt::format("Model B (linearize): {} filters {}x{}, phase pooling {} features x {}x{} (every {}){}, beta {}, lambda {}, "
                       "{} delta steps",
                       model.filters(), model.kernel(), model.kernel(), model.block().features(), model.block().space(),
                       model.block().space(), model.block().feature_stride(), coarse, model.pool_beta(), model.curvature(),
                       model.delta_steps());
  }
  std::string evaluate(const EvaluationRequest& request) const override {
    EvaluationRequest without_strips = request;
    without_strips.strips_dir.clear();
    return evaluate_linearize(model, clips.scene_cut, without_strips);
  }
  std::string interpolate(const EvaluationRequest& request) const override { return evaluate_linearize(model, clips.scene_cut, request); }
};

std::unique_ptr<LearnerRecipe> read_linearize(ConfigReader& r, const std::string& prefix, const LearnerContext& context) {
  auto recipe = std::make_unique<LinearizeRecipe>();
  LinearizeOptions& m = recipe->model;
  m.channels(context.channels);
  r.read(prefix + "filters", m.filters());
  r.read(prefix + "kernel", m.kernel());
  r.read(prefix + "pool_features", m.block().features());
  r.read(prefix + "pool_space", m.block().space());
  m.block().feature_stride(m.block().features());
  r.read(prefix + "pool_feature_stride", m.block().feature_stride());
  r.read(prefix + "pool_beta", m.pool_beta());
  r.read(prefix + "coarse_filters", m.coarse_filters());
  r.read(prefix + "coarse_space", m.coarse_space());
  r.read(prefix + "curvature", m.curvature());
  r.read(prefix + "delta_dims", m.delta_dims());
  r.read(prefix + "delta_steps", m.delta_steps());
  r.read(prefix + "delta_lr", m.delta_lr());
  check_under(prefix, [&] { check_options(m); });
  recipe->optimizer = context.optimizer;
  recipe->clips = read_clip_learner_options(r, prefix, context);
  return recipe;
}

}  // namespace

const LearnerKind& linearize_kind() {
  static const LearnerKind kind{"linearize", "Model B, prediction and linearization", &read_linearize};
  return kind;
}

}  // namespace vidssl
