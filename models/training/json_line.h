#pragma once

#include <cstdint>
#include <string>

namespace vidssl {

// Builds one JSON object on one line, for metrics.jsonl, predictions and `vidssl eval` output.
// Non-finite numbers are written as null (JSON has no NaN), strings are escaped.
//
//   JsonLine().add("step", 12).add("loss", 0.53).add("model", "slow").str()
//   -> {"step": 12, "loss": 0.53, "model": "slow"}
class JsonLine {
 public:
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, std::int64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  JsonLine& add(const std::string& key, std::uint64_t value);
  JsonLine& add(const std::string& key, bool value);
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  // A value that is already JSON (a nested object or array).
  JsonLine& add_raw(const std::string& key, const std::string& json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& k);
  std::string body_;
};

std::string json_escape(const std::string& s);
std::string json_number(double value);

}  // namespace vidssl
