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

void ReplayBuffer::add(const torch::Tensor& clip) {
  if (!ring_.defined()) {
    std::vector<std::int64_t> shape = clip.sizes().vec();
    shape.insert(shape.begin(), options_.capacity);
    ring_ = torch::empty(shape, clip.options());
  } else if (clip.sizes() != ring_.sizes().slice(1) || clip.device() != ring_.device()) {
    std::ostringstream message;
    message << "replay buffer: a clip of shape " << clip.sizes() << " on " << clip.device() << " after clips of shape "
            << ring_.sizes().slice(1) << " on " << ring_.device();
    throw std::invalid_argument(message.str());
  }
  ring_[next_].copy_(clip);
  next_ = (next_ + 1) % options_.capacity;
  count_ = std::min(count_ + 1, options_.capacity);
}

std::int64_t ReplayBuffer::row(std::int64_t i) const { return (next_ - count_ + i + options_.capacity) % options_.capacity; }

torch::Tensor ReplayBuffer::clip(std::int64_t i) const { return ring_[row(i)]; }

torch::Tensor ReplayBuffer::sample() {
  if (count_ == 0) throw std::logic_error("ReplayBuffer::sample on an empty buffer");
  const std::int64_t older = size() - 1;
  const std::int64_t draws = std::min(options_.batch - 1, older);
  // Partial Fisher-Yates over the older clips: uniform, without replacement.
  std::vector<std::int64_t> order(static_cast<std::size_t>(older));
  std::iota(order.begin(), order.end(), 0);
  std::vector<torch::Tensor> batch{clip(older)};
  for (std::int64_t i = 0; i < draws; ++i) {
    std::uniform_int_distribution<std::int64_t> pick(i, older - 1);
    std::swap(order[i], order[pick(rng_)]);
    batch.push_back(clip(order[i]));
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
  if (count_ == 0) return out;
  // Oldest first: the rows from the oldest to the ring's end, then those from its start.
  const std::int64_t oldest = row(0);
  std::vector<torch::Tensor> parts{ring_.slice(0, oldest, std::min(oldest + count_, options_.capacity))};
  if (oldest + count_ > options_.capacity) parts.push_back(ring_.slice(0, 0, next_));
  std::vector<std::int64_t> shape = ring_.sizes().vec();
  shape[0] = count_;
  reuse_or_allocate(stacked_, shape, ring_.options().device(torch::kCPU));
  if (ring_.is_cpu())
    torch::cat_out(stacked_, parts);
  else
    stacked_.copy_(torch::cat(parts));
  out["replay.clips"] = stacked_;
  return out;
}

void ReplayBuffer::load_state(const std::map<std::string, torch::Tensor>& state, torch::Device device) {
  unpack_generator(state.at("replay.rng"), rng_);
  ring_ = torch::Tensor();
  next_ = count_ = 0;
  auto it = state.find("replay.clips");
  if (it == state.end()) return;
  // A run resumed with a smaller replay_capacity keeps the newest clips.
  const auto& clips = it->second;
  for (std::int64_t i = std::max<std::int64_t>(0, clips.size(0) - options_.capacity); i < clips.size(0); ++i)
    add(clips[i].to(device));
}

}  // namespace vidssl
