#pragma once

#include <torch/version.h>

#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif

namespace vidssl {

// What a c10d backend (Gloo, NCCL) is to the C++ API: LibTorch 1.13's ProcessGroupGloo is a
// ProcessGroup, 2.x's a Backend that a ProcessGroup holds. Both have the same allreduce and
// broadcast, which is all vidssl calls.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

}  // namespace vidssl
