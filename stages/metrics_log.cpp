#include "stages/metrics_log.h"

#include <stdexcept>

namespace vidssl {

MetricsLog::MetricsLog(const std::string& path) : path_(path), out_(path, std::ios::app) {
  if (!out_) throw std::runtime_error(path + ": cannot open for writing");
}

void MetricsLog::write(const std::string& json_line) {
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << json_line << '\n';
  out_.flush();
}

}  // namespace vidssl
