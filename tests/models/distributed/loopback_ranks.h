#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "models/distributed/rendezvous.h"

namespace vidssl::test {

// Runs `world` ranks of one run on threads of this process, each joined to one rendezvous on a free
// loopback port (what `vidssl launch` does with processes), and rethrows the first rank's error.
inline void run_ranks(int world, const std::function<void(int rank, Rendezvous& rendezvous)>& body,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const int port = free_loopback_port();
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(world));
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world; ++rank)
    threads.emplace_back([&, rank] {
      try {
        RankEnv env;
        env.master_port = port;
        env.rank = rank;
        env.world_size = world;
        Rendezvous rendezvous(env, DistBackend::gloo, timeout);
        body(rank, rendezvous);
      } catch (...) {
        errors[static_cast<std::size_t>(rank)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace vidssl::test
