#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "pipeline/doorbell.h"

namespace vidssl {

// One slot, newest wins: for readers that want the latest value and must never slow the writer
// (the display, a status line). A value overwritten before anyone read it is counted as replaced,
// so a display that cannot keep up shows up in the stats instead of silently.
//
// Any number of writers and readers; each reader keeps its own `seen` version. A mailbox made
// with a doorbell rings it on every post and on close, so one reader can watch several mailboxes.
template <class T>
class Mailbox {
 public:
  explicit Mailbox(std::shared_ptr<Doorbell> bell = nullptr) : bell_(std::move(bell)) {}

  void post(T value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (value_ && !read_since_post_) ++replaced_;
      value_ = std::move(value);
      ++version_;
      read_since_post_ = false;
    }
    changed_.notify_all();
    if (bell_) bell_->ring();
  }

  // The newest value if it is newer than `seen` (and updates `seen`); never waits.
  std::optional<T> take_newer(std::uint64_t& seen) {
    std::lock_guard<std::mutex> lock(mutex_);
    return newer_locked(seen);
  }

  // Waits up to `timeout` for a value newer than `seen`, or until close().
  template <class Rep, class Period>
  std::optional<T> wait_newer(std::uint64_t& seen, std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return version_ > seen || closed_; });
    return newer_locked(seen);
  }

  // Wakes waiting readers for good (the producer is finished).
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
    if (bell_) bell_->ring();
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }

  std::uint64_t replaced() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return replaced_;
  }

 private:
  std::optional<T> newer_locked(std::uint64_t& seen) {
    if (!value_ || version_ <= seen) return std::nullopt;
    seen = version_;
    read_since_post_ = true;
    return value_;
  }

  std::shared_ptr<Doorbell> bell_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<T> value_;
  std::uint64_t version_ = 0;
  std::uint64_t replaced_ = 0;
  bool read_since_post_ = false;
  bool closed_ = false;
};

}  // namespace vidssl
