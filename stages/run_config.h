#pragma once

#include <string>
#include <vector>

#include "models/linearize/linearize_model.h"
#include "models/neartofar/near_to_far.h"
#include "models/slow/slow_sparse.h"
#include "models/training/optimizer_options.h"
#include "pipeline/edge_options.h"
#include "stages/frame_source.h"
#include "stages/preprocess_stage.h"
#include "stages/train_stage.h"

namespace vidssl {

// Everything a `vidssl run` needs, read from one YAML file plus --set overrides. Every key is
// documented in configs/README.md; the resolved config (every key, defaults included) is written
// to <run>/config.yaml and into every checkpoint.
struct RunConfig {
  SourceOptions source;
  // One decoder thread: at training sizes decoding is a small share of a frame's time, and
  // FFmpeg's extra threads compete with training for the cores (measured: 29 -> 40 steps/s).
  int decoder_threads = 1;
  EdgeOptions source_edge{8, EdgePolicy::block};      // source -> preprocess
  EdgeOptions preprocess_edge{8, EdgePolicy::block};  // preprocess -> train
  PreprocessOptions preprocess;
  std::string model = "slow";  // model.kind: slow (Model A), linearize (Model B) or neartofar (Model C)
  SlowSparseOptions slow;       // the model.* keys when model.kind is slow
  LinearizeOptions linearize;   // the model.* keys when model.kind is linearize
  NearToFarOptions neartofar;   // the model.* keys (and train.*) when model.kind is neartofar
  std::string init_from;        // model.init_from (neartofar): a Model A checkpoint to start the classifier's first layer from
  OptimizerOptions optimizer;
  TrainStageOptions train;
  std::uint64_t seed = 1;
  std::string device = "auto";
  std::string display = "window";
  std::string out;          // run folder; empty: runs/<config name>-<date>-<time>
  int threads = 0;          // LibTorch intra-op threads; 0: all cores
  double report_every_s = 2.0;
  std::string yaml;         // the resolved config
};

// Reads a config file with overrides ("key=value", applied in order). Throws ConfigError naming
// the file or key and what was expected.
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Reads a resolved config (the config.yaml of a run or a checkpoint).
RunConfig parse_run_config(const std::string& yaml_text, const std::string& origin);

}  // namespace vidssl
