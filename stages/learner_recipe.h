#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <torch/types.h>

#include "models/neartofar/stereo_camera.h"
#include "models/torch_runtime.h"
#include "models/training/checkpoint.h"
#include "models/training/learner.h"
#include "models/training/optimizer_options.h"
#include "stages/frame_source.h"
#include "stages/preprocess_stage.h"

namespace vidssl {

class ConfigReader;

// The source as a learner is built for it.
struct LearnerSource {
  int channels = 1;                     // channels of the frames the learner receives
  std::optional<StereoCamera> camera;   // a stereo source's calibration
};

// `vidssl eval` and `vidssl interpolate` on one learner's checkpoint: the held-out input and what
// the run it came from did (its source settings, its preprocessing, its seed).
struct EvaluationRequest {
  std::string checkpoint_folder;
  CheckpointData checkpoint;
  std::string source;                  // held-out video, folder or Y4M (a stereo folder for Model C)
  std::int64_t max_frames = -1;
  double scene_seconds = 2.0;          // Model A: temporal AUC scenes
  double scene_gap_seconds = 0;        // Model A: temporal AUC, frames left out after each scene
  double min_gap_seconds = 2.0;        // Model A: TCR's far frames
  std::int64_t gap = 1;                // Models A and B: frames apart (TCR's near pairs; B's triplets x^{t−g}, x^t, x^{t+g})
  bool inferred_codes = false;         // Model A: score FISTA's codes of each frame (SlowSparseImpl::infer), not the encoder's
  bool centered = false;               // Model A: the temporal AUC ranks by cosine similarity of center_features(features)
  double near_distance = 15.0;         // Model C: D_near
  std::string strips_dir;              // Model B: interpolation strips go here (interpolate)
  std::int64_t strip_every = 10;
  SourceOptions source_options;        // the run's source settings
  int decoder_threads = 0;             // 0: chosen per clip (stages/decoder_threads.h)
  PreprocessOptions preprocess;        // the learner's preprocessing in the run
  std::uint64_t seed = 1;
  torch::Device device = torch::kCPU;
};

// One model of a run, its keys read and checked: it builds the learner, says in one line what it
// built, and evaluates a checkpoint of it. A model kind implements it once (apps/kinds/).
class LearnerRecipe {
 public:
  virtual ~LearnerRecipe() = default;
  virtual std::unique_ptr<Learner> make(const LearnerSource& source, torch::Device device) const = 0;
  virtual std::string describe() const = 0;
  // One JSON object (`vidssl eval`).
  virtual std::string evaluate(const EvaluationRequest& request) const = 0;
  // Model B's interpolation strips and their JSON object (`vidssl interpolate`); others refuse.
  virtual std::string interpolate(const EvaluationRequest& request) const {
    throw std::runtime_error(request.checkpoint_folder + ": interpolate needs a Model B checkpoint (kind linearize), this one is of kind " +
                             request.checkpoint.model);
  }
};

// What a kind's keys are read with: the channels its frames will have and what the run's
// generic keys gave.
struct LearnerContext {
  int channels = 1;
  std::uint64_t seed = 1;
  Precision precision = Precision::fp32;  // run.precision
  OptimizerOptions optimizer;   // models.<name>.train.{optimizer, lr, momentum, weight_decay}
};

// A model vidssl can train: the name it is known by under `models:` (the entry's name, or its
// `kind:`) and in checkpoints, and how its keys are read. Every kind is one line of
// apps/learner_kinds.cpp.
struct LearnerKind {
  const char* name;
  const char* title;   // for people: "Model A, slow & sparse features"
  // Reads the entry's model keys (prefix "models.<name>.") and its kind's train keys, checks them
  // (ConfigError naming the key) and returns the recipe.
  std::unique_ptr<LearnerRecipe> (*read)(ConfigReader& reader, const std::string& prefix, const LearnerContext& context);
};

}  // namespace vidssl
