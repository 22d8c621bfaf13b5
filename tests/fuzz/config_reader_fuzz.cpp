// libFuzzer target for the config reader: any bytes as a YAML config, read the way a run reads one
// (every key the tree holds, as each type a key can have; the models' names; the unknown-key check;
// the resolved config). Built and run by scripts/fuzz.sh with clang, in CI for a bounded time.
// What counts as a finding: a crash, a sanitizer report, a hang (libFuzzer's -timeout), an
// exception other than ConfigError, or an error message that is not one line of bounded length.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <yaml-cpp/yaml.h>

#include "stages/config_reader.h"

namespace {

void check_message(const vidssl::ConfigError& e) {
  const std::string message = e.what();
  if (message.empty() || message.size() > vidssl::ConfigError::kMaxLength + 16) std::abort();
  if (message.find('\n') != std::string::npos || message.find('\r') != std::string::npos) std::abort();
}

// Reads `key` as every scalar type, then walks into it if it is a mapping.
void read_everything(vidssl::ConfigReader& reader, const std::string& key, int depth) {
  std::int64_t i64 = 0;
  int i32 = 0;
  double number = 0;
  bool flag = false;
  std::string text;
  try { reader.read(key, i64); } catch (const vidssl::ConfigError& e) { check_message(e); }
  try { reader.read(key, i32); } catch (const vidssl::ConfigError& e) { check_message(e); }
  try { reader.read(key, number); } catch (const vidssl::ConfigError& e) { check_message(e); }
  try { reader.read(key, flag); } catch (const vidssl::ConfigError& e) { check_message(e); }
  try { reader.read(key, text); } catch (const vidssl::ConfigError& e) { check_message(e); }
  if (depth > 20) return;
  try {
    for (const auto& child : reader.children(key)) read_everything(reader, key.empty() ? child : key + "." + child, depth + 1);
  } catch (const vidssl::ConfigError& e) {
    check_message(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const YAML::Exception&) {
    return 0;  // not YAML: load_run_config reports it as one line with the file and line
  }
  try {
    vidssl::ConfigReader reader(root, "fuzz.yaml");
    for (const auto& top : reader.children("")) read_everything(reader, top, 0);
    try { reader.children("models"); } catch (const vidssl::ConfigError& e) { check_message(e); }
    try { reader.finish(); } catch (const vidssl::ConfigError& e) { check_message(e); }
    if (reader.resolved_yaml().empty()) std::abort();
  } catch (const vidssl::ConfigError& e) {
    check_message(e);
  }
  return 0;
}
