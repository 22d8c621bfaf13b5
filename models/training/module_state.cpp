#include "models/training/module_state.h"

#include <cstdio>

#include <torch/torch.h>

#include <sstream>
#include <stdexcept>

#include "models/torch_runtime.h"
#include "models/training/checkpoint.h"

namespace vidssl {

std::map<std::string, torch::Tensor> module_tensors(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : module.named_parameters()) out[p.key()] = p.value().detach().cpu();
  for (const auto& b : module.named_buffers()) out[b.key()] = b.value().detach().cpu();
  return out;
}

void load_module_tensors(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::size_t expected = 0;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    ++expected;
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::runtime_error("checkpoint has no tensor '" + name + "' (a different model config?)");
    if (it->second.sizes() != target.sizes()) {
      std::ostringstream msg;
      msg << "checkpoint tensor '" << name << "' has shape " << it->second.sizes() << ", the model expects "
          << target.sizes() << " (a different model config?)";
      throw std::runtime_error(msg.str());
    }
    target.copy_(it->second);
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
  if (tensors.size() != expected) throw std::runtime_error("checkpoint holds tensors this model does not have (a different model config?)");
}

std::string weights_problem(const torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (const auto& item : module.named_parameters()) {
    const torch::Tensor& w = item.value();
    if (w.numel() == 0) continue;
    if (!torch::isfinite(w).all().item<bool>()) return item.key() + ": not finite";
    const double largest = w.abs().max().item<double>();
    if (largest > kMaxHealthyWeight) {
      char text[96];
      std::snprintf(text, sizeof(text), ": |w| up to %.2g (above %.0g)", largest, kMaxHealthyWeight);
      return item.key() + text;
    }
  }
  return "";
}

std::string serialize_optimizer(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

void deserialize_optimizer(torch::optim::Optimizer& optimizer, const std::string& bytes, torch::Device device) {
  torch::serialize::InputArchive archive;
  std::istringstream in(bytes);
  try {
    archive.load_from(in, device);
    // Loading keeps the state of a parameter the archive has none for (a state saved before the
    // first step): a rollback to the start would go on with the diverged momentum. Start clean.
    optimizer.state().clear();
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error("optimizer.pt: not this model's optimizer state (damaged file, or another model config?): " +
                             error_message(e));
  }
}

void save_learner_state(CheckpointData& data, const std::string& kind, std::int64_t step,
                        const torch::nn::Module& module, const torch::optim::Optimizer& optimizer) {
  data.model = kind;
  data.step = step;
  data.weights = module_tensors(module);
  data.optimizer = serialize_optimizer(optimizer);
  data.state["learner.step"] = torch::tensor(step);
}

std::int64_t load_learner_state(const CheckpointData& data, torch::nn::Module& module, torch::optim::Optimizer& optimizer,
                                torch::Device device) {
  load_module_tensors(module, data.weights);
  deserialize_optimizer(optimizer, data.optimizer, device);
  return data.state.at("learner.step").item<std::int64_t>();
}

}  // namespace vidssl
