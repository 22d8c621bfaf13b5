#include "models/neartofar/balanced_window_buffer.h"

#include <map>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "models/torch_runtime.h"
#include "models/training/replay_buffer.h"

namespace vidssl {

void BalancedWindowBufferOptions::check() const {
  if (classes < 1) throw std::invalid_argument("classes must be at least 1, got " + std::to_string(classes));
  if (capacity < classes || capacity > 10000000)
    throw std::invalid_argument("buffer_capacity must hold at least one window per class and at most 10 000 000, got " +
                                std::to_string(capacity));
}

BalancedWindowBuffer::BalancedWindowBuffer(BalancedWindowBufferOptions options) : options_(options), rng_(options.seed) {
  options_.check();
  per_class_ = options_.capacity / options_.classes;
  clear();
}

void BalancedWindowBuffer::clear() {
  rings_ = torch::Tensor();
  counts_.assign(options_.classes, 0);
  next_.assign(options_.classes, 0);
}

void BalancedWindowBuffer::add(const torch::Tensor& windows, const torch::Tensor& labels) {
  if (windows.dim() != 4 || labels.dim() != 1 || labels.size(0) != windows.size(0))
    throw std::invalid_argument("BalancedWindowBuffer: wants N×C×R×W windows and N labels");
  if (rings_.defined() && rings_.sizes().slice(1) != windows.sizes().slice(1))
    throw std::invalid_argument("BalancedWindowBuffer: a window's shape changed");
  const torch::Tensor host_labels = labels.to(torch::kCPU, torch::kInt64).contiguous();
  const auto* label = host_labels.data_ptr<std::int64_t>();
  // Ring row of each window, in order; a row written twice in one call keeps the later window.
  std::map<std::int64_t, std::int64_t> source_of_row;
  for (std::int64_t i = 0; i < windows.size(0); ++i) {
    const std::int64_t c = label[i];
    if (c < 0 || c >= options_.classes) continue;
    source_of_row[c * per_class_ + next_[c]] = i;
    next_[c] = (next_[c] + 1) % per_class_;
    counts_[c] = std::min(counts_[c] + 1, per_class_);
  }
  if (source_of_row.empty()) return;
  std::vector<std::int64_t> rows, sources;
  for (const auto& [row, source] : source_of_row) rows.push_back(row), sources.push_back(source);
  torch::NoGradGuard no_grad;
  if (!rings_.defined()) allocate_rings(windows, windows.device());
  const torch::Device device = rings_.device();
  rings_.index_copy_(0, upload(torch::tensor(rows), device), windows.index_select(0, upload(torch::tensor(sources), windows.device())));
}

void BalancedWindowBuffer::allocate_rings(const torch::Tensor& windows, torch::Device device) {
  std::vector<std::int64_t> shape{options_.classes * per_class_};
  for (int d = 1; d < 4; ++d) shape.push_back(windows.size(d));
  rings_ = torch::empty(shape, windows.options().device(device));
}

std::pair<torch::Tensor, torch::Tensor> BalancedWindowBuffer::sample(std::int64_t batch) {
  std::vector<std::int64_t> present;
  for (std::int64_t c = 0; c < options_.classes; ++c)
    if (counts_[c] > 0) present.push_back(c);
  if (present.empty() || batch < 1) return {};
  std::vector<std::int64_t> rows, labels;
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::int64_t c = present[rng_() % present.size()];
    rows.push_back(c * per_class_ + static_cast<std::int64_t>(rng_() % counts_[c]));
    labels.push_back(c);
  }
  const torch::Device device = rings_.device();
  return {rings_.index_select(0, upload(torch::tensor(rows), device)), upload(torch::tensor(labels), device)};
}

std::map<std::string, torch::Tensor> BalancedWindowBuffer::state() const {
  std::map<std::string, torch::Tensor> out;
  out["windows.rng"] = pack_generator(rng_);
  out["windows.counts"] = torch::tensor(counts_, torch::kInt64);
  out["windows.next"] = torch::tensor(next_, torch::kInt64);
  for (std::int64_t c = 0; c < options_.classes; ++c)
    if (counts_[c] > 0) out["windows.class" + std::to_string(c)] = rings_.slice(0, c * per_class_, c * per_class_ + counts_[c]).cpu();
  return out;
}

void BalancedWindowBuffer::load_state(const std::map<std::string, torch::Tensor>& state, torch::Device device) {
  const auto fail = [](const std::string& what) { throw std::runtime_error("window buffer in the checkpoint: " + what); };
  const auto at = [&](const std::string& key) {
    const auto it = state.find(key);
    if (it == state.end()) fail("no " + key);
    return it->second;
  };
  const torch::Tensor counts = at("windows.counts").to(torch::kCPU, torch::kInt64), next = at("windows.next").to(torch::kCPU, torch::kInt64);
  if (counts.numel() != options_.classes || next.numel() != options_.classes)
    fail("holds " + std::to_string(counts.numel()) + " classes, this model " + std::to_string(options_.classes));
  clear();
  for (std::int64_t c = 0; c < options_.classes; ++c) {
    const std::int64_t n = counts[c].item<std::int64_t>(), position = next[c].item<std::int64_t>();
    if (n < 0 || n > per_class_ || position < 0 || position >= per_class_)
      fail("class " + std::to_string(c) + ": " + std::to_string(n) + " windows at ring position " + std::to_string(position) +
           " do not fit model.buffer_capacity (" + std::to_string(per_class_) + " a class)");
    if (n == 0) continue;
    const torch::Tensor saved = at("windows.class" + std::to_string(c));
    if (saved.dim() != 4 || saved.size(0) != n) fail("class " + std::to_string(c) + " has a malformed window tensor");
    if (!rings_.defined()) allocate_rings(saved, device);
    if (rings_.sizes().slice(1) != saved.sizes().slice(1)) fail("class " + std::to_string(c) + " holds windows of another shape");
    rings_.slice(0, c * per_class_, c * per_class_ + n).copy_(saved);
    counts_[c] = n;
    next_[c] = position;
  }
  unpack_generator(at("windows.rng"), rng_);
}

std::int64_t BalancedWindowBuffer::size() const {
  std::int64_t total = 0;
  for (auto n : counts_) total += n;
  return total;
}

}  // namespace vidssl
