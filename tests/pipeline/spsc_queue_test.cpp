#include "pipeline/spsc_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace vidssl {
namespace {

// Work that takes real CPU time without sleeping, to make a consumer slower than its producer.
std::uint64_t busy_work(int iterations) {
  volatile std::uint64_t x = 1;
  for (int i = 0; i < iterations; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x;
}

TEST(SpscQueue, BlockEdgeDeliversAMillionItemsInOrderNoneLost) {
  constexpr std::int64_t kItems = 1'000'000;
  SpscQueue<std::int64_t> queue({/*capacity=*/64, EdgePolicy::block});
  std::thread producer([&] {
    for (std::int64_t i = 0; i < kItems; ++i) ASSERT_TRUE(queue.push(i));
    queue.close();
  });
  std::int64_t expected = 0;
  std::int64_t out_of_order = 0;
  while (auto item = queue.pop()) {
    if (*item != expected) ++out_of_order;
    expected = *item + 1;
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(expected, kItems);
  const EdgeCounters c = queue.counters();
  EXPECT_EQ(c.pushed, static_cast<std::uint64_t>(kItems));
  EXPECT_EQ(c.delivered, static_cast<std::uint64_t>(kItems));
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.depth, 0u);
}

// A slow consumer on a live edge: every item is either delivered or counted as dropped, what is
// delivered keeps its order, and the ring never holds more than its bound.
void check_lossy_edge(EdgePolicy policy) {
  constexpr std::int64_t kItems = 200'000;
  constexpr std::size_t kCapacity = 4;
  SpscQueue<std::int64_t> queue({kCapacity, policy});
  std::atomic<std::size_t> max_depth_seen{0};
  std::thread producer([&] {
    for (std::int64_t i = 0; i < kItems; ++i) {
      ASSERT_TRUE(queue.push(i));
      const std::size_t depth = queue.counters().depth;
      if (depth > max_depth_seen.load()) max_depth_seen.store(depth);
    }
    queue.close();
  });
  std::uint64_t delivered = 0;
  std::int64_t last = -1;
  bool ordered = true;
  while (auto item = queue.pop()) {
    ++delivered;
    ordered = ordered && *item > last;
    last = *item;
    busy_work(2000);
  }
  producer.join();
  const EdgeCounters c = queue.counters();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(c.pushed, static_cast<std::uint64_t>(kItems));
  EXPECT_EQ(c.delivered, delivered);
  EXPECT_EQ(c.delivered + c.dropped, c.pushed);
  EXPECT_GT(c.dropped, 0u) << "the consumer was meant to be slower than the producer";
  EXPECT_LE(max_depth_seen.load(), kCapacity);
  EXPECT_EQ(last, kItems - 1) << "the newest item is never lost when the consumer catches up";
}

TEST(SpscQueue, DropOldestCountsEveryDropAndStaysBounded) { check_lossy_edge(EdgePolicy::drop_oldest); }
TEST(SpscQueue, DropNewestCountsEveryDropAndStaysBounded) {
  // drop_newest may reject the very last item, so only the accounting is the same.
  constexpr std::size_t kCapacity = 3;
  SpscQueue<int> queue({kCapacity, EdgePolicy::drop_newest});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(queue.push(i));
  EXPECT_EQ(queue.counters().depth, kCapacity);
  std::vector<int> got;
  while (auto item = queue.try_pop()) got.push_back(*item);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
  const EdgeCounters c = queue.counters();
  EXPECT_EQ(c.dropped, 7u);
  EXPECT_EQ(c.delivered + c.dropped, c.pushed);
}

TEST(SpscQueue, DropOldestConsumerTakesTheNewestWaitingItem) {
  SpscQueue<int> queue({8, EdgePolicy::drop_oldest});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(queue.push(i));
  auto item = queue.try_pop();
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(*item, 4);
  EXPECT_EQ(queue.counters().dropped, 4u);
  EXPECT_FALSE(queue.try_pop().has_value());
}

TEST(SpscQueue, CloseLetsTheConsumerDrainWhatIsQueued) {
  SpscQueue<int> queue({4, EdgePolicy::block});
  ASSERT_TRUE(queue.push(1));
  ASSERT_TRUE(queue.push(2));
  queue.close();
  EXPECT_EQ(queue.pop(), 1);
  EXPECT_EQ(queue.pop(), 2);
  EXPECT_FALSE(queue.pop().has_value());
}

TEST(SpscQueue, CancelWakesABlockedProducerAndABlockedConsumer) {
  SpscQueue<int> full({1, EdgePolicy::block});
  ASSERT_TRUE(full.push(0));
  std::atomic<bool> push_result{true};
  std::thread producer([&] { push_result = full.push(1); });  // blocks: ring is full

  SpscQueue<int> empty({1, EdgePolicy::block});
  std::atomic<bool> got_item{true};
  std::thread consumer([&] { got_item = empty.pop().has_value(); });  // blocks: ring is empty

  full.cancel();
  empty.cancel();
  producer.join();
  consumer.join();
  EXPECT_FALSE(push_result.load());
  EXPECT_FALSE(got_item.load());
}

TEST(SpscQueue, DropOldestKeepsTheNewestItemWhenTheRingIsFull) {
  SpscQueue<int> queue({3, EdgePolicy::drop_oldest});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(queue.push(i));  // nobody pops meanwhile
  EXPECT_LE(queue.counters().depth, 3u);
  EXPECT_EQ(queue.try_pop(), 9);
  EXPECT_FALSE(queue.try_pop().has_value());
  ASSERT_TRUE(queue.push(10));
  EXPECT_EQ(queue.try_pop(), 10) << "after the overflow slot empties, the ring is used again";
  const EdgeCounters c = queue.counters();
  EXPECT_EQ(c.delivered, 2u);
  EXPECT_EQ(c.delivered + c.dropped, c.pushed);
}

TEST(SpscQueue, BadCapacitiesAreRefused) {
  EXPECT_THROW(SpscQueue<int>({0, EdgePolicy::block}), std::invalid_argument);
  EXPECT_THROW(SpscQueue<int>({1, EdgePolicy::drop_oldest}), std::invalid_argument);
}

}  // namespace
}  // namespace vidssl
