#include "models/distributed/rank_env.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

namespace vidssl {
namespace {

std::optional<RankEnv> read(const std::map<std::string, std::string>& table) {
  return read_rank_env([&](const char* name) -> const char* {
    const auto at = table.find(name);
    return at == table.end() ? nullptr : at->second.c_str();
  });
}

std::string error_of(const std::map<std::string, std::string>& table) {
  try {
    read(table);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(RankEnv, NoRankIsTheSingleProcessOfAPlainRun) { EXPECT_FALSE(read({{"MASTER_ADDR", "10.0.0.1"}}).has_value()); }

TEST(RankEnv, ReadsWhatTorchrunSets) {
  const auto env = read({{"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29400"}, {"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}});
  ASSERT_TRUE(env.has_value());
  EXPECT_EQ(env->master_addr, "10.0.0.1");
  EXPECT_EQ(env->master_port, 29400);
  EXPECT_EQ(env->rank, 3);
  EXPECT_EQ(env->world_size, 4);
  EXPECT_EQ(env->local_rank, 1);
  // One rank needs no store address; LOCAL_RANK defaults to RANK.
  const auto one = read({{"RANK", "0"}, {"WORLD_SIZE", "1"}});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->local_rank, 0);
}

TEST(RankEnv, AMissingOrBadVariableIsNamed) {
  EXPECT_NE(error_of({{"RANK", "0"}}).find("WORLD_SIZE: not set"), std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "2"}}).find("RANK: not set"), std::string::npos);
  EXPECT_NE(error_of({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}})
                .find("RANK: expected an integer in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of({{"RANK", "x"}, {"WORLD_SIZE", "2"}}).find("RANK: expected"), std::string::npos);
  EXPECT_NE(error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29500"}}).find("MASTER_ADDR: not set"), std::string::npos);
  EXPECT_NE(error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("MASTER_PORT: not set"), std::string::npos);
  EXPECT_NE(error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT: expected"),
            std::string::npos);
}

}  // namespace
}  // namespace vidssl
