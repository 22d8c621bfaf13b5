#pragma once

#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/types.h>

namespace vidssl {

enum class OptimizerKind { adam, rmsprop, sgd };
const char* to_string(OptimizerKind kind);

// Per model, in the config's train block. Single-stream learning is sensitive to momentum
// (Carreira et al., CVPR 2024), so it is exposed for every optimizer: Adam's β₁, RMSProp's and
// SGD's momentum.
//
//   train: { optimizer: adam, lr: 0.001, momentum: 0.9 }
struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::adam;
  double lr = 1e-3;
  double momentum = 0.9;      // Adam β₁; RMSProp and SGD momentum
  double weight_decay = 0;
};

// Throws std::invalid_argument naming the option by its key under a model's entry ("train.lr: …").
// The bounds keep every number LibTorch is given representable: Adam divides the rate by
// 1 − β₁ᵗ (0.1 at the first step), and a rate past float's range aborts inside LibTorch.
void check_options(const OptimizerOptions& options);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options,
                                                        std::vector<torch::Tensor> parameters);
// Sets every parameter group's learning rate (a rollback lowers it).
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace vidssl
