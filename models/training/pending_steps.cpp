#include "models/training/pending_steps.h"

#include <torch/torch.h>

#include <stdexcept>

#include "models/training/host_read.h"

namespace vidssl {

PendingSteps::PendingSteps(std::vector<std::string> names) : names_(std::move(names)) {
  if (names_.empty()) throw std::invalid_argument("PendingSteps: no figure names (the loss comes first)");
}

void PendingSteps::add(const torch::Tensor& figures, const torch::Tensor& applied, std::vector<std::pair<std::string, double>> host) {
  if (figures.numel() != static_cast<std::int64_t>(names_.size()))
    throw std::invalid_argument("PendingSteps::add: " + std::to_string(figures.numel()) + " figures for " + std::to_string(names_.size()) +
                                " names");
  torch::NoGradGuard no_grad;
  rows_.push_back(torch::cat({figures.detach().flatten().to(torch::kFloat), applied.detach().reshape({1}).to(torch::kFloat)}));
  host_.push_back(std::move(host));
}

std::vector<LearnerStep> PendingSteps::read(std::int64_t updates_before) {
  std::vector<LearnerStep> steps;
  if (rows_.empty()) return steps;
  const torch::Tensor table = read_to_host(torch::stack(rows_));
  const auto values = table.accessor<float, 2>();
  const auto n = static_cast<std::int64_t>(names_.size());
  std::int64_t updates = updates_before;
  for (std::int64_t i = 0; i < table.size(0); ++i) {
    LearnerStep step;
    step.skipped = values[i][n] == 0;
    step.step = step.skipped ? updates : ++updates;
    for (std::int64_t k = 0; k < (step.skipped ? 1 : n); ++k) step.values.emplace_back(names_[static_cast<std::size_t>(k)], values[i][k]);
    for (auto& value : host_[static_cast<std::size_t>(i)]) step.values.push_back(std::move(value));
    steps.push_back(std::move(step));
  }
  clear();
  return steps;
}

void PendingSteps::clear() {
  rows_.clear();
  host_.clear();
}

}  // namespace vidssl
