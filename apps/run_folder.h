#pragma once

#include <string>
#include <vector>

namespace vidssl {

// The folder a run writes to: `out` when given, else runs/<config name>-<YYYYmmdd-HHMMSS>. With
// resume and no `out`, the newest runs/<config name>-* folder that holds a checkpoint.
// Throws std::runtime_error when resuming finds nothing to resume.
//
// A run folder holds config.yaml, metrics.jsonl and one folder per learner, named after it:
//   <run>/slow/checkpoints/step-0000000500/    <run>/neartofar/predictions.jsonl, overlay.avi
std::string choose_run_folder(const std::string& config_path, const std::string& out, bool resume);

// The learners of a run folder that hold checkpoints, by name.
std::vector<std::string> learners_with_checkpoints(const std::string& run_dir);

// The checkpoint folder `path` names: a checkpoint folder itself; a learner's folder (its newest
// checkpoint); or a run folder, with `learner` naming one of its learners (its newest checkpoint),
// or empty when the run has one. Throws std::runtime_error naming the path and what it holds.
std::string resolve_checkpoint(const std::string& path, const std::string& learner);

}  // namespace vidssl
