#pragma once

#include <functional>

#include <torch/optim/optimizer.h>
#include <torch/types.h>

namespace vidssl {

// One optimizer step that takes effect only where `ok`, a 0-d bool on the device, is true, decided
// on the device: reading the loss to the host to decide would stall a GPU every step
// (models/training/host_read.h). The parameters and the optimizer's state are copied, the step
// made and `after` run (a renormalization of the decoder), then each is put back to its copy
// where `ok` is false; a state the step created is zeroed there, as it was before it existed.
// The copies cost a few small device copies: the models' weights are kilobytes to a few
// megabytes. What is not put back: the optimizer's step count, a host integer (Adam's and
// RMSProp's), which still advances and so changes Adam's bias correction of later steps a little.
//
//   const torch::Tensor ok = torch::isfinite(loss.detach());
//   loss.backward();
//   step_where(*optimizer, ok, [&] { model->normalize_decoder(); });
void step_where(torch::optim::Optimizer& optimizer, const torch::Tensor& ok, const std::function<void()>& after = {});

}  // namespace vidssl
