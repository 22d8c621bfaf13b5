#pragma once

#include <functional>
#include <optional>
#include <string>

namespace vidssl {

// Where this process sits in a multi-process run, read from the environment torchrun and
// `vidssl launch` set: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE and LOCAL_RANK (optional,
// default RANK). A process without RANK and WORLD_SIZE is the single process of a plain run.
//
//   MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 RANK=1 WORLD_SIZE=2 vidssl run configs/clip-slow.yaml
struct RankEnv {
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
};

// The environment's rank, or nothing when neither RANK nor WORLD_SIZE is set. Throws
// std::invalid_argument naming the variable when one is set without the other, is not a number
// in range, or MASTER_PORT is missing. `lookup` is std::getenv, or a test's table.
std::optional<RankEnv> read_rank_env(const std::function<const char*(const char*)>& lookup);

}  // namespace vidssl
