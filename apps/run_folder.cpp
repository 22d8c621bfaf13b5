#include "apps/run_folder.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace vidssl {

std::string choose_run_folder(const std::string& config_path, const std::string& out, bool resume) {
  if (!out.empty()) return out;
  const std::string stem = fs::path(config_path).stem().string();
  if (resume) {
    std::vector<fs::path> candidates;
    if (fs::is_directory("runs"))
      for (const auto& entry : fs::directory_iterator("runs"))
        if (entry.is_directory() && entry.path().filename().string().rfind(stem + "-", 0) == 0 &&
            fs::is_directory(entry.path() / "checkpoints"))
          candidates.push_back(entry.path());
    if (candidates.empty())
      throw std::runtime_error("--resume: no runs/" + stem + "-* folder with checkpoints; name the run with --out DIR");
    return std::max_element(candidates.begin(), candidates.end())->string();
  }
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return (fs::path("runs") / (stem + "-" + stamp)).string();
}

}  // namespace vidssl
