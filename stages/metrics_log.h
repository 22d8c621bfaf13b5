#pragma once

#include <fstream>
#include <mutex>
#include <string>

namespace vidssl {

// <run>/metrics.jsonl: one JSON object per line, one per training step and one per stage report.
// Written by several threads (the train stage, the reporter), so appends are serialized; each
// line is flushed so that a plot or `tail -f` sees it at once and a crash loses at most one line.
// On --resume the file is appended to. A line that cannot be written (a full disk) throws
// std::runtime_error naming the file: a run whose log is lost stops instead of training on unseen.
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& path);
  void write(const std::string& json_line);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace vidssl
