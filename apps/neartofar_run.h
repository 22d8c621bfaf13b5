#pragma once

#include <string>

#include <torch/types.h>

#include "apps/run_command.h"
#include "models/neartofar/near_to_far.h"
#include "stages/metrics_log.h"
#include "stages/run_config.h"

namespace vidssl {

// `vidssl run` for model.kind: neartofar (Model C): stereo source → near-to-far stage →
// {predictions.jsonl, overlay.avi + topdown.avi, display}. Returns the exit status.
int run_neartofar(const RunArgs& args, RunConfig& config, torch::Device device, const std::string& run_dir,
                  MetricsLog& metrics);

// Starts the classifier's first layer from the Model A checkpoint `path` (a checkpoint or run
// folder) when set; throws std::runtime_error naming the folder when it holds no Model A encoder.
void init_from_model_a(NearToFar& model, const std::string& path);

}  // namespace vidssl
