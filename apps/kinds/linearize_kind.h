#pragma once

#include "stages/learner_recipe.h"

namespace vidssl {

// Model B, prediction and linearization (models/linearize, DESIGN §7): its keys under
// models.<name>, its learner, its evaluation (prediction and interpolation PSNRs against their
// baselines) and its interpolation strips.
const LearnerKind& linearize_kind();

}  // namespace vidssl
