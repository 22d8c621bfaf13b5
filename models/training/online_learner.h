#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "models/training/checkpoint.h"

namespace vidssl {

// The figures of one training step, for metrics.jsonl and the display.
struct LearnerStep {
  std::int64_t step = 0;       // updates done so far, this one included
  bool skipped = false;        // the loss was not finite: no update was made
  std::vector<std::pair<std::string, double>> values;  // loss terms and metrics, in a fixed order
};

// One picture for the display. Signed data (codes, filters, normalized frames) is shown with
// 0 as mid-grey; unsigned data is stretched from its min to its max; a decoded picture keeps its
// 0..255 levels.
struct Panel {
  enum class Scale { min_max, symmetric, bytes };
  std::string title;
  torch::Tensor image;  // H×W or 3×H×W, float, CPU
  Scale scale = Scale::min_max;
};

// What the train stage needs of a model trained online: one update on a batch of clips, the
// pictures of what it just did, and its state for checkpoints. A model family implements it
// once (SlowSparseLearner, ...); the runtime never sees the model's type.
class OnlineLearner {
 public:
  virtual ~OnlineLearner() = default;
  virtual std::string model_name() const = 0;
  // Frames per training clip (2: a pair for Model A, 3: a triplet for Model B).
  virtual std::int64_t clip_length() const = 0;
  virtual torch::Device device() const = 0;
  // One update on clips B×K×C×H×W (on device()). A non-finite loss makes no update and returns
  // skipped = true.
  virtual LearnerStep train(const torch::Tensor& clips) = 0;
  // Pictures of the last step's newest clip (input, reconstruction, features, filters).
  virtual std::vector<Panel> panels() = 0;
  // Weights and optimizer state into/from a checkpoint (the train stage adds its own state).
  virtual void save(CheckpointData& data) = 0;
  virtual void load(const CheckpointData& data) = 0;
};

}  // namespace vidssl
