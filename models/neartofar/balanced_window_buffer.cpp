#include "models/neartofar/balanced_window_buffer.h"

#include <stdexcept>
#include <string>

#include <torch/torch.h>

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
  rings_.assign(options_.classes, torch::Tensor());
  counts_.assign(options_.classes, 0);
  next_.assign(options_.classes, 0);
}

void BalancedWindowBuffer::add(const torch::Tensor& windows, const torch::Tensor& labels) {
  if (windows.dim() != 4 || labels.dim() != 1 || labels.size(0) != windows.size(0))
    throw std::invalid_argument("BalancedWindowBuffer: wants N×C×R×W windows and N labels");
  const torch::Tensor cpu_labels = labels.to(torch::kCPU, torch::kInt64).contiguous();
  const auto* label = cpu_labels.data_ptr<std::int64_t>();
  torch::NoGradGuard no_grad;
  for (std::int64_t i = 0; i < windows.size(0); ++i) {
    const std::int64_t c = label[i];
    if (c < 0 || c >= options_.classes) continue;
    if (!rings_[c].defined()) {
      std::vector<std::int64_t> shape{per_class_};
      for (int d = 1; d < 4; ++d) shape.push_back(windows.size(d));
      rings_[c] = torch::empty(shape, windows.options());
    }
    if (rings_[c].sizes().slice(1) != windows.sizes().slice(1))
      throw std::invalid_argument("BalancedWindowBuffer: a window's shape changed");
    rings_[c][next_[c]].copy_(windows[i]);
    next_[c] = (next_[c] + 1) % per_class_;
    counts_[c] = std::min(counts_[c] + 1, per_class_);
  }
}

std::pair<torch::Tensor, torch::Tensor> BalancedWindowBuffer::sample(std::int64_t batch) {
  std::vector<std::int64_t> present;
  for (std::int64_t c = 0; c < options_.classes; ++c)
    if (counts_[c] > 0) present.push_back(c);
  if (present.empty() || batch < 1) return {};
  std::vector<torch::Tensor> windows;
  std::vector<std::int64_t> labels;
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::int64_t c = present[rng_() % present.size()];
    windows.push_back(rings_[c][static_cast<std::int64_t>(rng_() % counts_[c])]);
    labels.push_back(c);
  }
  return {torch::stack(windows), torch::tensor(labels, torch::kInt64).to(rings_[present[0]].device())};
}

std::map<std::string, torch::Tensor> BalancedWindowBuffer::state() const {
  std::map<std::string, torch::Tensor> out;
  out["windows.rng"] = pack_generator(rng_);
  out["windows.counts"] = torch::tensor(counts_, torch::kInt64);
  out["windows.next"] = torch::tensor(next_, torch::kInt64);
  for (std::int64_t c = 0; c < options_.classes; ++c)
    if (counts_[c] > 0) out["windows.class" + std::to_string(c)] = rings_[c].slice(0, 0, counts_[c]).cpu();
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
    std::vector<std::int64_t> shape{per_class_};
    for (int d = 1; d < 4; ++d) shape.push_back(saved.size(d));
    rings_[c] = torch::empty(shape, saved.options().device(device));
    rings_[c].slice(0, 0, n).copy_(saved);
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
