#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

#include "models/neartofar/near_to_far.h"
#include "stages/learner_recipe.h"

namespace vidssl {

// The near-to-far test of LAGR (DESIGN §8.8): with the run's config, two classifiers learn online
// over the stereo sequence from windows nearer than D_near only, one on distance-normalized bands,
// one on plain pyramid bands (model.normalize_bands: false; same network, same window); after each
// frame's updates, every labeled window between D_near and the stereo limit is scored against its
// stereo label, which neither ever trained on. Both start fresh (the run's own weights saw far labels);
// init_from is honoured. Returns one JSON object: far_accuracy, far_balanced_accuracy (mean
// recall per class), far_f1 (per class), majority_accuracy (the far windows' own most frequent
// label called everywhere: an oracle baseline), near_majority_accuracy (the most frequent near
// label, what a learner that saw only near labels would call), unnormalized_far_* (plain bands),
// the same for traversable vs not (ground, super_ground against the rest), and n_far_windows.
// request.source is a stereo folder (left/, right/, calib.txt); request.near_distance is D_near.
std::string evaluate_neartofar(const NearToFarOptions& options, const std::string& init_from, const EvaluationRequest& request);

}  // namespace vidssl
