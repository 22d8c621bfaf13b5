#include "stages/config_reader.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "stages/source_config.h"

namespace vidssl {
namespace {

// The message of the ConfigError that reading `yaml` throws, or "" when none.
std::string error_of(const std::string& yaml) {
  try {
    ConfigReader reader(YAML::Load(yaml), "test.yaml");
    SourceOptions source;
    read_source_options(reader, source);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigReader, AKeyGivenTwiceIsRefusedNamingItAndItsLine) {
  EXPECT_EQ(error_of("source:\n  path: a.mp4\n  width: 64\n  width: 32\n"), "source.width: given twice in test.yaml (line 4)");
  EXPECT_EQ(error_of("source: {path: a.mp4}\nsource: {path: b.mp4}\n"), "source: given twice in test.yaml (line 2)");
  EXPECT_EQ(error_of("source:\n  path: a.mp4\n  width: 64\n"), "");
}

// "Billion laughs": nine levels of ten aliases each would be 10⁹ values; refused at once.
TEST(ConfigReader, NestedAliasesAreBoundedAndDeepNestingIsRefused) {
  std::string yaml = "a0: &a0 {x: 1}\n";
  for (int level = 1; level <= 9; ++level) {
    yaml += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " {";
    for (int i = 0; i < 10; ++i) yaml += std::string(i ? ", " : "") + "k" + std::to_string(i) + ": *a" + std::to_string(level - 1);
    yaml += "}\n";
  }
  EXPECT_EQ(error_of(yaml), "test.yaml: more than 10000 values once aliases are expanded (a config is a few hundred)");

  std::string deep = "source: {path: a.mp4}\nx: ";
  for (int i = 0; i < 20; ++i) deep += "{y: ";
  deep += "1" + std::string(20, '}') + "\n";
  EXPECT_NE(error_of(deep).find(": nested deeper than 16 levels in test.yaml"), std::string::npos) << error_of(deep);
}

TEST(ConfigReader, AValueInAMessageIsCutToOneShortLine) {
  const std::string message = error_of("source:\n  path: a.mp4\n  width: " + std::string(1 << 20, 'w') + "\n");
  EXPECT_EQ(message, "source.width: expected an integer, got '" + std::string(60, 'w') + "… (1048576 characters)'");
  EXPECT_EQ(error_of("source:\n  path: a.mp4\n  width: \"12\\nthirteen\"\n"), "source.width: expected an integer, got '12… (11 characters)'");
}

// Keys come from the file too: a long unknown key with a line break in it is still one
// line of bounded length, whoever throws.
TEST(ConfigReader, EveryMessageIsOneLineOfBoundedLength) {
  const std::string key = "k\\ney" + std::string(900, 'y');  // YAML allows 1024 characters in a key
  std::string message;
  try {
    ConfigReader reader(YAML::Load("source: {path: a.mp4}\n\"" + key + "\": 1\n"), "test.yaml");
    SourceOptions source;
    read_source_options(reader, source);
    reader.finish();
  } catch (const ConfigError& e) {
    message = e.what();
  }
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_LE(message.size(), ConfigError::kMaxLength + 16);
  EXPECT_EQ(message.rfind("k ey", 0), 0u) << message.substr(0, 80);
  EXPECT_NE(message.find("… (cut)"), std::string::npos);
}

TEST(ConfigReader, AnUnsetSourcePathIsNamed) {
  EXPECT_EQ(error_of("{}").rfind("source.path: required: a video file, a folder of clips", 0), 0u) << error_of("{}");
  EXPECT_EQ(error_of("source: {width: 64}").rfind("source.path: required", 0), 0u);
}

}  // namespace
}  // namespace vidssl
