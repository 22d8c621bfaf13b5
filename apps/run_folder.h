#pragma once

#include <string>

namespace vidssl {

// The folder a run writes to: `out` when given, else runs/<config name>-<YYYYmmdd-HHMMSS>. With
// resume and no `out`, the newest runs/<config name>-* folder that holds a checkpoint.
// Throws std::runtime_error when resuming finds nothing to resume.
std::string choose_run_folder(const std::string& config_path, const std::string& out, bool resume);

}  // namespace vidssl
