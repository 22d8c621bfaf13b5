#include "models/distributed/data_parallel.h"

#include <torch/torch.h>

#include <cmath>

#include "models/training/guarded_step.h"

namespace vidssl {

void check_options(const DataParallelOptions& options) {
  if (options.sync_every < 1 || options.sync_every > 1000000)
    throw std::invalid_argument("dist.sync_every: expected an integer in [1, 1000000] (1: every step's gradients averaged), got " +
                                std::to_string(options.sync_every));
  if (!(options.bucket_mb > 0 && options.bucket_mb <= 4096))
    throw std::invalid_argument("dist.bucket_mb: expected megabytes in (0, 4096], got " + std::to_string(options.bucket_mb));
}

DataParallel::DataParallel(c10::intrusive_ptr<Collectives> group, DataParallelOptions options, std::string name)
    : group_(std::move(group)), options_((check_options(options), options)), name_(std::move(name)) {
  rank_ = group_->getRank();
  world_size_ = group_->getSize();
}

void DataParallel::fail(const char* what, const std::exception& e) {
  ended_ = true;  // the group is broken: leave() must not wait on it
  std::string peers = world_size_ == 2 ? "rank " + std::to_string(1 - rank_) : "another rank";
  throw DataParallelError("learner '" + name_ + "', rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + ": the " +
                          what + " of step " + std::to_string(steps_) + " failed (" + peers +
                          " died, stalled past dist.timeout or left the group out of step; the step was not applied): " + e.what());
}

c10::intrusive_ptr<c10d::Work> DataParallel::start_all_reduce(std::vector<torch::Tensor>& tensors, const char* what) {
  try {
    return group_->allreduce(tensors);
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void DataParallel::wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void DataParallel::join(torch::optim::Optimizer& optimizer) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parameters;
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) parameters.push_back(p);
  if (parameters.empty()) throw std::logic_error("DataParallel::join: the optimizer has no parameters");
  buckets_.clear();
  extras_ = 0;
  const auto cap = static_cast<std::int64_t>(options_.bucket_mb * (1 << 20));
  for (auto p = parameters.rbegin(); p != parameters.rend(); ++p) {
    if (p->scalar_type() != parameters.front().scalar_type() || p->device() != parameters.front().device())
      throw std::logic_error("DataParallel::join: parameters of one dtype and device only");
    const std::int64_t bytes = p->numel() * static_cast<std::int64_t>(p->element_size());
    if (buckets_.empty() ||
        (buckets_.back().numel * static_cast<std::int64_t>(p->element_size()) + bytes > cap && buckets_.back().numel > 0))
      buckets_.emplace_back();
    buckets_.back().parameters.push_back(*p);
    buckets_.back().numel += p->numel();
  }
  const auto started = std::chrono::steady_clock::now();
  // Ranks whose models differ (another config) would exchange buffers of other sizes: refused here,
  // by comparing each rank's parameter count and size with the ranks' sum.
  std::int64_t numel = 0;
  for (const auto& p : parameters) numel += p.numel();
  const std::int64_t shape[2] = {static_cast<std::int64_t>(parameters.size()), numel};
  std::vector<torch::Tensor> sums{torch::tensor({shape[0], shape[1]}, torch::kInt64)};
  wait(start_all_reduce(sums, "comparison of the ranks' models"), "comparison of the ranks' models");
  if (sums[0][0].item<std::int64_t>() != shape[0] * world_size_ || sums[0][1].item<std::int64_t>() != shape[1] * world_size_) {
    ended_ = true;
    throw DataParallelError("learner '" + name_ + "', rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + ": its model (" +
                            std::to_string(shape[0]) + " tensors, " + std::to_string(shape[1]) +
                            " weights) is not every rank's: run every rank with the same config");
  }
  for (auto& b : buckets_) {
    b.flat = torch::empty({b.numel}, parameters.front().options());
    for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) { slot.copy_(p.reshape(-1)); });
    std::vector<torch::Tensor> tensors{b.flat};
    c10d::BroadcastOptions broadcast;
    broadcast.rootRank = 0;
    c10::intrusive_ptr<c10d::Work> work;
    try {
      work = group_->broadcast(tensors, broadcast);
    } catch (const std::exception& e) {
      fail("broadcast of rank 0's weights", e);
    }
    wait(work, "broadcast of rank 0's weights");
    for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) { p.copy_(slot.view_as(p)); });
  }
  exchange_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

bool DataParallel::all_going(bool going) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> flag{torch::full({1}, going ? 0 : 1, torch::kInt32)};
  wait(start_all_reduce(flag, "exchange of who goes on"), "exchange of who goes on");
  exchange_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (flag[0].item<std::int32_t>() > 0) ended_ = true;
  return !ended_;
}

bool DataParallel::begin_step() {
  if (buckets_.empty()) throw std::logic_error("DataParallel::begin_step before join");
  if (ended_) return false;
  ++steps_;
  if (steps_ % options_.sync_every != 0) return true;
  return all_going(true);
}

void DataParallel::leave() {
  if (ended_ || buckets_.empty()) return;
  all_going(false);
  ended_ = true;
}

void DataParallel::all_reduce_buckets(const std::function<void(Bucket&, bool last)>& pack) {
  torch::NoGradGuard no_grad;
  const auto started = std::chrono::steady_clock::now();
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    pack(buckets_[i], i + 1 == buckets_.size());
    std::vector<torch::Tensor> tensors{buckets_[i].flat};
    works.push_back(start_all_reduce(tensors, "all-reduce"));  // sent while the next bucket is packed
  }
  for (auto& w : works) wait(w, "all-reduce");
  for (auto& b : buckets_) b.flat.div_(world_size_);
  exchange_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

torch::Tensor DataParallel::step(torch::optim::Optimizer& optimizer, torch::Tensor& figures, const torch::Tensor& ok,
                                 const std::function<void()>& rule) {
  if (ended_) throw std::logic_error("DataParallel::step after the group ended (begin_step() said so)");
  torch::Tensor applied = ok;
  if (options_.sync_every == 1) {
    const std::int64_t extras = figures.numel() + 1;
    if (extras != extras_) {  // the first step: the last bucket grows room for the figures and the flag
      Bucket& last = buckets_.back();
      last.flat = torch::empty({last.numel + extras}, last.flat.options());
      extras_ = extras;
    }
    all_reduce_buckets([&](Bucket& b, bool last) {
      for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) {
        if (p.grad().defined())
          slot.copy_(p.grad().reshape(-1));
        else
          slot.zero_();
      });
      if (!last) return;
      b.flat.narrow(0, b.numel, figures.numel()).copy_(figures.reshape(-1));
      b.flat[b.numel + figures.numel()].copy_(ok.logical_not());
    });
    for (auto& b : buckets_)
      for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) {
        if (p.grad().defined())
          p.mutable_grad().copy_(slot.view_as(p));
        else
          p.mutable_grad() = slot.view_as(p).clone();
      });
    const torch::Tensor& tail = buckets_.back().flat;
    const std::int64_t at = buckets_.back().numel;
    figures.copy_(tail.narrow(0, at, figures.numel()).view_as(figures));
    applied = tail[at + figures.numel()].eq(0);  // the mean of the ranks' "not finite" flags
  }
  step_where(optimizer, applied, rule);
  if (options_.sync_every > 1 && steps_ % options_.sync_every == 0) {
    all_reduce_buckets([](Bucket& b, bool) {
      for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) { slot.copy_(p.detach().reshape(-1)); });
    });
    torch::NoGradGuard no_grad;
    for (auto& b : buckets_) for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) { p.detach().copy_(slot.view_as(p)); });
    if (rule) rule();
  }
  return applied;
}

void DataParallel::for_each_slot(Bucket& b, const std::function<void(torch::Tensor& parameter, torch::Tensor slot)>& f) {
  std::int64_t offset = 0;
  for (auto& p : b.parameters) {
    f(p, b.flat.narrow(0, offset, p.numel()));
    offset += p.numel();
  }
}

double DataParallel::bytes_per_step() const {
  double bytes = 0;
  for (const auto& b : buckets_) bytes += static_cast<double>(b.numel * static_cast<std::int64_t>(b.flat.element_size()));
  if (options_.sync_every == 1) return bytes + static_cast<double>(extras_ * 4) + 4;  // + the "goes on" flag
  return (bytes + 4) / static_cast<double>(options_.sync_every);
}

torch::Tensor step_where(torch::optim::Optimizer& optimizer, DataParallel* group, torch::Tensor& figures, const torch::Tensor& ok,
                         const std::function<void()>& rule) {
  if (group) return group->step(optimizer, figures, ok, rule);
  step_where(optimizer, ok, rule);
  return ok;
}

}  // namespace vidssl
