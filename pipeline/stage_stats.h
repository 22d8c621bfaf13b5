#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/spsc_queue.h"

namespace vidssl {

// One stage's figures for one reporting window (and running totals).
struct StageReport {
  std::string stage;
  std::uint64_t items_in = 0;    // total
  std::uint64_t items_out = 0;   // total
  std::uint64_t dropped = 0;     // total, on the stage's input edge
  std::size_t queue_depth = 0;   // input edge, now
  std::size_t queue_capacity = 0;
  double window_s = 0;           // length of this window
  double items_per_s = 0;        // processed in this window
  double p50_ms = 0;             // process() time in this window, waits on a full output edge included
  double p99_ms = 0;
};

// Counters and process() latencies of one stage. Written by the stage's thread, read by the
// reporter; latencies are kept in a bounded window so a long run has a fixed footprint.
class StageStats {
 public:
  explicit StageStats(std::string stage) : stage_(std::move(stage)) {}

  void count_in() { items_in_.fetch_add(1, std::memory_order_relaxed); }
  void count_out(std::uint64_t n = 1) { items_out_.fetch_add(n, std::memory_order_relaxed); }
  void record_latency_us(std::int64_t us);

  std::uint64_t items_in() const { return items_in_.load(std::memory_order_relaxed); }
  std::uint64_t items_out() const { return items_out_.load(std::memory_order_relaxed); }

  // Figures since the last call (latency window, rate) plus totals; `input` may be null.
  StageReport report(const EdgeCounters* input, double now_s);

  static constexpr std::size_t kWindow = 4096;

 private:
  std::string stage_;
  std::atomic<std::uint64_t> items_in_{0};
  std::atomic<std::uint64_t> items_out_{0};
  std::mutex mutex_;
  std::vector<std::int64_t> latencies_us_;  // ring of the last kWindow samples
  std::size_t next_sample_ = 0;
  std::uint64_t window_start_in_ = 0;
  double window_start_s_ = 0;
};

// The p-th percentile (0..100) of samples, by nearest rank; 0 when empty.
double percentile(std::vector<std::int64_t> samples, double p);

}  // namespace vidssl
