#include "apps/run_folder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "models/training/checkpoint.h"
#include "models/training/checked_write.h"
#include "stages/config_reader.h"

namespace fs = std::filesystem;

namespace vidssl {
namespace {

bool holds_checkpoint(const fs::path& learner_dir) {
  return CheckpointStore::newest(learner_dir.string()).has_value();
}

std::string time_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return stamp;
}

// What in `run_dir` shows that a run was written there, for the refusal's message; empty if none.
std::string run_traces(const fs::path& run_dir) {
  std::string traces;
  std::error_code no_file;
  if (fs::file_size(run_dir / "metrics.jsonl", no_file) > 0 && !no_file) traces = "metrics.jsonl";
  for (const auto& name : learners_with_checkpoints(run_dir.string()))
    traces += (traces.empty() ? "checkpoints of " : ", checkpoints of ") + name;
  return traces;
}

}  // namespace

std::string choose_run_folder(const std::string& config_path, const std::string& out, bool resume) {
  if (!out.empty()) return out;
  const std::string stem = fs::path(config_path).stem().string();
  if (resume) {
    std::vector<fs::path> candidates;
    if (fs::is_directory("runs"))
      for (const auto& entry : fs::directory_iterator("runs"))
        if (entry.is_directory() && entry.path().filename().string().rfind(stem + "-", 0) == 0 &&
            !learners_with_checkpoints(entry.path().string()).empty())
          candidates.push_back(entry.path());
    if (candidates.empty())
      throw std::runtime_error("--resume: no runs/" + stem + "-* folder with checkpoints; name the run with --out DIR");
    return std::max_element(candidates.begin(), candidates.end())->string();
  }
  return (fs::path("runs") / (stem + "-" + time_stamp())).string();
}

std::string prepare_run_folder(const std::string& run_dir, bool resume, bool force) {
  std::string moved_to;
  if (!resume) {
    const std::string traces = run_traces(run_dir);
    if (!traces.empty() && !force)
      throw ConfigError("run folder " + run_dir + " already holds a run (" + traces +
                        "): continue it with --resume, or start over with --force (the old run is moved to " + run_dir +
                        ".replaced-<time>, not deleted)");
    if (!traces.empty()) {
      std::string base = fs::path(run_dir).lexically_normal().string();
      if (base.size() > 1 && base.back() == '/') base.pop_back();
      const std::string first = base + ".replaced-" + time_stamp();
      moved_to = first;
      for (int i = 2; fs::exists(moved_to); ++i) moved_to = first + "-" + std::to_string(i);
      fs::rename(run_dir, moved_to);
    }
  }
  fs::create_directories(run_dir);
  return moved_to;
}

void write_run_file(const std::string& path, const std::string& text) {
  throw_if_unwritten(path, write_checked(path, text.data(), text.size()));
}

void check_room_for_checkpoints(const std::string& run_dir, std::uint64_t bytes) {
  const std::string probe = (fs::path(run_dir) / ".room-for-a-checkpoint").string();
  const std::string why = write_checked(probe, nullptr, bytes);
  std::error_code ignored;
  fs::remove(probe, ignored);
  if (!why.empty()) {
    char size[32];
    if (bytes < 1000000)
      std::snprintf(size, sizeof(size), "%.1f kB", static_cast<double>(bytes) / 1e3);
    else
      std::snprintf(size, sizeof(size), "%.1f MB", static_cast<double>(bytes) / 1e6);
    throw std::runtime_error(run_dir + ": no room for a checkpoint of " + size + " (" + why + "): free some space or choose another --out");
  }
}

std::vector<std::string> learners_with_checkpoints(const std::string& run_dir) {
  std::vector<std::string> names;
  if (!fs::is_directory(run_dir)) return names;
  for (const auto& entry : fs::directory_iterator(run_dir))
    if (entry.is_directory() && holds_checkpoint(entry.path())) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string resolve_checkpoint(const std::string& path, const std::string& learner) {
  const fs::path p(path);
  if (fs::exists(p / "meta.json")) return p.string();
  if (const auto newest = CheckpointStore::newest(p.string())) return *newest;
  if (!learner.empty()) {
    if (const auto newest = CheckpointStore::newest((p / learner).string())) return *newest;
    throw std::runtime_error(path + ": no checkpoint of a learner '" + learner + "' (" + path + "/" + learner + "/checkpoints)");
  }
  const auto names = learners_with_checkpoints(path);
  if (names.size() == 1) return *CheckpointStore::newest((p / names.front()).string());
  if (names.empty())
    throw std::runtime_error(path + ": no checkpoint found (expected a run folder, a learner's folder or a checkpoints/step-… folder)");
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw std::runtime_error(path + " holds checkpoints of several learners (" + list + "): name one (--model NAME, or " + path + "/" +
                           names.front() + ")");
}

}  // namespace vidssl
