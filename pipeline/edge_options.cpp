#include "pipeline/edge_options.h"

#include <stdexcept>

namespace vidssl {

const char* to_string(EdgePolicy policy) {
  switch (policy) {
    case EdgePolicy::block: return "block";
    case EdgePolicy::drop_oldest: return "drop_oldest";
    case EdgePolicy::drop_newest: return "drop_newest";
  }
  return "?";
}

void check_options(const EdgeOptions& options) {
  // A ring is allocated at its capacity: the bound keeps a typo from reserving gigabytes.
  if (options.capacity < 1 || options.capacity > 4096) throw std::invalid_argument("capacity: expected an integer in [1, 4096]");
  if (options.policy == EdgePolicy::drop_oldest && options.capacity < 2)
    throw std::invalid_argument("capacity: a drop_oldest edge needs capacity >= 2 (one slot holds the newest item)");
}

}  // namespace vidssl
