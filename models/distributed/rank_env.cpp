#include "models/distributed/rank_env.h"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace vidssl {

namespace {

int read_int(const char* name, const char* text, long low, long high) {
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
    throw std::invalid_argument(std::string(name) + ": expected an integer in [" + std::to_string(low) + ", " + std::to_string(high) +
                                "], got '" + text + "'");
  return static_cast<int>(value);
}

}  // namespace

std::optional<RankEnv> read_rank_env(const std::function<const char*(const char*)>& lookup) {
  const char* rank = lookup("RANK");
  const char* world = lookup("WORLD_SIZE");
  if (!rank && !world) return std::nullopt;
  if (!rank || !world)
    throw std::invalid_argument(std::string(rank ? "WORLD_SIZE" : "RANK") + ": not set, but " + (rank ? "RANK" : "WORLD_SIZE") +
                                " is: a multi-process run needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT");
  RankEnv env;
  env.world_size = read_int("WORLD_SIZE", world, 1, 65536);
  env.rank = read_int("RANK", rank, 0, env.world_size - 1);
  env.local_rank = env.rank;
  if (const char* local = lookup("LOCAL_RANK")) env.local_rank = read_int("LOCAL_RANK", local, 0, 65535);
  if (const char* addr = lookup("MASTER_ADDR")) {
    if (*addr == '\0') throw std::invalid_argument("MASTER_ADDR: expected the host of rank 0's store, got ''");
    env.master_addr = addr;
  } else if (env.world_size > 1) {
    throw std::invalid_argument("MASTER_ADDR: not set: a run of " + std::to_string(env.world_size) +
                                " ranks needs the host of rank 0's store");
  }
  if (const char* port = lookup("MASTER_PORT")) {
    env.master_port = read_int("MASTER_PORT", port, 1, 65535);
  } else if (env.world_size > 1) {
    throw std::invalid_argument("MASTER_PORT: not set: a run of " + std::to_string(env.world_size) +
                                " ranks needs the port of rank 0's store");
  }
  return env;
}

}  // namespace vidssl
