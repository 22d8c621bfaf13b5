#include "models/training/guarded_step.h"

#include <torch/torch.h>

#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

namespace vidssl {

namespace {

// The tensors of one parameter's optimizer state, those defined.
std::vector<torch::Tensor> tensors_of(torch::optim::OptimizerParamState& state) {
  std::vector<torch::Tensor> all;
  if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(&state)) {
    all = {adam->exp_avg(), adam->exp_avg_sq(), adam->max_exp_avg_sq()};
  } else if (auto* rmsprop = dynamic_cast<torch::optim::RMSpropParamState*>(&state)) {
    all = {rmsprop->square_avg(), rmsprop->momentum_buffer(), rmsprop->grad_avg()};
  } else if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(&state)) {
    all = {sgd->momentum_buffer()};
  } else {
    throw std::logic_error("step_where: an optimizer state of a kind it does not know (adam, rmsprop and sgd only)");
  }
  std::vector<torch::Tensor> defined;
  for (auto& t : all)
    if (t.defined()) defined.push_back(t);
  return defined;
}

}  // namespace

void step_where(torch::optim::Optimizer& optimizer, const torch::Tensor& ok, const std::function<void()>& after) {
  torch::NoGradGuard no_grad;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> kept;  // a live tensor and its copy
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) kept.emplace_back(p.detach(), p.detach().clone());
  std::unordered_set<const torch::optim::OptimizerParamState*> existed;
  for (auto& entry : optimizer.state()) {
    existed.insert(entry.second.get());
    for (auto& t : tensors_of(*entry.second)) kept.emplace_back(t, t.clone());
  }
  optimizer.step();
  if (after) after();
  for (auto& [live, copy] : kept) live.copy_(torch::where(ok, live, copy));
  const torch::Tensor not_ok = ok.logical_not();
  for (auto& entry : optimizer.state())
    if (!existed.count(entry.second.get()))
      for (auto& t : tensors_of(*entry.second)) t.masked_fill_(not_ok, 0);
}

}  // namespace vidssl
