#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

#include "models/linearize/linearize_model.h"
#include "stages/learner_recipe.h"

namespace vidssl {

// Model B on held-out video (`vidssl eval`, `vidssl interpolate`): every triplet x^{t−g}, x^t,
// x^{t+g} of g = request.gap (never across a clip, a dropped frame or a scene cut, as in training) is predicted and
// interpolated, and compared with its baselines. Returns one JSON object: psnr_feature,
// psnr_crossfade (interpolating x^t from x^{t−g} and x^{t+g}), psnr_predict (x^{t+g}, δ = 0),
// psnr_copy_last (x^t for x^{t+g}), curvature (mean 1 − cos of the phase trajectories),
// psnr_autoencode (x^t through pooling and unpooling: what the representation keeps at all, the
// ceiling of the other two), psnr_crossfade_decoded (the cross-fade of the reconstructions: the
// interpolation if the phases moved nothing), psnr_feature_residual and psnr_predict_residual (the
// two estimates with what the code does not hold, x − G(code), cross-faded or carried from x^t),
// the same after block motion has aligned the frames (models/linearize/block_motion.h), each
// with its aligned baseline: psnr_crossfade_aligned, psnr_feature_aligned,
// psnr_feature_aligned_residual, psnr_copy_last_aligned (x^t moved on by its velocity from
// x^{t−g}), psnr_predict_aligned, psnr_predict_aligned_residual; n_triplets, and, where strips
// were written (request.strips_dir), strips and the folder.
std::string evaluate_linearize(const LinearizeOptions& model_options, double scene_cut, const EvaluationRequest& request);

}  // namespace vidssl
