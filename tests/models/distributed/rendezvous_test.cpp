#include "models/distributed/rendezvous.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/models/distributed/loopback_ranks.h"

namespace vidssl {
namespace {

// A rank that cannot reach rank 0's store says so, naming the address, once its timeout is over.
TEST(Rendezvous, AnUnreachableStoreIsNamedAfterTheTimeout) {
  RankEnv env;
  env.master_port = free_loopback_port();  // nobody serves it
  env.rank = 1;
  env.world_size = 2;
  try {
    Rendezvous rendezvous(env, DistBackend::gloo, std::chrono::milliseconds(1500));
    FAIL() << "connected to nothing";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("rank 1: cannot reach rank 0's store at 127.0.0.1:" + std::to_string(env.master_port)), std::string::npos)
        << message;
  }
}

TEST(Rendezvous, EachLearnerGetsAGroupOfItsOwn) {
  if (!in_build(DistBackend::gloo)) GTEST_SKIP() << "Gloo is not in this build (no Gloo headers)";
  test::run_ranks(2, [](int rank, Rendezvous& rendezvous) {
    auto a = rendezvous.group("a"), b = rendezvous.group("b");
    // Interleaved differently on the two ranks: each group matches its own collectives.
    std::vector<at::Tensor> x{torch::full({1}, 1.0 + rank)}, y{torch::full({1}, 10.0 * (1 + rank))};
    if (rank == 0) {
      auto wa = a->allreduce(x);
      auto wb = b->allreduce(y);
      wa->wait();
      wb->wait();
    } else {
      auto wb = b->allreduce(y);
      auto wa = a->allreduce(x);
      wb->wait();
      wa->wait();
    }
    EXPECT_EQ(x[0].item<float>(), 3.0f);
    EXPECT_EQ(y[0].item<float>(), 30.0f);
  });
}

}  // namespace
}  // namespace vidssl
