#pragma once

#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/distributed/collectives.h"

namespace vidssl {

//   dist: { sync_every: 1, bucket_mb: 25, timeout_s: 60 }
struct DataParallelOptions {
  // Steps between exchanges. 1: every step's gradients are averaged (synchronous data parallelism,
  // as DDP). K > 1: each rank steps on its own gradients and the weights are averaged every K steps
  // (local SGD), for ranks on a slow link.
  std::int64_t sync_every = 1;
  // Gradients are exchanged in buckets of about this size, the last parameters' first: each bucket
  // but the last is sent from within backward() as soon as its gradients are all made, while
  // backward() goes on making the earlier parameters' (DDP's overlap).
  double bucket_mb = 25;
};

// Throws std::invalid_argument naming the key ("dist.sync_every: …").
void check_options(const DataParallelOptions& options);

// A collective failed: a peer rank died, stalled past the group's timeout, or sent something else.
// Its message names this rank, the learner and the step.
class DataParallelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One learner's data-parallel training over the ranks of its own process group (DESIGN §11):
// joining makes every rank's weights rank 0's; every step's gradients are averaged over the ranks
// in buckets (SUM then ÷ ranks: a ring all-reduce leaves the same bits on every rank, so the
// ranks' weights stay bit-identical, the decoder renormalization included); the step's figures
// and its "loss finite" flag travel in the last bucket, so every rank logs and judges the same
// mean figures and skips the same steps. The other buckets are sent during backward(): a hook on
// each parameter copies its gradient into its bucket as autograd makes it, and a bucket whose
// gradients are all in is sent at once, in bucket order (every rank must start its collectives in
// the same order); one that is not complete when backward() returns (a parameter the loss did not
// reach) is sent by step(), packed from the parameters' .grad. One backward() per step (a second
// one is refused at step(): its gradients would miss the buckets already sent). Ranks run in
// lockstep, one exchange per step (per `sync_every` steps), and a rank whose stream ends leaves:
// the others learn it at their next exchange and stop too (with sync_every K > 1 the steps since
// the last exchange are each rank's own; with 1 the weights are the same).
//
//   DataParallel group(rendezvous.group("slow"), DataParallelOptions{}, "slow");
//   group.join(optimizer);                                   // rank 0's weights everywhere
//   if (!group.begin_step()) return;                         // a rank left: no more steps
//   loss.backward();
//   group.step(optimizer, figures, torch::isfinite(loss.detach()), [&] { model->normalize_decoder(); });
//   ...
//   group.leave();                                           // this rank's stream ended
class DataParallel {
 public:
  DataParallel(c10::intrusive_ptr<Collectives> group, DataParallelOptions options, std::string name);
  // Removes the gradient hooks from the parameters (the model may outlive its group).
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  const DataParallelOptions& options() const { return options_; }

  // Copies rank 0's parameters to every rank and plans the buckets. Every rank calls it, with an
  // optimizer over the same parameters (in the same state: a resumed run loads one checkpoint).
  void join(torch::optim::Optimizer& optimizer);
  // Called before each step's forward pass: false once a rank left (then no step is to be taken,
  // now or later). An exchange step asks the others first (one small all-reduce on the host).
  bool begin_step();
  // The update, between backward() and the next step: gradients (with sync_every 1) and `figures`
  // averaged over the ranks in place, the optimizer's step taken where every rank's loss was
  // finite (models/training/guarded_step.h), then `rule`; with sync_every K, every K-th step
  // averages the weights and applies `rule` again. Returns whether the step was applied (0-d bool).
  torch::Tensor step(torch::optim::Optimizer& optimizer, torch::Tensor& figures, const torch::Tensor& ok,
                     const std::function<void()>& rule = {});
  // This rank's stream ended: the others stop at their next exchange. A no-op once the group ended.
  void leave();
  // A rank left (this one or another), or a collective failed: no collective is made any more.
  bool ended() const { return ended_; }

  // Bytes each rank all-reduces per step (averaged over sync_every) and the seconds this rank spent
  // in exchanges so far (waiting for the others included).
  double bytes_per_step() const;
  double exchange_seconds() const { return exchange_seconds_; }
  std::size_t buckets() const { return buckets_.size(); }
  // Buckets sent from within backward() so far: with B buckets, B − 1 a step when every parameter
  // had a gradient (the last waits for the step's figures).
  std::int64_t buckets_sent_in_backward() const { return buckets_sent_in_backward_; }

 private:
  struct Bucket {
    std::vector<torch::Tensor> parameters;
    std::int64_t numel = 0;  // of the parameters
    torch::Tensor flat;      // numel (+ the extras in the last bucket)
    std::vector<std::int64_t> offsets;  // each parameter's slot in flat
    bool hooked = false;                // sent from within backward() (every bucket but the last)
    // This step's: which parameters' gradients the hooks copied in, how many are still to come,
    // and the all-reduce once sent.
    std::vector<char> arrived;
    std::int64_t waiting = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  // The hook of parameter `index` of bucket `bucket`: copies `gradient` (+ the parameter's .grad,
  // which autograd adds it to) into its slot and sends the buckets that are complete. Never throws:
  // a failure is kept for step() to rethrow (an exception would leave backward() half done).
  void gradient_arrived(std::size_t bucket, std::size_t index, const torch::Tensor& gradient);
  // Sends the buckets from next_to_send_ up to `end` in order: from backward() (`in_backward`)
  // while they are complete, else all of them, an incomplete one packed from the parameters' .grad.
  void send_buckets(std::size_t end, bool in_backward);
  void remove_hooks();
  // Asks every rank whether it goes on (sum of "I left" flags); false when one left.
  bool all_going(bool going);
  // All-reduces the buckets, each filled by `pack` as the one before is sent, waits, divides by the ranks.
  void all_reduce_buckets(const std::function<void(Bucket&)>& pack);
  // Calls `f(parameter, its slot)` for each parameter of `b`, its slot the view of b.flat it travels in.
  static void for_each_slot(Bucket& b, const std::function<void(torch::Tensor& parameter, torch::Tensor slot)>& f);
  // A collective started, and waited for; a failure of either names `what` (fail()).
  c10::intrusive_ptr<c10d::Work> start_all_reduce(std::vector<torch::Tensor>& tensors, const char* what);
  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what);
  [[noreturn]] void fail(const char* what, const std::exception& e);

  c10::intrusive_ptr<Collectives> group_;
  DataParallelOptions options_;
  std::string name_;
  int rank_ = 0;
  int world_size_ = 1;
  std::vector<Bucket> buckets_;  // the last parameters first: the order backward() makes their gradients
  std::vector<std::pair<torch::Tensor, unsigned>> hooks_;  // each parameter's gradient hook
  bool collecting_ = false;      // between begin_step() and step() of an exchange step: hooks act
  std::size_t next_to_send_ = 0;  // this step's first bucket not sent yet
  std::exception_ptr hook_error_;
  std::int64_t buckets_sent_in_backward_ = 0;
  std::int64_t extras_ = 0;      // figures + the not-finite flag, at the end of the last bucket
  std::int64_t steps_ = 0;       // begun
  bool ended_ = false;
  double exchange_seconds_ = 0;
};

// The update after backward() of a learner that may train data-parallel: `group`'s step (gradients
// and figures averaged over the ranks) when it is in one, else step_where() alone. Returns whether
// the step was made (0-d bool).
//
//   const torch::Tensor applied = step_where(*optimizer, data_parallel_.get(), figures, torch::isfinite(loss.detach()));
torch::Tensor step_where(torch::optim::Optimizer& optimizer, DataParallel* group, torch::Tensor& figures, const torch::Tensor& ok,
                         const std::function<void()>& rule = {});

}  // namespace vidssl
