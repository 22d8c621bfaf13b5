#include "models/distributed/rendezvous.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#ifdef VIDSSL_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif

#include "models/torch_runtime.h"

namespace vidssl {

const char* to_string(DistBackend backend) {
  switch (backend) {
    case DistBackend::gloo:
      return "gloo";
    case DistBackend::nccl:
      return "nccl";
  }
  return "?";
}

int free_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = s >= 0 && ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (s >= 0) ::close(s);
  if (!ok) throw std::runtime_error("no free loopback port for the store");
  return ntohs(address.sin_port);
}

bool in_build(DistBackend backend) {
#ifdef VIDSSL_GLOO
  return backend == DistBackend::gloo;
#else
  (void)backend;
  return false;
#endif
}

Rendezvous::Rendezvous(const RankEnv& env, DistBackend backend, std::chrono::milliseconds timeout)
    : env_(env), backend_(backend), timeout_(timeout) {
  const std::string address = env.master_addr + ":" + std::to_string(env.master_port);
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.numWorkers = static_cast<std::size_t>(env.world_size);
  options.waitWorkers = true;
  options.timeout = timeout;
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    const std::string seconds = std::to_string(timeout.count() / 1000);
    throw std::runtime_error(env.rank == 0 ? "rank 0: cannot serve the store at " + address + " for " + std::to_string(env.world_size) +
                                                 " ranks within " + seconds +
                                                 " s (MASTER_ADDR, MASTER_PORT; port in use, or ranks missing?): " + error_message(e)
                                           : "rank " + std::to_string(env.rank) + ": cannot reach rank 0's store at " + address +
                                                 " within " + seconds + " s (MASTER_ADDR, MASTER_PORT): " + error_message(e));
  }
}

void Rendezvous::set(const std::string& key, const std::string& value) {
  store_->set("vidssl/words/" + key, std::vector<std::uint8_t>(value.begin(), value.end()));
}

std::string Rendezvous::get(const std::string& key) {
  try {
    const std::vector<std::uint8_t> bytes = store_->get("vidssl/words/" + key);
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(env_.rank) + ": no '" + key + "' from the other ranks within " +
                             std::to_string(timeout_.count() / 1000) + " s (dist.timeout): " + error_message(e));
  }
}

c10::intrusive_ptr<Collectives> Rendezvous::group(const std::string& name) {
  auto store = c10::make_intrusive<c10d::PrefixStore>("vidssl/" + name, store_);
  switch (backend_) {
    case DistBackend::gloo: {
#ifdef VIDSSL_GLOO
      auto options = c10d::ProcessGroupGloo::Options::create(timeout_);
      // On one machine, loopback; else the interface GLOO_SOCKET_IFNAME names, or the one this
      // host's name resolves to, as torch.distributed chooses.
      const bool loopback = env_.master_addr == "localhost" || env_.master_addr.rfind("127.", 0) == 0;
      if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"))
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
      else if (loopback)
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      try {
        return c10::make_intrusive<c10d::ProcessGroupGloo>(store, env_.rank, env_.world_size, options);
      } catch (const std::exception& e) {
        throw std::runtime_error("rank " + std::to_string(env_.rank) + ": the Gloo group of learner '" + name + "' could not connect its " +
                                 std::to_string(env_.world_size) + " ranks: " + error_message(e));
      }
#else
      throw std::runtime_error("dist.backend: gloo is not in this build (LibTorch's Gloo headers were not found when it was configured)");
#endif
    }
    case DistBackend::nccl:
      throw std::runtime_error("dist.backend: nccl is not in this build yet (it trains data-parallel over gloo)");
  }
  throw std::logic_error("Rendezvous::group: unknown backend");
}

}  // namespace vidssl
