#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_data.h"

namespace vidssl::test {

// What the command-line tests share: a command line run as a user would, the binary, the shipped
// configs.

// What a command line gave: its exit status and what it wrote.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command line as a user would (no stdin); captures stdout and stderr.
inline CommandResult run_command_line(const std::string& command) {
  const auto dir = scratch_dir("cli-io");
  const std::string out = dir + "/out", err = dir + "/err";
  const int rc = std::system((command + " > '" + out + "' 2> '" + err + "' < /dev/null").c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_all(out), read_all(err)};
}

// The vidssl binary under test, and a shipped config by its file name.
inline std::string vidssl() { return VIDSSL_BINARY; }
inline std::string config(const std::string& name) { return std::string(VIDSSL_SOURCE_DIR) + "/configs/" + name; }

// How many lines of `text` contain `needle`.
inline int count_lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace vidssl::test
