#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

#include "models/training/checkpoint.h"
#include "stages/run_config.h"

namespace vidssl {

// Model B on held-out video: every triplet of consecutive frames (never across a clip, a dropped
// frame or a scene cut) is predicted and interpolated, and compared with its baselines.
struct LinearizeEvaluationOptions {
  std::string source;
  std::int64_t max_frames = -1;
  std::string strips_dir;      // when set: one PNG strip per `strip_every`-th triplet
  std::int64_t strip_every = 10;
};

// Returns one JSON object: psnr_feature, psnr_crossfade (interpolating x^t from x^{t−1} and
// x^{t+1}), psnr_predict (δ = 0), psnr_copy_last (predicting x^{t+1}), curvature (mean 1 − cos of
// the phase trajectories), psnr_autoencode (x^t through pooling and unpooling: what the
// representation keeps at all, the ceiling of the other two), n_triplets, and, where strips were written, strips and the folder.
std::string evaluate_linearize(const LinearizeEvaluationOptions& options, const std::string& checkpoint_folder,
                               const CheckpointData& data, RunConfig& config, torch::Device device);

}  // namespace vidssl
