#pragma once

#include <cstddef>
#include <string>

namespace vidssl {

// What an edge does when its consumer falls behind.
//
//   block        the producer waits for room: files and offline runs, where nothing may be lost.
//   drop_oldest  live sources: the consumer skips stale items and takes the newest one, so it
//                always works on the freshest frame; if the ring is full before the consumer comes
//                back, the producer's item is rejected (a single-producer ring lets only the
//                consumer pop). Every skipped or rejected item is counted as a drop.
//   drop_newest  the producer's item is rejected when the ring is full; the consumer sees every
//                item that got in, in order.
//
// Example (YAML): the source's edge, and a learner's input edge
//   source: { edge: { capacity: 4, policy: drop_oldest } }
//   models: { slow: { edge: { capacity: 4, policy: drop_oldest } } }
enum class EdgePolicy { block, drop_oldest, drop_newest };

struct EdgeOptions {
  std::size_t capacity = 8;
  EdgePolicy policy = EdgePolicy::block;
};

const char* to_string(EdgePolicy policy);
// Throws std::invalid_argument naming the option by its key under an edge ("capacity: …").
void check_options(const EdgeOptions& options);

}  // namespace vidssl
