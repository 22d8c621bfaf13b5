#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <torch/types.h>

namespace vidssl {

// Where each frame of an evaluation sequence comes from.
struct FrameTiming {
  std::int32_t clip_id = 0;
  std::int64_t timestamp_us = 0;
};

struct CoherenceOptions {
  double min_gap_s = 2.0;     // a far frame is from another clip or at least this far away in its own
  std::uint64_t seed = 1;     // draws the far frames
  std::int64_t near_gap = 1;  // near pairs are this many rows apart in one clip (1: consecutive frames)
  std::int32_t clip = -1;     // only the frames t of this clip (their far frames may be any); -1: all
};

// Temporal coherence ratio (lower is slower):
//   TCR = E‖f_t − f_{t+g}‖₁ / E‖f_s − f_t‖₁
// over frames t, t+g of one clip, and for each t one frame s drawn (seeded) from another clip or
// at least `min_gap_s` away in the same clip. features: T×D, one row per frame, in order.
// On one clip of a steady shot the far frames show the same scene as the near ones; where the
// features are evaluated on several clips at once, `clip` gives each clip's ratio against far
// frames of the whole set, as the paper draws its random pairs from the whole dataset.
double temporal_coherence_ratio(const torch::Tensor& features, const std::vector<FrameTiming>& timing,
                                const CoherenceOptions& options = {});

// Each scene's average precision, by scene label, with two choices of query. `middle` is the
// paper's: one query per scene, its middle frame. With one scene per clip that is one query per
// clip, and a clip whose shots look unlike each other then scores whatever that one frame reaches
// (cityCC0.mpg: 0.77 to 0.95 between seeds of one setting). `every` asks each frame of the scene
// in turn and averages their figures: the same precision over more queries, so that no one frame
// decides a scene's figure (docs/results.md, Model A, "Every frame querying").
struct ScenePrecision {
  std::map<std::int64_t, double> middle, every;
};

// The temporal AUC of Goroshin et al.: a scene's query frame ranks all other frames by cosine
// similarity; "relevant" means the same scene. The area under the precision–recall curve
// (average precision) of each query, per scene (scenes of one frame have none); temporal_auc is
// the mean of the middle frames'. scene: T labels; frames labelled −1 take no part. One T×T
// similarity serves both queries.
ScenePrecision scene_average_precision(const torch::Tensor& features, const std::vector<std::int64_t>& scene);
double mean_average_precision(const std::map<std::int64_t, double>& precision);  // throws when there is none
double temporal_auc(const torch::Tensor& features, const std::vector<std::int64_t>& scene);

// Scenes by cutting every clip into consecutive segments of `scene_s` seconds. With `gap_s` > 0 the
// frames of the first `gap_s` seconds after each scene belong to none (label −1): the scenes of one
// steady shot are then apart in time as the paper's scenes, distinct clips, are, and a query is not
// asked to tell its scene's last frame from the next scene's first.
std::vector<std::int64_t> fixed_length_scenes(const std::vector<FrameTiming>& timing, double scene_s, double gap_s = 0);

// How far a clip's frames find their own clip, and which other clip they find instead. Each frame
// of a clip of n frames ranks every other frame by cosine similarity; its R-precision is the share
// of its own clip among the first n − 1 (1: all its own frames first). The frames of other clips
// among those first n − 1 are intruders: `confused_with` is the clip that supplies most of them
// over the clip's frames, `confused_share` its share of them (−1 and 0 where none intrudes). Why:
// a clip's temporal AUC falls where other clips' frames rank above its own, and this names which
// clip, so that a drop can be read as invariance (two clips of one scene) or as confusion. The
// nearest neighbour alone does not: one clip with many shots is every clip's nearest (measured on
// 18 held-out videos, Megamind.avi for 17) without ranking above their own frames. features: T×D,
// one row per frame; timing: T entries; a clip of one frame has no entry.
struct ClipConfusion {
  double r_precision = 1;
  std::int32_t confused_with = -1;
  double confused_share = 0;
};
std::map<std::int32_t, ClipConfusion> clip_confusion(const torch::Tensor& features, const std::vector<FrameTiming>& timing);

// Features less their mean over the rows (T×D -> T×D). Why: the pooled maps are non-negative, so
// every frame's feature vector shares the direction of their mean, and cosine similarity then
// favours frames near that direction, hubs that rank high for every query (one clip among 18
// held-out videos supplies most intruders of most of the hard ones: docs/results.md, Model A).
// Centering before the cosine is the standard remedy for hubs (Suzuki et al., EMNLP
// 2013). A departure from the paper's temporal AUC, which `vidssl eval --center` asks for.
torch::Tensor center_features(const torch::Tensor& features);

// How many channels are dark: their activity (one non-negative figure per channel, e.g. the mean
// |h| of each feature or the mean of each pooled map over held-out frames) below `share` of the
// most active channel's. A slowness term strong enough to switch moving features off shows here
// before it shows in the residual energy.
std::int64_t dark_channels(const torch::Tensor& activity, double share = 0.05);

}  // namespace vidssl
