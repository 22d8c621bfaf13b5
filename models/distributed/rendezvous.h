#pragma once

#include <chrono>
#include <string>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "models/distributed/collectives.h"
#include "models/distributed/rank_env.h"

namespace vidssl {

// The c10d backend a run's collectives go through: Gloo on CPUs, NCCL between GPUs.
enum class DistBackend { gloo, nccl };
const char* to_string(DistBackend backend);
// A loopback port free now (the kernel's pick for port 0), for a one-machine run's store.
int free_loopback_port();
// Whether this build can make groups of that backend (Gloo needs headers a PyTorch wheel lacks).
bool in_build(DistBackend backend);

// How a multi-process run finds its ranks, as torch.distributed's env:// init does: rank 0 serves a
// TCPStore at MASTER_ADDR:MASTER_PORT, every rank connects to it, and each learner gets a process
// group of its own on it (a PrefixStore named after the learner), so that learners on their own
// threads never interleave their collectives.
//
//   Rendezvous rendezvous(*read_rank_env(std::getenv), DistBackend::gloo, std::chrono::seconds(60));
//   DataParallel slow(rendezvous.group("slow"), options, "slow");
class Rendezvous {
 public:
  // Waits for every rank (at most `timeout`); throws std::runtime_error naming the address when the
  // store cannot be reached or served, or the backend is not in this build. `timeout` is also every
  // collective's: a rank that stalls longer fails the others.
  Rendezvous(const RankEnv& env, DistBackend backend, std::chrono::milliseconds timeout);

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  // A few words between ranks through the store (rank 0's run folder, the others' final reports):
  // get() waits for the key until the timeout, then throws std::runtime_error naming it.
  void set(const std::string& key, const std::string& value);
  std::string get(const std::string& key);
  // A process group of its own, for the learner called `name`; every rank asks for the same names.
  c10::intrusive_ptr<Collectives> group(const std::string& name);

 private:
  RankEnv env_;
  DistBackend backend_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::Store> store_;
};

}  // namespace vidssl
