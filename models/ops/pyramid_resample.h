#pragma once

#include <torch/types.h>

#include "models/ops/image_op.h"

namespace vidssl {

// The two resampling steps GaussianPyramid and LaplacianPyramid are built from (DESIGN §5). Both
// filter with the 5-tap binomial [1 4 6 4 1]/16 along each axis and reflect at the borders
// (x2 x1 | x0 x1 x2 …, the edge pixel not repeated); both take C×H×W or N×C×H×W float32 and keep
// the rank. Each channel is filtered on its own.

// One pyramid step down: filter, then keep the even rows and columns, H×W → ceil(H/2)×ceil(W/2).
// Needs H, W ≥ 3: reflecting two pixels needs three.
torch::Tensor pyramid_down(const torch::Tensor& x, OpPath path = OpPath::automatic);

// base + scale · up(coarse), where up inserts zeros between the samples of coarse up to the size of
// base, then filters with 4× the binomial (2× per axis, restoring the mean). coarse must be
// ceil(H/2)×ceil(W/2) of an H×W base with H, W ≥ 3. One call makes a Laplacian band
// (G_i, G_{i+1}, −1) and one undoes it (L_i, G_{i+1}, +1) with the same arithmetic, which is what
// makes the reconstruction exact to float rounding, odd sizes included.
torch::Tensor pyramid_up_add(const torch::Tensor& base, const torch::Tensor& coarse, float scale,
                             OpPath path = OpPath::automatic);

}  // namespace vidssl
