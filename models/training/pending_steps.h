#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "models/training/learner.h"

namespace vidssl {

// The figures of training steps, kept on the device until they are read: a step adds its figures
// as one small device vector (queued, nothing waits), and read() brings every pending step to the
// host in a single read_to_host() (models/training/host_read.h), as LearnerSteps.
//
//   PendingSteps pending({"loss", "reconstruction"});
//   pending.add(torch::stack({loss, reconstruction}), applied, {{"replay", 12}});
//   std::vector<LearnerStep> steps = pending.read(updates_before);   // one host read
class PendingSteps {
 public:
  // The names of the device figures, the loss first.
  explicit PendingSteps(std::vector<std::string> names);

  // figures: names.size() values on the device; applied: a 0-d bool on the device, whether the
  // step's update was made (a non-finite loss makes none); host: figures the host knows already,
  // reported after the device ones.
  void add(const torch::Tensor& figures, const torch::Tensor& applied, std::vector<std::pair<std::string, double>> host = {});
  std::size_t size() const { return rows_.size(); }

  // Every pending step, in order, and empties the list. Step numbers count on from
  // `updates_before`, the updates made before the first pending step; a step whose update was not
  // made is skipped, keeps the number of the update before it and reports its loss (and the host's
  // figures) alone.
  std::vector<LearnerStep> read(std::int64_t updates_before);
  // Forgets the pending steps (a rollback restores a state from before them).
  void clear();

 private:
  std::vector<std::string> names_;
  std::vector<torch::Tensor> rows_;  // figures then applied (1 or 0), float, on the device
  std::vector<std::vector<std::pair<std::string, double>>> host_;
};

}  // namespace vidssl
