#pragma once

#include <torch/types.h>

namespace vidssl {

// Peak signal-to-noise ratio of an estimate N×C×H×W against its target, in dB, averaged over the
// N frames. Frames here are contrast-normalized, without a fixed peak, so each frame's peak is
// its target's range (max − min): the same for every estimate of that frame, so differences in dB
// between a model and a baseline are ratios of their squared errors. A 0-d float on the inputs'
// device: a training step reports it without reading it back.
torch::Tensor mean_psnr(const torch::Tensor& estimate, const torch::Tensor& target);

}  // namespace vidssl
