#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace vidssl {

// A bad config: one line naming the key and what was expected, e.g.
//   "model.alpha: expected a number, got 'abc'". The CLI exits with status 2 on it.
// Keys and values in a message come from the file, so the message is made one line here, for
// every thrower: control characters become spaces, and it is cut at kMaxLength characters.
class ConfigError : public std::runtime_error {
 public:
  static constexpr std::size_t kMaxLength = 400;
  explicit ConfigError(const std::string& message) : std::runtime_error(one_line(message)) {}

 private:
  static std::string one_line(const std::string& message);
};

// Reads dotted keys ("model.alpha") from a YAML tree into typed fields, keeping the field's
// default when the key is absent, and records every key it was asked for with the value used.
// Why: the mapping from YAML to options structs is then plain code (one read() per key, next to
// the field it fills), unknown keys are found by difference (finish()), and the resolved config
// that a run saves is written from the same reads, so the two can never disagree.
//
//   ConfigReader reader(YAML::LoadFile(path), path);
//   reader.read("model.alpha", options.alpha);      // ConfigError if not a number
//   reader.finish();                                // ConfigError on a key nobody read
//   std::string yaml = reader.resolved_yaml();
// The most values a config may hold once its aliases are expanded: a config holds a few hundred
// at most; the bound only stops a file made to expand without end.
constexpr std::int64_t kConfigNodeLimit = 10000;

class ConfigReader {
 public:
  ConfigReader(YAML::Node root, std::string origin);

  void read(const std::string& key, std::int64_t& value);
  void read(const std::string& key, int& value);
  void read(const std::string& key, double& value);
  void read(const std::string& key, bool& value);
  void read(const std::string& key, std::string& value);

  // A key whose value is one of a few names.
  template <class Enum>
  void read_choice(const std::string& key, Enum& value, std::initializer_list<std::pair<const char*, Enum>> choices) {
    std::string name;
    for (const auto& c : choices)
      if (c.second == value) name = c.first;
    read(key, name);
    std::string expected;
    for (const auto& c : choices) {
      if (name == c.first) {
        value = c.second;
        return;
      }
      expected += (expected.empty() ? "" : ", ") + std::string(c.first);
    }
    throw ConfigError(key + ": expected one of " + expected + ", got '" + name + "'");
  }

  // Whether the tree holds `key` with a value or a mapping (not null).
  bool present(const std::string& key) const;
  // The names under a mapping key, in the file's order; empty when the key is absent. Throws
  // ConfigError when the key holds a value instead of a mapping.
  std::vector<std::string> children(const std::string& key) const;

  // Throws ConfigError for the first key in the tree that no read() asked for, with the closest
  // known key as a suggestion.
  void finish() const;
  // Every key read, with the value used, as a YAML document.
  std::string resolved_yaml() const;

 private:
  YAML::Node find(const std::string& key) const;
  template <class T>
  void read_scalar(const std::string& key, T& value, const char* expected);

  YAML::Node root_;
  std::string origin_;
  std::set<std::string> known_;
  YAML::Node resolved_;
};

// Runs a unit's own check of its options (the one place its rule lives) and turns the
// std::invalid_argument it throws into a ConfigError under `prefix`: "capacity: expected …" under
// "models.slow.edge." reads "models.slow.edge.capacity: expected …".
template <class Check>
void check_under(const std::string& prefix, Check check) {
  try {
    check();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(prefix + e.what());
  }
}

// Applies "key=value" to a YAML tree (value parsed as YAML: numbers, booleans, strings).
// Throws ConfigError naming the key if it does not have the form key=value.
void apply_override(YAML::Node& root, const std::string& assignment);
// Sets a dotted key in a YAML tree, creating maps on the way.
void set_dotted(YAML::Node& root, const std::string& key, const YAML::Node& value);

}  // namespace vidssl
