#pragma once

#include <cstdint>
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

// Makes `run_dir` ready for the run and returns where an old run was moved, or empty. A fresh run
// (not `resume`) into a folder that already holds a run (metrics written, or a learner's checkpoints;
// a config.yaml alone is a start that failed) is refused with a ConfigError: its metrics and
// checkpoints would mix with the old run's. With `force` the old run is first moved aside to <run_dir>.replaced-<time>, never deleted.
std::string prepare_run_folder(const std::string& run_dir, bool resume, bool force);

// Writes `text` to `path` (config.yaml of a run) and checks that it all reached the disk; throws
// std::runtime_error naming the file.
void write_run_file(const std::string& path, const std::string& text);

// Before a run trains: writes and removes a file of `bytes` in `run_dir` (the size of the
// learners' first checkpoints, measured), so that a read-only folder or a disk without room for a
// checkpoint is one line at start instead of an error after the first minutes of training.
// Throws std::runtime_error naming the folder, the size and why.
void check_room_for_checkpoints(const std::string& run_dir, std::uint64_t bytes);

// The learners of a run folder that hold checkpoints, by name.
std::vector<std::string> learners_with_checkpoints(const std::string& run_dir);

// The checkpoint folder `path` names: a checkpoint folder itself; a learner's folder (its newest
// checkpoint); or a run folder, with `learner` naming one of its learners (its newest checkpoint),
// or empty when the run has one. Throws std::runtime_error naming the path and what it holds.
std::string resolve_checkpoint(const std::string& path, const std::string& learner);

}  // namespace vidssl
