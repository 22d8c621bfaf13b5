#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "models/training/checkpoint.h"

namespace vidssl {

class DataParallel;

// One picture for the display and a learner's videos. Signed data (codes, filters, normalized
// frames) is shown with 0 as mid-grey; unsigned data is stretched from its min to its max; a
// decoded picture keeps its 0..255 levels (RGB when it has three channels).
struct Panel {
  enum class Scale { min_max, symmetric, bytes };
  // Text drawn over the picture (a band's distance, a ring of a map), at a position in the
  // picture's own pixels: the bottom left of the text.
  struct Text {
    std::string text;
    float x = 0;
    float y = 0;
  };
  Panel() = default;
  Panel(std::string title, torch::Tensor image, Scale scale = Scale::min_max, std::vector<Text> texts = {})
      : title(std::move(title)), image(std::move(image)), scale(scale), texts(std::move(texts)) {}

  std::string title;
  torch::Tensor image;  // H×W or 3×H×W, float, CPU
  Scale scale = Scale::min_max;
  std::vector<Text> texts;
};

// How a learner's panels sit in the window: `count` panels in rows of `columns`, each cell
// `aspect` (height / width) of its width; 0: the source's frames' (most panels are frames). Fixed
// for a run: a video of the window is one size.
struct PanelLayout {
  int count = 0;
  int columns = 3;
  double aspect = 0;
};

// A video a learner writes into its folder, one frame per consumed frame: some of its panels
// stacked top to bottom (Model C: overlay.avi is the predictions above the stereo labels).
struct LearnerVideo {
  std::string name;           // file stem: <learner folder>/<name>.avi
  std::vector<int> panels;    // indices into panels(), top first; the panels share one width
};

// What a learner asks of the stream; the run wires its input from it.
struct LearnerNeeds {
  bool stereo = false;               // the right picture of a stereo pair too (Model C)
  bool preprocessed = true;          // contrast-normalized float frames on device(); false: the decoded uint8 pictures
  std::int64_t size_multiple = 1;    // frame sides must divide by this (pooling blocks): preprocessing crops, centred, to it
};

// One frame as a learner receives it.
struct LearnerFrame {
  std::int64_t index = -1;           // the source's frame index: a gap means frames were dropped on the way
  std::int64_t timestamp_us = 0;     // on the source's clock
  std::int32_t clip_id = 0;          // changes at every clip boundary
  torch::Tensor image;               // C×H×W: preprocessed float (needs().preprocessed), else the decoded uint8 picture
  torch::Tensor decoded;             // the decoded uint8 picture `image` came from (scene cuts, the display)
  torch::Tensor right;               // stereo learners: the decoded right picture
};

// The figures of one training step, for metrics.jsonl and the display.
struct LearnerStep {
  std::int64_t step = 0;       // updates done so far, this one included
  bool skipped = false;        // the loss was not finite: no update was made
  std::vector<std::pair<std::string, double>> values;  // loss terms and metrics, in a fixed order
};

// What one frame gave a learner.
struct LearnerUpdate {
  std::vector<LearnerStep> steps;                         // the updates this frame made, in order (possibly none)
  std::vector<std::pair<std::string, double>> values;     // figures of the frame itself (Model C: ms per stage, windows)
  std::vector<std::pair<std::string, double>> events;     // things worth a metrics line of their own: {"scene_cut", difference}
  std::string skipped;                                    // why the frame trained nothing, when a learner can say (Model C)
  std::string record;                                     // one JSON object for <learner folder>/predictions.jsonl, or empty
};

// The one interface every model vidssl trains implements (DESIGN §3): it consumes the stream a
// frame at a time, takes its own training steps, reports their figures, draws what it is doing
// and saves and loads its whole state. The run neither knows nor cares which model it is: it
// wires each learner's input from needs(), runs it on its own thread (stages/learner_stage.h),
// logs its updates and checkpoints it.
//
//   std::unique_ptr<Learner> learner = recipe.make(source, torch::kCPU);   // stages/learner_recipe.h
//   LearnerUpdate u = learner->consume(frame);      // u.steps: this frame's updates
//   learner->save(data);                            // weights, optimizer, buffers, counters
class Learner {
 public:
  virtual ~Learner() = default;

  // The model kind ("slow"): written into checkpoints, which only a learner of the same kind loads.
  virtual const char* kind() const = 0;
  virtual LearnerNeeds needs() const = 0;
  virtual torch::Device device() const = 0;
  // Takes the next frame of the stream and whatever training steps it gives. A non-finite loss
  // makes no update and is returned as a skipped step.
  virtual LearnerUpdate consume(const LearnerFrame& frame) = 0;
  // Updates made so far. A learner that reports its steps late (read_steps()) counts the steps
  // not yet read as made: one found skipped when read is taken back then.
  virtual std::int64_t steps() const = 0;
  // The figures of steps made but not yet reported by consume(), read back now. A learner on a
  // GPU keeps its steps' figures on the device and reports them every few steps (one host read
  // for many steps, models/training/pending_steps.h); the run asks for the rest before it judges
  // a checkpoint and at the end. Learners that report every step at once return nothing.
  virtual std::vector<LearnerStep> read_steps() { return {}; }
  // Trains data-parallel with the other ranks of `group` from now on (models/distributed/
  // data_parallel.h): its weights become rank 0's, and every step goes through the group. Called
  // once, after a resumed state was loaded. A learner that cannot says so.
  virtual void join(std::shared_ptr<DataParallel> /*group*/) {
    throw std::runtime_error(std::string("a learner of kind '") + kind() + "' does not train data-parallel yet: run it as one process");
  }

  // Pictures of what the newest frame gave, panel_layout().count of them (built only when asked:
  // a run without a display or videos never calls it).
  virtual std::vector<Panel> panels() = 0;
  virtual PanelLayout panel_layout() const = 0;
  virtual std::vector<LearnerVideo> videos() const { return {}; }

  // Why the weights are not fit to checkpoint, or empty (module_state.h's weights_problem on the
  // trained module): the run checks it before every checkpoint and rolls back on it.
  virtual std::string weights_problem() const = 0;
  // The learning rate becomes `scale` × the configured one for every later step (a rollback
  // lowers it). Loading a checkpoint restores the rate it was saved with; the run sets the scale
  // again after a load.
  virtual void set_learning_rate_scale(double scale) = 0;

  // Everything needed to go on bit for bit on CPU: weights, optimizer, buffers and their
  // generators, counters. The run adds its own counters and the config.
  virtual void save(CheckpointData& data) = 0;
  virtual void load(const CheckpointData& data) = 0;
};

}  // namespace vidssl
