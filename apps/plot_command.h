#pragma once

#include <string>

namespace vidssl {

// `vidssl plot RUN [--out FILE]`: the loss and metric curves of a run folder to PNG (matplotlib,
// through scripts/plot_run.py and Debian's python3).
int plot_command(const std::string& run_folder, const std::string& out);

}  // namespace vidssl
