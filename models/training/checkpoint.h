#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace vidssl {

// What a checkpoint holds: enough to continue a run bit for bit on CPU.
struct CheckpointData {
  std::int64_t step = 0;
  std::string model;                              // the model kind: "slow", ...
  std::string learner;                            // the learner's name in its run (its entry under `models:`)
  std::map<std::string, torch::Tensor> weights;   // the model's parameters and buffers, by module path
  std::map<std::string, torch::Tensor> state;     // the rest: replay buffer, counters, generators
  std::string optimizer;                          // the optimizer's serialized state
  std::string config;                             // the resolved config, YAML
};

// Checkpoints of one learner, each a folder <run>/<learner>/checkpoints/step-00001234/ with
//   weights.pt    the model's tensors: in Python, torch.load(path) gives a dict name -> tensor
//   state.pt      the same format: replay buffer, counters, generator states
//   optimizer.pt  the optimizer's state (LibTorch archive)
//   config.yaml   the resolved config
//   meta.json     step, model kind and learner name, for people and scripts
//
// Why a folder written under a temporary name: every file is written and fsynced inside
// .tmp-step-…, then the folder is renamed into place and the parent fsynced, so a crash or a full
// disk mid-write leaves the previous checkpoint intact; older ones are removed only after the new
// one is in place, and only those of lower steps: a checkpoint of a higher step than the one just
// written belongs to another history and is never pruned by this one. Stale temporary folders from
// a killed run are removed when a store opens.
class CheckpointStore {
 public:
  explicit CheckpointStore(std::string run_dir, int keep_last = 3);

  // Writes the checkpoint and returns its folder; throws std::runtime_error naming the file on
  // failure (the earlier checkpoints are untouched).
  std::string save(const CheckpointData& data);
  // The newest complete checkpoint of this store, if any.
  std::optional<std::string> latest() const;

  const std::string& folder() const { return folder_; }

  // Reads a checkpoint folder; throws std::runtime_error naming the file and what was expected.
  static CheckpointData load(const std::string& checkpoint_folder);
  // The newest complete checkpoint in <dir>/checkpoints (a store's folder), if any.
  static std::optional<std::string> newest(const std::string& dir);
  // Every complete checkpoint in <dir>/checkpoints, oldest first.
  static std::vector<std::string> all(const std::string& dir);
  // Renames a checkpoint that does not load to damaged-step-… beside it, kept for inspection but no
  // longer a checkpoint (so a later save of its step is written anew); returns the new folder.
  static std::string set_aside(const std::string& checkpoint_folder);

 private:
  std::string folder_;
  int keep_last_;
};

}  // namespace vidssl
