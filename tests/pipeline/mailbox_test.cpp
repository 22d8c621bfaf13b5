#include "pipeline/mailbox.h"

#include <gtest/gtest.h>

#include <thread>

namespace vidssl {
namespace {

TEST(Mailbox, NewestWinsAndOverwritesAreCounted) {
  Mailbox<int> box;
  std::uint64_t seen = 0;
  EXPECT_FALSE(box.take_newer(seen).has_value());
  box.post(1);
  box.post(2);
  box.post(3);
  EXPECT_EQ(box.take_newer(seen), 3);
  EXPECT_EQ(box.replaced(), 2u);
  EXPECT_FALSE(box.take_newer(seen).has_value()) << "nothing newer than what this reader saw";
  box.post(4);
  EXPECT_EQ(box.take_newer(seen), 4);
  EXPECT_EQ(box.replaced(), 2u) << "a value that was read is not a replacement";
}

TEST(Mailbox, EachReaderKeepsItsOwnPosition) {
  Mailbox<int> box;
  box.post(7);
  std::uint64_t a = 0, b = 0;
  EXPECT_EQ(box.take_newer(a), 7);
  EXPECT_EQ(box.take_newer(b), 7);
}

TEST(Mailbox, WaitNewerWakesOnPostAndOnClose) {
  Mailbox<int> box;
  std::uint64_t seen = 0;
  std::thread writer([&] { box.post(5); });
  auto v = box.wait_newer(seen, std::chrono::seconds(30));
  writer.join();
  EXPECT_EQ(v, 5);
  std::thread closer([&] { box.close(); });
  EXPECT_FALSE(box.wait_newer(seen, std::chrono::seconds(30)).has_value());
  closer.join();
  EXPECT_TRUE(box.closed());
}

}  // namespace
}  // namespace vidssl
