#include "pipeline/stage_stats.h"

#include <algorithm>
#include <cmath>

namespace vidssl {

void StageStats::record_latency_us(std::int64_t us) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (latencies_us_.size() < kWindow) {
    latencies_us_.push_back(us);
  } else {
    latencies_us_[next_sample_] = us;
    next_sample_ = (next_sample_ + 1) % kWindow;
  }
}

double percentile(std::vector<std::int64_t> samples, double p) {
  if (samples.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(samples.size()));
  const std::size_t k = std::min(samples.size() - 1, static_cast<std::size_t>(std::max(1.0, rank)) - 1);
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k), samples.end());
  return static_cast<double>(samples[k]);
}

StageReport StageStats::report(const EdgeCounters* input, double now_s) {
  std::vector<std::int64_t> window;
  StageReport r;
  r.stage = stage_;
  r.items_in = items_in();
  r.items_out = items_out();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    window.swap(latencies_us_);
    next_sample_ = 0;
    r.window_s = now_s - window_start_s_;
    const std::uint64_t processed = r.items_in - window_start_in_;
    r.items_per_s = r.window_s > 0 ? static_cast<double>(processed) / r.window_s : 0;
    window_start_s_ = now_s;
    window_start_in_ = r.items_in;
  }
  r.p50_ms = percentile(window, 50) / 1000.0;
  r.p99_ms = percentile(std::move(window), 99) / 1000.0;
  if (input) {
    r.dropped = input->dropped;
    r.queue_depth = input->depth;
    r.queue_capacity = input->capacity;
  }
  return r;
}

}  // namespace vidssl
