#include "models/training/optimizer_options.h"

#include <torch/torch.h>

namespace vidssl {

const char* to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::rmsprop: return "rmsprop";
    case OptimizerKind::sgd: return "sgd";
  }
  return "?";
}

void check_options(const OptimizerOptions& options) {
  if (!(options.lr > 0 && options.lr <= 1000))
    throw std::invalid_argument("train.lr: expected a learning rate in (0, 1000], got " + std::to_string(options.lr));
  if (!(options.momentum >= 0 && options.momentum < 1))
    throw std::invalid_argument("train.momentum: expected a number in [0, 1), got " + std::to_string(options.momentum));
  if (!(options.weight_decay >= 0 && options.weight_decay <= 1000))
    throw std::invalid_argument("train.weight_decay: expected a number in [0, 1000], got " + std::to_string(options.weight_decay));
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options,
                                                        std::vector<torch::Tensor> parameters) {
  check_options(options);
  switch (options.kind) {
    case OptimizerKind::adam:
      return std::make_unique<torch::optim::Adam>(
          std::move(parameters), torch::optim::AdamOptions(options.lr)
                                     .betas(std::make_tuple(options.momentum, 0.999))
                                     .weight_decay(options.weight_decay));
    case OptimizerKind::rmsprop:
      return std::make_unique<torch::optim::RMSprop>(
          std::move(parameters),
          torch::optim::RMSpropOptions(options.lr).momentum(options.momentum).weight_decay(options.weight_decay));
    case OptimizerKind::sgd:
      return std::make_unique<torch::optim::SGD>(
          std::move(parameters),
          torch::optim::SGDOptions(options.lr).momentum(options.momentum).weight_decay(options.weight_decay));
  }
  throw std::logic_error("unknown optimizer");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace vidssl
