#include "pipeline/stage_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace vidssl {
namespace {

TEST(StageStats, PercentileMatchesTheSortedNearestRank) {
  std::mt19937 rng(3);
  std::vector<std::int64_t> samples(1001);
  for (auto& s : samples) s = rng() % 100000;
  auto sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(percentile(samples, 50), sorted[500]);
  EXPECT_EQ(percentile(samples, 99), sorted[990]);
  EXPECT_EQ(percentile(samples, 100), sorted[1000]);
  EXPECT_EQ(percentile({}, 50), 0);
}

TEST(StageStats, ReportGivesTheWindowRateAndLatencies) {
  StageStats stats("decode");
  for (int i = 1; i <= 100; ++i) {
    stats.count_in();
    stats.record_latency_us(i * 1000);
  }
  stats.count_out(100);
  EdgeCounters input;
  input.dropped = 3;
  input.depth = 2;
  input.capacity = 4;
  const StageReport r = stats.report(&input, 2.0);
  EXPECT_EQ(r.stage, "decode");
  EXPECT_EQ(r.items_in, 100u);
  EXPECT_DOUBLE_EQ(r.items_per_s, 50.0);
  EXPECT_DOUBLE_EQ(r.p50_ms, 50.0);
  EXPECT_DOUBLE_EQ(r.p99_ms, 99.0);
  EXPECT_EQ(r.dropped, 3u);
  EXPECT_EQ(r.queue_depth, 2u);
  const StageReport next = stats.report(nullptr, 3.0);
  EXPECT_DOUBLE_EQ(next.items_per_s, 0.0) << "a new window starts after each report";
  EXPECT_DOUBLE_EQ(next.p99_ms, 0.0);
}

TEST(StageStats, LatencyWindowIsBounded) {
  StageStats stats("x");
  for (std::size_t i = 0; i < 3 * StageStats::kWindow; ++i) stats.record_latency_us(1);
  stats.record_latency_us(1'000'000);
  EXPECT_DOUBLE_EQ(stats.report(nullptr, 1.0).p50_ms, 0.001);
}

}  // namespace
}  // namespace vidssl
