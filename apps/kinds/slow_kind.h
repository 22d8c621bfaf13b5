#pragma once

#include "stages/learner_recipe.h"

namespace vidssl {

// Model A, slow & sparse features (models/slow, DESIGN §6): its keys under models.<name>, its
// learner, and its evaluation (TCR, temporal AUC, residual energy, active fraction).
const LearnerKind& slow_kind();

}  // namespace vidssl
