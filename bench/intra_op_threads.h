#pragma once

#include <ATen/Parallel.h>

namespace vidssl::bench {

// Sets LibTorch's intra-op threads for one benchmark (0 keeps the configured count, all cores) and
// restores them, so that one binary measures both the one-core and the all-core figure.
class IntraOpThreads {
 public:
  explicit IntraOpThreads(int threads) : saved_(at::get_num_threads()) {
    if (threads > 0) at::set_num_threads(threads);
  }
  ~IntraOpThreads() { at::set_num_threads(saved_); }
  IntraOpThreads(const IntraOpThreads&) = delete;
  IntraOpThreads& operator=(const IntraOpThreads&) = delete;

 private:
  int saved_;
};

}  // namespace vidssl::bench
