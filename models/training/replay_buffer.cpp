#include "models/training/replay_buffer.h"

#include <torch/torch.h>

#include <numeric>
#include <sstream>
#include <stdexcept>

#include "models/training/reusable_buffer.h"

namespace vidssl {

void check_options(const ReplayBufferOptions& options) {
  if (options.batch < 1 || options.batch > 4096)
    throw std::invalid_argument("train.batch: expected an integer in [1, 4096], got " + std::to_string(options.batch));
  if (options.capacity < 1 || options.capacity > 1000000)
    throw std::invalid_argument("train.replay_capacity: expected an integer in [1, 1000000], got " + std::to_string(options.capacity));
}

ReplayBuffer::ReplayBuffer(ReplayBufferOptions options) : options_(options), rng_(options.seed) { check_options(options_); }

void ReplayBuffer::add(torch::Tensor clip) {
  clips_.push_back(std::move(clip));
  while (size() > options_.capacity) clips_.pop_front();
}

torch::Tensor ReplayBuffer::sample() {
  if (clips_.empty()) throw std::logic_error("ReplayBuffer::sample on an empty buffer");
  const std::int64_t older = size() - 1;
  const std::int64_t draws = std::min(options_.batch - 1, older);
  // Partial Fisher-Yates over the older clips: uniform, without replacement.
  std::vector<std::int64_t> order(static_cast<std::size_t>(older));
  std::iota(order.begin(), order.end(), 0);
  std::vector<torch::Tensor> batch{clips_.back()};
  for (std::int64_t i = 0; i < draws; ++i) {
    std::uniform_int_distribution<std::int64_t> pick(i, older - 1);
    std::swap(order[i], order[pick(rng_)]);
    batch.push_back(clips_[static_cast<std::size_t>(order[i])]);
  }
  return torch::stack(batch);
}

torch::Tensor pack_generator(const std::mt19937_64& rng) {
  std::ostringstream text;
  text << rng;
  const std::string s = text.str();
  auto packed = torch::empty({static_cast<std::int64_t>(s.size())}, torch::kUInt8);
  std::copy(s.begin(), s.end(), packed.data_ptr<std::uint8_t>());
  return packed;
}

void unpack_generator(const torch::Tensor& packed, std::mt19937_64& rng) {
  auto bytes = packed.to(torch::kCPU).contiguous();
  const auto* p = bytes.data_ptr<std::uint8_t>();
  std::istringstream text(std::string(p, p + bytes.numel()));
  text >> rng;
  if (!text) throw std::runtime_error("replay buffer: the saved generator state is damaged");
}

std::map<std::string, torch::Tensor> ReplayBuffer::state() const {
  std::map<std::string, torch::Tensor> out;
  out["replay.rng"] = pack_generator(rng_);
  if (clips_.empty()) return out;
  const std::vector<torch::Tensor> clips(clips_.begin(), clips_.end());
  std::vector<std::int64_t> shape = clips.front().sizes().vec();
  shape.insert(shape.begin(), static_cast<std::int64_t>(clips.size()));
  reuse_or_allocate(stacked_, shape, clips.front().options().device(torch::kCPU));
  if (clips.front().is_cpu())
    torch::stack_out(stacked_, clips);
  else
    stacked_.copy_(torch::stack(clips));
  out["replay.clips"] = stacked_;
  return out;
}

void ReplayBuffer::load_state(const std::map<std::string, torch::Tensor>& state, torch::Device device) {
  unpack_generator(state.at("replay.rng"), rng_);
  clips_.clear();
  auto it = state.find("replay.clips");
  if (it == state.end()) return;
  for (std::int64_t i = 0; i < it->second.size(0); ++i) clips_.push_back(it->second[i].to(device));
}

}  // namespace vidssl
