#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/lockfree/spsc_queue.hpp>

#include "pipeline/edge_options.h"

namespace vidssl {

// Counters of one edge. delivered + dropped == pushed once the edge is drained.
struct EdgeCounters {
  std::uint64_t pushed = 0;     // items the producer offered (queued or dropped)
  std::uint64_t delivered = 0;  // items handed to the consumer
  std::uint64_t dropped = 0;    // skipped, replaced or rejected by the policy (never silent)
  std::size_t depth = 0;        // items waiting now
  std::size_t capacity = 0;
};

// A bounded single-producer/single-consumer edge between two stages, over
// boost::lockfree::spsc_queue, with a full-queue policy (see EdgePolicy).
//
// Why a lock-free ring plus a mutex: the hot path (an item ready, room free) never takes a lock;
// a side that must wait spins briefly and then parks on a condition variable instead of polling,
// and the other side takes the mutex only when it sees a parked peer.
//
// drop_oldest keeps the newest item even when the ring is full: only the consumer may pop a
// single-producer ring, so the producer puts the item into a one-item overflow slot instead
// (replacing, and counting, an older one there), and the consumer prefers that slot to anything
// in the ring, which is older. The ring holds capacity - 1 items, so ring + slot <= capacity.
//
// Threading: push() from one producer thread, pop() and try_pop() from one consumer thread;
// close(), cancel() and counters() from any thread.
template <class T>
class SpscQueue {
 public:
  explicit SpscQueue(EdgeOptions options) : options_(checked(options)), ring_(ring_size(options)) {}

  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  // Offers an item. Returns false once the edge is cancelled, or closed by another thread (a
  // source whose stream was ended while it was reading): the producer should stop; an item offered
  // to a closed edge is counted as dropped. True when the item was queued or dropped by the policy.
  bool push(const T& item) {
    for (;;) {
      if (cancelled_.load(std::memory_order_acquire)) return false;
      if (closed_.load(std::memory_order_acquire)) {
        count_rejected();
        return false;
      }
      const bool overflowing = overflow_full_.load(std::memory_order_acquire);
      if (!overflowing && ring_.push(item)) {
        pushed_.fetch_add(1, std::memory_order_seq_cst);
        notify(consumer_parked_, not_empty_, produced_);
        return true;
      }
      switch (options_.policy) {
        case EdgePolicy::drop_oldest:
          put_in_overflow(item);
          notify(consumer_parked_, not_empty_, produced_);
          return true;
        case EdgePolicy::drop_newest:
          count_rejected();
          return true;
        case EdgePolicy::block:
          park(producer_parked_, not_full_, consumed_, [&] {
            return ring_.write_available() > 0 || closed_.load(std::memory_order_acquire) ||
                   cancelled_.load(std::memory_order_acquire);
          });
          break;
      }
    }
  }

  // Waits for the next item. Under drop_oldest, skips to the newest waiting item.
  // Returns nullopt when the edge is closed and drained, or cancelled.
  std::optional<T> pop() {
    for (;;) {
      if (cancelled_.load(std::memory_order_acquire)) return std::nullopt;
      if (auto item = try_pop()) return item;
      if (closed_.load(std::memory_order_acquire)) return try_pop();  // the last items pushed before close
      park(consumer_parked_, not_empty_, produced_, [&] {
        return ring_.read_available() > 0 || overflow_full_.load(std::memory_order_acquire) ||
               closed_.load(std::memory_order_acquire) || cancelled_.load(std::memory_order_acquire);
      });
    }
  }

  // Takes an item if one is waiting; never waits.
  std::optional<T> try_pop() {
    std::optional<T> out;
    // Counted inside the functor, which runs before the ring releases the slot to the producer.
    auto take = [&](T& item) {
      taken_.fetch_add(1, std::memory_order_seq_cst);
      if (out) dropped_.fetch_add(1, std::memory_order_seq_cst);  // an older item skipped
      out.emplace(std::move(item));
    };
    if (options_.policy == EdgePolicy::drop_oldest) {
      while (ring_.consume_one(take)) {
      }
      if (overflow_full_.load(std::memory_order_acquire)) {
        // While the slot is full the producer writes only to the slot, so whatever the ring holds
        // now (it may have refilled since the loop above) is older than the slot's item.
        std::lock_guard<std::mutex> lock(overflow_mutex_);
        while (ring_.consume_one(take)) {
        }
        take(*overflow_);
        overflow_.reset();
        overflow_full_.store(false, std::memory_order_release);
      }
    } else {
      ring_.consume_one(take);
    }
    if (out) {
      delivered_.fetch_add(1, std::memory_order_seq_cst);
      notify(producer_parked_, not_full_, consumed_);
    }
    return out;
  }

  // No more items: from the producer, or from another thread ending a stream the producer is stuck
  // in. The consumer drains what is queued, then pop() returns nullopt.
  void close() {
    closed_.store(true, std::memory_order_release);
    wake_all();
  }

  // Abort from any thread: both sides stop waiting; queued items are abandoned.
  void cancel() {
    cancelled_.store(true, std::memory_order_release);
    wake_all();
  }

  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // pushed is read first: an item is counted as pushed only once it is queued, so the depth read
  // here never exceeds what the edge held.
  EdgeCounters counters() const {
    EdgeCounters c;
    c.pushed = pushed_.load(std::memory_order_seq_cst);
    c.delivered = delivered_.load(std::memory_order_seq_cst);
    c.dropped = dropped_.load(std::memory_order_seq_cst);
    const std::uint64_t taken = taken_.load(std::memory_order_seq_cst);
    c.depth = c.pushed > taken ? static_cast<std::size_t>(c.pushed - taken) : 0;
    c.capacity = options_.capacity;
    return c;
  }

  const EdgeOptions& options() const { return options_; }

 private:
  static EdgeOptions checked(EdgeOptions options) {
    check_options(options);
    return options;
  }
  static std::size_t ring_size(const EdgeOptions& options) {
    return options.policy == EdgePolicy::drop_oldest ? options.capacity - 1 : options.capacity;
  }

  void count_rejected() {
    dropped_.fetch_add(1, std::memory_order_seq_cst);
    taken_.fetch_add(1, std::memory_order_seq_cst);
    pushed_.fetch_add(1, std::memory_order_seq_cst);
  }

  void put_in_overflow(const T& item) {
    std::lock_guard<std::mutex> lock(overflow_mutex_);
    if (overflow_) {  // replaced by a newer one
      dropped_.fetch_add(1, std::memory_order_seq_cst);
      taken_.fetch_add(1, std::memory_order_seq_cst);
    }
    overflow_ = item;
    pushed_.fetch_add(1, std::memory_order_seq_cst);
    overflow_full_.store(true, std::memory_order_release);
  }

  // Spin briefly (an item is usually microseconds away), then sleep on the condition variable.
  // `version` is bumped by the peer after every change; the parked flag and the version are both
  // seq_cst, so either the peer sees the flag and notifies, or this side sees the new version.
  template <class Ready>
  void park(std::atomic<bool>& parked, std::condition_variable& cv, const std::atomic<std::uint64_t>& version,
            Ready ready) {
    for (int spin = 0; spin < kSpins; ++spin) {
      if (ready()) return;
    }
    const std::uint64_t seen = version.load(std::memory_order_seq_cst);
    if (ready()) return;
    std::unique_lock<std::mutex> lock(mutex_);
    parked.store(true, std::memory_order_seq_cst);
    cv.wait(lock, [&] {
      return version.load(std::memory_order_seq_cst) != seen || closed_.load() || cancelled_.load();
    });
    parked.store(false, std::memory_order_seq_cst);
  }

  void notify(std::atomic<bool>& parked, std::condition_variable& cv, std::atomic<std::uint64_t>& version) {
    version.fetch_add(1, std::memory_order_seq_cst);
    if (parked.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(mutex_);
      cv.notify_one();
    }
  }

  void wake_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  static constexpr int kSpins = 256;

  EdgeOptions options_;
  boost::lockfree::spsc_queue<T> ring_;
  std::atomic<std::uint64_t> pushed_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> taken_{0};     // left the edge: delivered, skipped, replaced or rejected
  std::atomic<std::uint64_t> produced_{0};  // version the consumer waits on
  std::atomic<std::uint64_t> consumed_{0};  // version the producer waits on
  std::atomic<bool> closed_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> consumer_parked_{false};
  std::atomic<bool> producer_parked_{false};
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::mutex overflow_mutex_;
  std::optional<T> overflow_;
  std::atomic<bool> overflow_full_{false};
};

}  // namespace vidssl
