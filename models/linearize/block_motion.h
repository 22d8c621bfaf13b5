#pragma once

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace vidssl {

// Block motion by exhaustive search of displacements on a grid of 1/2 pixel: the motion estimate
// Model B's phases run on top of (`vidssl eval`, `vidssl interpolate`; an option beyond the paper,
// reported beside its estimates). Why: a phase-pooling block of one layer holds a motion of about
// a pixel, and real clips at the gaps where the cross-fade fails move 4–5 px each way; aligned
// first, what is left for the phases is the sub-pixel rest (on the mixed frames they add about
// nothing: docs/results.md, Model B). No OpenCV: a model's folder stays LibTorch only, and the
// same search runs on the GPU.
//
//   auto d = block_motion(a, c, MotionAnchor::middle);       // N×2×(H/8)×(W/8)
//   auto field = dense_motion(d, a.size(2), a.size(3));      // N×2×H×W
//   auto a_aligned = shift_by(a, field, 1.0), c_aligned = shift_by(c, field, -1.0);
//   // or each pixel by a mixture of hypotheses around that field: auto [a_aligned, c_aligned] = align_halfway(a, c);
struct BlockMotionOptions {
  TORCH_ARG(std::int64_t, block) = 8;    // side of the square blocks, pixels
  TORCH_ARG(std::int64_t, radius) = 8;   // largest |dx|, |dy| searched
  // Displacements are searched in steps of 1/subpixel pixel, the frames sampled bilinearly between
  // pixels. Why 2: a whole-pixel d halfway means a motion from a to b in steps of 2 px, and on fine
  // texture an error of a pixel costs more than the cross-fade does (docs/results.md, Model B).
  TORCH_ARG(std::int64_t, subpixel) = 2;
  // Among displacements whose cost is within this fraction of the block's best, the shortest is
  // taken. Why 1 (a longer displacement must halve the error): where a block's content changes
  // rather than moves (leaves, a face), some displacement still matches a little better than
  // none, and taking it misplaces the block; swept 0.01–4 on held-out clips, 1 keeps most of
  // what alignment gains where the content moves and loses least where it does not
  // (docs/results.md, Model B).
  TORCH_ARG(double, tolerance) = 1.0;
  // align_halfway and align_ahead move each pixel by a mixture of motion hypotheses: none, the
  // field bilinear between block centres, and the vectors of its own block and the 8 around it,
  // each weighted by 1 / (floor + the mean squared disagreement of the two moved frames over a
  // window × window square). Why: a block that straddles two motions (a box and the wall behind
  // it) or whose content changes rather than moves (a face, leaves) has no one right vector; where
  // one hypothesis makes the frames agree it takes nearly all the weight, and where none does the
  // estimate is the average of the plausible ones, which is what costs least in squared error.
  // On six held-out clips the mixture's cross-fade gained 0.45–1.4 dB over the one bilinear
  // field's (docs/results.md, Model B); the window (3–9) and the floor (1e-5–1e-2, on contrast-
  // normalized frames) changed it by at most 0.2 dB.
  TORCH_ARG(std::int64_t, window) = 5;
  TORCH_ARG(double, floor) = 1e-4;
};

// Which frame's blocks the displacement d belongs to.
enum class MotionAnchor {
  middle,  // the frame halfway from a to b: minimises Σ_block (a(p − d) − b(p + d))², a moved by 2d
  second,  // b's own blocks: minimises Σ_block (a(p − d) − b(p))², a moved by d
};

// Per block (N×2×⌈H/block⌉×⌈W/block⌉, channel 0 dx, 1 dy, in pixels, multiples of 1/subpixel),
// for frames N×C×H×W, beyond whose borders the edge pixels repeat. Throws std::invalid_argument when the
// frames differ in shape or an option is out of range.
torch::Tensor block_motion(const torch::Tensor& a, const torch::Tensor& b, MotionAnchor anchor, const BlockMotionOptions& options = {});

// A block field N×2×Hb×Wb as a field per pixel N×2×H×W, bilinear between block centres.
torch::Tensor dense_motion(const torch::Tensor& blocks, std::int64_t height, std::int64_t width);

// x(p − scale·d(p)) for frames N×C×H×W and a field N×2×H×W, bilinear, edge pixels repeated.
torch::Tensor shift_by(const torch::Tensor& x, const torch::Tensor& field, double scale);

// The motion hypotheses per pixel for a block field N×2×Hb×Wb, each N×2×H×W: none, the field
// bilinear between block centres (dense_motion), then the vectors of the pixel's block and its 8
// neighbours (row by row from the upper left; beyond the block grid's edge the edge block repeats).
std::vector<torch::Tensor> motion_hypotheses(const torch::Tensor& blocks, std::int64_t height, std::int64_t width, std::int64_t block);

// Weights per pixel N×K×H×W of K hypotheses, from each one's squared disagreement per pixel
// N×K×H×W: 1 / (floor + its mean over a window × window square, the edge repeated), normalized to
// sum 1 over K.
torch::Tensor hypothesis_weights(const torch::Tensor& disagreement, std::int64_t window, double floor);

// Two frames moved onto a third's grid by block motion, each pixel by the weighted mixture of its
// motion hypotheses (the same weights for both frames, so that their average is the mixture of
// the hypotheses' averages).
struct AlignedPair {
  torch::Tensor earlier, later;
};
// For interpolating x^t from x^{t−g} and x^{t+g}: both moved halfway, x^{t−g}(p − d), x^{t+g}(p + d),
// each d weighted by how well the two agree there.
AlignedPair align_halfway(const torch::Tensor& earlier, const torch::Tensor& later, const BlockMotionOptions& options = {});
// For predicting x^{t+g} from x^{t−g} and x^t: x^t's velocity v from x^{t−g}, kept one more gap,
// x^{t−g}(p − 2v), x^t(p − v) (the second is the motion-compensated copy-last), each v weighted by
// how well the two agree there: a pixel that kept its velocity agrees.
AlignedPair align_ahead(const torch::Tensor& earlier, const torch::Tensor& later, const BlockMotionOptions& options = {});

}  // namespace vidssl
