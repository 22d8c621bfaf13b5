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

EdgePolicy edge_policy_from_string(const std::string& name) {
  if (name == "block") return EdgePolicy::block;
  if (name == "drop_oldest") return EdgePolicy::drop_oldest;
  if (name == "drop_newest") return EdgePolicy::drop_newest;
  throw std::invalid_argument("expected one of block, drop_oldest, drop_newest, got '" + name + "'");
}

}  // namespace vidssl
