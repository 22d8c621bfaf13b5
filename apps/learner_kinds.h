#pragma once

#include "stages/run_config.h"

namespace vidssl {

// Every model vidssl can train, one line each in learner_kinds.cpp. Adding a model: its folder
// under models/ (the model and its Learner), its kind under apps/kinds/ (its config keys, its
// recipe and evaluation), one line there, and its keys in configs/README.md.
const LearnerKinds& learner_kinds();

}  // namespace vidssl
