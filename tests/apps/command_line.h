#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_data.h"

namespace vidssl::test {

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

}  // namespace vidssl::test
