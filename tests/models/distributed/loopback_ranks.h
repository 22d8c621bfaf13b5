#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "models/distributed/rendezvous.h"

namespace vidssl::test {

// A loopback port free now (the kernel's choice for port 0), for a test's store.
inline int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("free_port: no loopback port");
  ::close(s);
  return ntohs(address.sin_port);
}

// Runs `world` ranks of one run on threads of this process, each joined to one rendezvous on a free
// loopback port (what `vidssl launch` does with processes), and rethrows the first rank's error.
inline void run_ranks(int world, const std::function<void(int rank, Rendezvous& rendezvous)>& body,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const int port = free_port();
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
