#pragma once

#include <string>

#include "stages/learner_recipe.h"
#include "stages/run_config.h"

namespace vidssl {

// What `vidssl eval` and `vidssl interpolate` start from: the checkpoint `path` names (a checkpoint
// folder, a learner's folder, or a run folder with `model` naming one of its learners, or empty
// when it has one), loaded, with the run's config it holds and the learner it belongs to. The
// request carries the run's source settings, the learner's preprocessing and the run's seed; the
// caller adds the held-out input.
struct CheckpointedLearner {
  RunConfig config;
  const LearnerConfig* learner = nullptr;
  EvaluationRequest request;
};
CheckpointedLearner load_checkpointed_learner(const std::string& path, const std::string& model, const std::string& device);

}  // namespace vidssl
