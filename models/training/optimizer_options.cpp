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

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerOptions& options,
                                                        std::vector<torch::Tensor> parameters) {
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

}  // namespace vidssl
