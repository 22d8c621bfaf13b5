#pragma once

#include <string>

#include "models/neartofar/near_to_far.h"
#include "stages/learner_recipe.h"

namespace vidssl {

// Model C, near-to-far traversability from stereo (models/neartofar, DESIGN §8): its keys under
// models.<name>, its learner (a stereo source is required) and the near-to-far evaluation.
const LearnerKind& neartofar_kind();

// Starts the classifier's first layer from a Model A checkpoint's encoder (`init_from`: a
// checkpoint, a learner's folder or a run folder with one learner). Throws std::runtime_error
// naming the checkpoint when it holds no Model A encoder.
void init_from_model_a(NearToFar& model, const std::string& init_from);

}  // namespace vidssl
