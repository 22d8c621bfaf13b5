#pragma once

#include <memory>

#include <torch/types.h>

#include "models/training/online_learner.h"
#include "stages/run_config.h"

namespace vidssl {

// The learner of the config's model.kind, on `device`, with the source's channel count. Logs one
// line describing it.
std::unique_ptr<OnlineLearner> make_learner(RunConfig& config, int channels, torch::Device device);

}  // namespace vidssl
