#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace vidssl {

// Where each frame of an evaluation sequence comes from.
struct FrameTiming {
  std::int32_t clip_id = 0;
  std::int64_t timestamp_us = 0;
};

// Temporal coherence ratio (lower is slower):
//   TCR = E‖f_t − f_{t+1}‖₁ / E‖f_s − f_t‖₁
// over consecutive frames t, t+1 of one clip, and for each t one frame s drawn (seeded) from
// another clip or at least `min_gap_s` away in the same clip. features: T×D, one row per frame.
double temporal_coherence_ratio(const torch::Tensor& features, const std::vector<FrameTiming>& timing,
                                double min_gap_s = 2.0, std::uint64_t seed = 1);

// The temporal AUC of Goroshin et al.: each scene's middle frame queries all other frames by
// cosine similarity; "relevant" means the same scene. Returns the area under the
// precision–recall curve (average precision), averaged over the queries. scene: T labels.
double temporal_auc(const torch::Tensor& features, const std::vector<std::int64_t>& scene);

// Scenes by cutting every clip into consecutive segments of `scene_s` seconds.
std::vector<std::int64_t> fixed_length_scenes(const std::vector<FrameTiming>& timing, double scene_s);

}  // namespace vidssl
