#pragma once

#include <string>

#include "models/training/clip_learner.h"
#include "stages/config_reader.h"
#include "stages/learner_recipe.h"

namespace vidssl {

// The train keys of the learners that train on clips (Models A and B), under `prefix`
// ("models.slow."): train.batch, train.replay_capacity, train.steps_per_frame, train.scene_cut;
// the replay buffer is seeded from run.seed. Checked by the options' own rule.
ClipLearnerOptions read_clip_learner_options(ConfigReader& reader, const std::string& prefix, const LearnerContext& context);

}  // namespace vidssl
