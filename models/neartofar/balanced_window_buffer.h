#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace vidssl {

//   neartofar: { buffer_capacity: 5000 }
struct BalancedWindowBufferOptions {
  std::int64_t capacity = 5000;  // windows over all classes; each class keeps the newest capacity/classes
  std::int64_t classes = 5;
  std::uint64_t seed = 1;
  void check() const;  // std::invalid_argument naming the option
};

// The short-term memory of online near-to-far learning (DESIGN §8.6): labeled windows of recent
// frames, one ring per class, sampled class-balanced. Why: a road scene is mostly ground, so a
// buffer sampled uniformly would teach "everything is ground"; and a stream is not i.i.d., so the
// learner must keep seeing what the previous frames showed while the newest frames overwrite
// the oldest windows of each class.
//
//   BalancedWindowBuffer memory({.capacity = 5000});
//   memory.add(windows, labels);                   // N×C×12×25, N int64 (−1: unlabeled, skipped)
//   auto [x, y] = memory.sample(64);               // each class present about equally often
class BalancedWindowBuffer {
 public:
  explicit BalancedWindowBuffer(BalancedWindowBufferOptions options = {});

  // Windows whose label is outside [0, classes) are skipped. Stored on the windows' device, with
  // one gather and one scatter: the labels decide where each goes, so they are read on the host
  // (pass them there: a device tensor is read back first).
  void add(const torch::Tensor& windows, const torch::Tensor& labels);
  // B windows and their labels on the buffer's device: a class drawn uniformly among the
  // non-empty ones, then a window uniformly in its ring, all drawn on the host and gathered in one
  // index_select. Empty tensors when the buffer is empty.
  std::pair<torch::Tensor, torch::Tensor> sample(std::int64_t batch);

  std::int64_t size() const;
  std::int64_t size(std::int64_t label) const { return counts_.at(label); }
  void clear();

  // The windows, ring positions and generator, for a checkpoint ("windows.*" keys, CPU tensors;
  // 5000 windows of 3×12×25 are 18 MB), so a resumed run samples what the stopped one would have.
  std::map<std::string, torch::Tensor> state() const;
  // Throws std::runtime_error naming what does not match this buffer's options.
  void load_state(const std::map<std::string, torch::Tensor>& state, torch::Device device);

 private:
  BalancedWindowBufferOptions options_;
  std::int64_t per_class_ = 0;
  // rings_ for windows shaped like these (N×C×R×W), on `device`.
  void allocate_rings(const torch::Tensor& windows, torch::Device device);

  // The rings, class after class: (classes·per_class) × C×R×W, allocated at the first window.
  torch::Tensor rings_;
  std::vector<std::int64_t> counts_, next_;
  std::mt19937_64 rng_;
};

}  // namespace vidssl
