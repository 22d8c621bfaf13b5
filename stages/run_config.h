#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/distributed/data_parallel.h"
#include "models/distributed/rendezvous.h"
#include "models/torch_runtime.h"
#include "pipeline/edge_options.h"
#include "stages/frame_source.h"
#include "stages/learner_recipe.h"
#include "stages/learner_stage.h"
#include "stages/preprocess_stage.h"

namespace vidssl {

// One entry of `models:`: a learner of the run.
//
//   models:
//     slow:                                   # the learner's name; its kind unless `kind:` says otherwise
//       input: { level: 0, channels: 1 }     # what it learns from (preprocessed learners)
//       edge: { capacity: 8, policy: block } # its input edge
//       filters: 32                          # the kind's model keys
//       train: { lr: 0.002, batch: 4 }       # its training keys
struct LearnerConfig {
  std::string name;
  const LearnerKind* kind = nullptr;           // parsed once, from the entry's name or its `kind:`
  int channels = 0;                            // input.channels: the first C channels of the decoded frame; 0: all
  int level = 0;                               // input.level: Gaussian pyramid steps down before preprocessing
  EdgeOptions edge{8, EdgePolicy::block};
  LearnerStageOptions stage;                   // the run-side train keys (checkpoints, step budget, rollback)
  std::shared_ptr<const LearnerRecipe> recipe; // the kind's keys, checked
};

// Everything a `vidssl run` needs, read from one YAML file plus --set overrides. Every key is
// documented in configs/README.md; the resolved config (every key, defaults included) is written
// to <run>/config.yaml and into every checkpoint.
struct RunConfig {
  SourceOptions source;
  // 0: chosen per clip from its native size and the cores training leaves (stages/decoder_threads.h).
  int decoder_threads = 0;
  EdgeOptions source_edge{8, EdgePolicy::block};  // source -> each preprocessing (and stereo learners)
  // A source inside one read this long has stalled (a FIFO whose writer stopped, a frozen camera):
  // the run ends as an error after the learners' final checkpoints. Long enough for a camera's
  // first frame and a paced file's gap between frames, short enough that an operator notices.
  double stall_timeout_s = 5.0;
  PreprocessOptions preprocess;                   // contrast settings, shared by every learner
  std::vector<LearnerConfig> learners;            // in the order of the file
  std::uint64_t seed = 1;
  std::string device = "auto";  // auto, cpu, cuda or cuda:N
  CudaSettings cuda;            // run.cudnn_benchmark, run.tf32
  Precision precision = Precision::fp32;  // run.precision: every learner's forward pass
  // A run of several ranks (MASTER_ADDR, RANK, WORLD_SIZE in the environment; apps/launch_command.h):
  // run.dist_backend (auto: gloo on the CPU, nccl on a GPU), dist.sync_every, dist.bucket_mb and
  // dist.timeout (seconds a rank waits for the others, at the rendezvous and in every exchange).
  std::optional<DistBackend> dist_backend;  // auto
  DataParallelOptions dist;
  double dist_timeout_s = 60;
  std::string display = "window";
  std::string out;          // run folder; empty: runs/<config name>-<date>-<time>
  int threads = 0;          // LibTorch intra-op threads per learner; 0: all cores
  double report_every_s = 2.0;
  // After a stop (Ctrl-C, q), how long the stages get to finish the item in hand and write their
  // final checkpoints before the run ends without those still busy.
  double stop_timeout_s = 2.0;
  std::string yaml;         // the resolved config

  // The learner named `name`; with an empty name, the only one. Throws ConfigError naming the
  // learners there are.
  const LearnerConfig& learner(const std::string& name) const;
};

// The model kinds a config may name (apps/learner_kinds.cpp).
using LearnerKinds = std::vector<const LearnerKind*>;

// Reads a config file with overrides ("key=value", applied in order). Throws ConfigError naming
// the file or key and what was expected.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides, const LearnerKinds& kinds);
// Reads a resolved config (the config.yaml of a run or a checkpoint).
RunConfig parse_run_config(const std::string& yaml_text, const std::string& origin, const LearnerKinds& kinds);
// The kind called `name` (a checkpoint's model), or ConfigError naming the known ones.
const LearnerKind& find_learner_kind(const LearnerKinds& kinds, const std::string& name, const std::string& key);

}  // namespace vidssl
