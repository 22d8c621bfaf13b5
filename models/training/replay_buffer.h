#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include <torch/types.h>

namespace vidssl {

// Short-term memory of the last `capacity` training clips. A stream is not i.i.d.: training only
// on the newest clip would follow the scene and forget. Each sample mixes the newest clip (so the
// model always sees what is happening now) with older ones drawn uniformly without replacement.
// The clips live in one ring of `capacity` rows, allocated at the first clip and written in place:
// a tensor per clip, allocated and freed in turn for the whole run beside the step's activations,
// kept a long run's heap fragmented and growing (docs/benchmarks.md, issue 14).
//
//   train: { replay_capacity: 256, batch: 8 }
struct ReplayBufferOptions {
  std::int64_t capacity = 256;
  std::int64_t batch = 8;
  std::uint64_t seed = 1;
};

// Throws std::invalid_argument naming the option by its key under a model's entry ("train.batch: …").
void check_options(const ReplayBufferOptions& options);

class ReplayBuffer {
 public:
  explicit ReplayBuffer(ReplayBufferOptions options);

  // clip: K×C×H×W, copied into the ring on the device it is on; every clip has the first one's shape
  // (std::invalid_argument otherwise).
  void add(const torch::Tensor& clip);
  std::int64_t size() const { return count_; }
  // B×K×C×H×W with B = min(batch, size()); row 0 is the newest clip.
  torch::Tensor sample();

  // Everything needed to continue bit for bit: the clips (oldest first) and the generator. The
  // clips are stacked on the CPU into one buffer, the same one at every call once the buffer is full
  // and nothing holds the last state's (a checkpoint copies or writes it and lets it go), so
  // checkpoints of a long run do not allocate it afresh each time.
  std::map<std::string, torch::Tensor> state() const;
  void load_state(const std::map<std::string, torch::Tensor>& state, torch::Device device);

 private:
  // The ring row of clip i of the size() held, oldest first (0) to newest (size() − 1), and a view of it.
  std::int64_t row(std::int64_t i) const;
  torch::Tensor clip(std::int64_t i) const;

  ReplayBufferOptions options_;
  torch::Tensor ring_;        // capacity × K×C×H×W
  std::int64_t next_ = 0;     // the row the next clip goes to
  std::int64_t count_ = 0;    // rows holding a clip
  std::mt19937_64 rng_;
  mutable torch::Tensor stacked_;  // what state() stacks the clips into (see there)
};

// Text state of a standard generator packed into a uint8 tensor (for checkpoints), and back.
torch::Tensor pack_generator(const std::mt19937_64& rng);
void unpack_generator(const torch::Tensor& packed, std::mt19937_64& rng);

}  // namespace vidssl
