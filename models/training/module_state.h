#pragma once

#include <map>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

namespace vidssl {

// A module's parameters and buffers by path ("decoder.weight"), detached on CPU.
std::map<std::string, torch::Tensor> module_tensors(const torch::nn::Module& module);
// Copies tensors into the module's parameters and buffers; throws std::runtime_error naming the
// first missing, unexpected or mis-shaped tensor.
void load_module_tensors(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors);

// The largest weight a healthy model here holds: the models' weights are O(1) (decoder columns
// of unit norm, encoders started from them, a small classifier); a weight beyond this is a
// divergence that has not reached the loss yet (one SGD step at an absurd rate).
constexpr double kMaxHealthyWeight = 1e6;
// Why the module's parameters are not fit to checkpoint, e.g. "encoder.weight: |w| up to 3.1e+37
// (above 1e+06)" or "decoder.weight: not finite"; empty when every one is finite and within
// kMaxHealthyWeight.
std::string weights_problem(const torch::nn::Module& module);

std::string serialize_optimizer(const torch::optim::Optimizer& optimizer);
// The state is placed on `device`, where the optimizer's parameters live.
void deserialize_optimizer(torch::optim::Optimizer& optimizer, const std::string& bytes, torch::Device device);

struct CheckpointData;

// What every learner keeps in a checkpoint: its model kind, weights, optimizer state and step.
void save_learner_state(CheckpointData& data, const std::string& kind, std::int64_t step,
                        const torch::nn::Module& module, const torch::optim::Optimizer& optimizer);
// Restores them (the run checked that the checkpoint is of this learner's kind); throws
// std::runtime_error naming a tensor that does not fit. Returns the step.
std::int64_t load_learner_state(const CheckpointData& data, torch::nn::Module& module, torch::optim::Optimizer& optimizer,
                                torch::Device device);

}  // namespace vidssl
