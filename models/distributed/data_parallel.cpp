#include "models/distributed/data_parallel.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "models/torch_runtime.h"
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

DataParallel::~DataParallel() { remove_hooks(); }

void DataParallel::remove_hooks() {
  for (auto& [parameter, hook] : hooks_) parameter.remove_hook(hook);
  hooks_.clear();
}

void DataParallel::fail(const char* what, const std::exception& e) {
  ended_ = true;  // the group is broken: leave() must not wait on it
  std::string peers = world_size_ == 2 ? "rank " + std::to_string(1 - rank_) : "another rank";
  throw DataParallelError("learner '" + name_ + "', rank " + std::to_string(rank_) + " of " + std::to_string(world_size_) + ": the " +
                          what + " of step " + std::to_string(steps_) + " failed (" + peers +
                          " died, stalled past dist.timeout or left the group out of step; the step was not applied): " + error_message(e));
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
    buckets_.back().offsets.push_back(buckets_.back().numel);
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
  remove_hooks();
  if (options_.sync_every != 1) return;  // weights are averaged, after the step
  for (std::size_t i = 0; i + 1 < buckets_.size(); ++i) {
    Bucket& b = buckets_[i];
    b.arrived.assign(b.parameters.size(), 0);
    b.hooked = std::all_of(b.parameters.begin(), b.parameters.end(), [](const torch::Tensor& p) { return p.requires_grad(); });
    if (!b.hooked) continue;  // a frozen parameter's gradient never comes: step() sends the bucket
    for (std::size_t j = 0; j < b.parameters.size(); ++j)
      hooks_.emplace_back(b.parameters[j], b.parameters[j].register_hook([this, i, j](const torch::Tensor& gradient) {
        gradient_arrived(i, j, gradient);
      }));
  }
}

void DataParallel::gradient_arrived(std::size_t bucket, std::size_t index, const torch::Tensor& gradient) {
  if (!collecting_) return;  // not a training step's backward(), or a step that exchanges no gradients
  try {
    Bucket& b = buckets_[bucket];
    if (b.arrived[index])
      throw std::logic_error("DataParallel (learner '" + name_ + "'): a parameter's gradient arrived twice in step " +
                             std::to_string(steps_) + ": one backward() per step, its buckets are sent as it goes");
    b.arrived[index] = 1;
    torch::NoGradGuard no_grad;
    torch::Tensor slot = b.flat.narrow(0, b.offsets[index], b.parameters[index].numel());
    slot.copy_(gradient.reshape(-1));
    // What autograd's accumulation will leave in .grad (a sum: the same bits in either order).
    const torch::Tensor& before = b.parameters[index].grad();
    if (before.defined()) slot.add_(before.reshape(-1));
    if (--b.waiting > 0) return;
    const auto started = std::chrono::steady_clock::now();
    send_buckets(buckets_.size() - 1, true);
    exchange_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  } catch (...) {
    hook_error_ = std::current_exception();
    collecting_ = false;
  }
}

void DataParallel::send_buckets(std::size_t end, bool in_backward) {
  for (; next_to_send_ < end; ++next_to_send_) {
    Bucket& b = buckets_[next_to_send_];
    if (!b.hooked || b.waiting > 0) {
      if (in_backward) return;
      for_each_slot(b, [](torch::Tensor& p, torch::Tensor slot) {
        if (p.grad().defined())
          slot.copy_(p.grad().reshape(-1));
        else
          slot.zero_();
      });
    }
    std::vector<torch::Tensor> tensors{b.flat};
    b.work = start_all_reduce(tensors, "all-reduce");
    if (in_backward) ++buckets_sent_in_backward_;
  }
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
  if (!all_going(true)) return false;
  if (options_.sync_every == 1) {
    next_to_send_ = 0;
    for (auto& b : buckets_) {
      std::fill(b.arrived.begin(), b.arrived.end(), 0);
      b.waiting = static_cast<std::int64_t>(b.parameters.size());
      b.work.reset();
    }
    collecting_ = true;
  }
  return true;
}

void DataParallel::leave() {
  if (ended_ || buckets_.empty()) return;
  all_going(false);
  ended_ = true;
}

void DataParallel::all_reduce_buckets(const std::function<void(Bucket&)>& pack) {
  torch::NoGradGuard no_grad;
  const auto started = std::chrono::steady_clock::now();
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (auto& b : buckets_) {
    pack(b);
    std::vector<torch::Tensor> tensors{b.flat};
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
    collecting_ = false;
    if (hook_error_) std::rethrow_exception(std::exchange(hook_error_, nullptr));
    torch::NoGradGuard no_grad;
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t extras = figures.numel() + 1;
    Bucket& last = buckets_.back();
    if (extras != extras_) {  // the first step: the last bucket grows room for the figures and the flag
      last.flat = torch::empty({last.numel + extras}, last.flat.options());
      extras_ = extras;
    }
    last.flat.narrow(0, last.numel, figures.numel()).copy_(figures.reshape(-1));
    last.flat[last.numel + figures.numel()].copy_(ok.logical_not());
    send_buckets(buckets_.size(), false);  // those backward() did not complete, then the last
    for (auto& b : buckets_) wait(b.work, "all-reduce");
    for (auto& b : buckets_) b.flat.div_(world_size_);
    exchange_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
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
    all_reduce_buckets([](Bucket& b) {
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
