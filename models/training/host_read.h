#pragma once

#include <cstdint>

#include <torch/types.h>

namespace vidssl {

// Every value a training step brings back to the host goes through here. On a GPU such a read
// waits for every kernel queued before it, so a step that reads one stalls the device until the
// host has launched the next step's kernels: the learners read their figures once every
// `train.metrics_every` steps instead (models/training/pending_steps.h). Counting the reads is
// how the tests hold them to that.
//
//   const torch::Tensor figures = read_to_host(pending);   // one copy, counted
torch::Tensor read_to_host(const torch::Tensor& tensor);

// Reads made through read_to_host() by the calling thread (a learner reads on its own thread).
std::int64_t host_reads_on_this_thread();

}  // namespace vidssl
