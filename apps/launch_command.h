#pragma once

#include <string>
#include <vector>

namespace vidssl {

// `vidssl launch -n N [--port P] CONFIG [run flags...]`: a data-parallel run of N ranks on this
// machine, as torchrun --nproc-per-node N would start it: N processes of `vidssl run` with
// MASTER_ADDR=127.0.0.1, MASTER_PORT (a free one unless given), RANK, LOCAL_RANK and WORLD_SIZE.
struct LaunchArgs {
  int ranks = 2;
  int port = 0;                       // 0: a free loopback port
  std::vector<std::string> run_args;  // what `vidssl run` is given: the config, then its flags
};

// Waits for every rank; returns 0 when all ended well, else the first failed rank's exit status
// (the others end on their own within dist.timeout: their exchanges fail without it).
int launch_command(const LaunchArgs& args);

}  // namespace vidssl
