#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "models/distributed/rendezvous.h"
#include "models/training/learner.h"
#include "pipeline/doorbell.h"
#include "pipeline/mailbox.h"
#include "pipeline/pipeline.h"
#include "stages/frame_source.h"
#include "stages/learner_stage.h"
#include "stages/metrics_log.h"
#include "stages/panel_video.h"
#include "stages/run_config.h"
#include "stages/source_stage.h"

namespace vidssl {

// How a run's graph is built beyond its config.
struct RunGraphOptions {
  std::string run_dir;
  // A data-parallel run (null: one process): every learner joins a group of its own, after resuming.
  Rendezvous* rendezvous = nullptr;
  // Where this rank's own files go (its learners' records, videos): run_dir for rank 0 and a single
  // process, <run_dir>/rank<r> for the others. Checkpoints are resumed from run_dir.
  std::string rank_dir;
  torch::Device device = torch::kCPU;
  bool resume = false;            // every learner goes on from its newest checkpoint in <run_dir>/<name>
  double panel_interval_s = 0.1;  // panels for the display at most this often; < 0: no display, no panels
  MetricsLog* metrics = nullptr;
};

// One learner of a built run: the learner, its stage, its display tap and its videos (or null).
struct RunLearner {
  const LearnerConfig* config = nullptr;
  std::unique_ptr<Learner> learner;
  LearnerStage* stage = nullptr;
  std::shared_ptr<Mailbox<LearnerReport>> latest;
  PanelVideo* video = nullptr;
  std::int64_t first_frame = 0;   // where a resumed learner goes on
};

// A run's pipeline, wired from its config (DESIGN §3): one source decodes every frame once; the
// learners that learn from preprocessed frames share one preprocessing stage per distinct
// (input.level, input.channels), which crops to what all of them need; a stereo learner takes
// the decoded pair straight from the source; each learner runs on its own thread behind its own
// edge (models.<name>.edge), and a learner with videos feeds a PanelVideo stage. Every learner's
// reports go to a mailbox that rings one doorbell, for the display.
//
//   auto graph = build_run_graph(config, kinds, {.run_dir = dir, .device = torch::kCPU, .metrics = &log});
//   graph->pipeline.start(); ... graph->pipeline.join();
struct RunGraph {
  Pipeline pipeline;
  SourceInfo source;
  SourceStage* source_stage = nullptr;
  std::vector<RunLearner> learners;
  std::shared_ptr<Doorbell> bell = std::make_shared<Doorbell>();
};

// Opens the source, builds every learner (each logs what it is), resumes them when asked, and wires
// the graph. Throws ConfigError naming the key when a learner cannot learn from this source (a
// stereo learner on a mono source, more channels than the source has), SourceError when the
// source cannot be opened, and std::runtime_error when resuming finds a checkpoint of another kind.
std::unique_ptr<RunGraph> build_run_graph(const RunConfig& config, const LearnerKinds& kinds, const RunGraphOptions& options);

}  // namespace vidssl
