#pragma once

#include <string>
#include <vector>

namespace vidssl {

// `vidssl run CONFIG [--set key=value]... [--max-frames N] [--out DIR] [--device D] [--display D] [--resume]`
struct RunArgs {
  std::string config;
  std::vector<std::string> overrides;  // --set, then the flags below as keys
  bool resume = false;
  bool force = false;  // start over in a folder that holds a run, moving the old run aside
};

// Trains online from the config's source, shows and logs it; returns the process exit status
// (0 done, 1 a stage failed; ConfigError and SourceError are thrown to main).
int run_command(const RunArgs& args);

}  // namespace vidssl
